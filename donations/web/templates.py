"""The one Jinja environment for every page, with the money filters pages need."""

from __future__ import annotations

from pathlib import Path

from starlette.templating import Jinja2Templates

from donations import money

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

templates = Jinja2Templates(directory=TEMPLATES_DIR)
# {{ 1250 | money("eur") }} -> €12.50
templates.env.filters["money"] = money.format_amount
