"""How often a reader gives: once, every month, every year.

Its own module, with no imports, so that settings can read SUGGESTED_AMOUNTS per frequency
without loading the ORM (a `donations --help` loads neither)."""

from __future__ import annotations

from enum import StrEnum


class Frequency(StrEnum):
    one_off = "one_off"
    monthly = "monthly"
    annual = "annual"
