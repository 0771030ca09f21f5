"""Production refuses secrets anyone could have and a plain-http SITE_URL, one line each."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from donations.app import create_app
from donations.production import PUBLISHED_SECRETS
from donations.settings import ConfigurationError, Settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# What a Stripe secret looks like in text: the prefix, then the rest of the word. The
# lookbehind keeps `risk_score` and friends out.
SECRET_LITERAL = re.compile(r"(?<![A-Za-z0-9_])(?:whsec_|[sr]k_(?:live|test)_)[A-Za-z0-9_]*")

# Plausible secrets, built here rather than written out: a literal would be published by
# this very file (and the scan below would rightly insist that production refuse it).
REAL_KEY = "sk_live_" + "51Hx9q2Lr8vT4mWc" * 6
REAL_WEBHOOK_SECRET = "whsec_" + "Bj2c4EvCHqK8TtrMLtGU" * 2
SITE = "https://give.news.example"


def _production(**overrides: str) -> Settings:
    values = {
        "STRIPE_SECRET_KEY": REAL_KEY,
        "STRIPE_WEBHOOK_SECRET": REAL_WEBHOOK_SECRET,
        "SITE_URL": SITE,
        "SMTP_URL": "smtps://newsroom:password@mail.news.example",
        **overrides,
    }
    return Settings(ENVIRONMENT="production", **values)  # type: ignore[arg-type]


def _refusal(**overrides: str) -> str:
    with pytest.raises(ConfigurationError) as raised:
        _production(**overrides).check_production()
    return str(raised.value)


def _published_literals() -> set[str]:
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    found: set[str] = set()
    for name in filter(None, tracked):
        path = PROJECT_ROOT / name.decode()
        if path.is_file():
            found.update(SECRET_LITERAL.findall(path.read_text(errors="replace")))
    return found


def test_plausible_secrets_and_an_https_site_start() -> None:
    _production().check_production()
    _production(STRIPE_SECRET_KEY="rk_test_" + "a" * 24).check_production()
    # No email at all is a choice production may make, said out loud.
    _production(SMTP_URL="", MAIL_ENABLED="false").check_production()


def test_every_secret_literal_in_the_repository_is_refused_in_production() -> None:
    literals = _published_literals()
    # The scan finds what the README and the emulator publish, so it is looking in the right places.
    assert {"whsec_local", "whsec_local_emulator", "sk_test_local", "whsec_changeme"} <= literals
    accepted = []
    for literal in sorted(literals):
        field = "STRIPE_WEBHOOK_SECRET" if literal.startswith("whsec_") else "STRIPE_SECRET_KEY"
        try:
            _production(**{field: literal}).check_production()
        except ConfigurationError as error:
            assert str(error).startswith(field), str(error)
        else:
            accepted.append(literal)
    assert accepted == []


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        (
            {"STRIPE_WEBHOOK_SECRET": "whsec_local_emulator"},
            "STRIPE_WEBHOOK_SECRET is a published example value, not your own secret; "
            "copy it from your Stripe dashboard (ENVIRONMENT=production)",
        ),
        (
            {"STRIPE_WEBHOOK_SECRET": "whsec_local"},
            "STRIPE_WEBHOOK_SECRET is a published example value, not your own secret; "
            "copy it from your Stripe dashboard (ENVIRONMENT=production)",
        ),
        (
            {"STRIPE_SECRET_KEY": "sk_test_4eC39HqLyjWDarjtT1zdp7dc"},
            "STRIPE_SECRET_KEY is a published example value, not your own secret; "
            "copy it from your Stripe dashboard (ENVIRONMENT=production)",
        ),
        (
            {"STRIPE_WEBHOOK_SECRET": "x"},
            "STRIPE_WEBHOOK_SECRET must start with whsec_ when ENVIRONMENT=production",
        ),
        (
            {"STRIPE_WEBHOOK_SECRET": "whsec_" + "a" * 31},
            "STRIPE_WEBHOOK_SECRET is too short to be a Stripe secret "
            "(at least 32 characters after whsec_) when ENVIRONMENT=production",
        ),
        (
            {"STRIPE_SECRET_KEY": "sk_live_" + "a" * 23},
            "STRIPE_SECRET_KEY is too short to be a Stripe secret "
            "(at least 24 characters after sk_live_) when ENVIRONMENT=production",
        ),
        (
            {"STRIPE_SECRET_KEY": "pk_live_" + "a" * 24},
            "STRIPE_SECRET_KEY must start with sk_live_ or sk_test_ or rk_live_ or rk_test_ "
            "when ENVIRONMENT=production",
        ),
        (
            {"STRIPE_SECRET_KEY": ""},
            "STRIPE_SECRET_KEY must be set to a real value when ENVIRONMENT=production",
        ),
        (
            {"STRIPE_WEBHOOK_SECRET": "whsec_changeme"},
            "STRIPE_WEBHOOK_SECRET must be set to a real value when ENVIRONMENT=production",
        ),
        (
            {"SITE_URL": "http://give.news.example"},
            "SITE_URL must start with https:// when ENVIRONMENT=production, "
            "not 'http://give.news.example'",
        ),
        (
            {"SMTP_URL": ""},
            "SMTP_URL must be set when ENVIRONMENT=production "
            "(or MAIL_ENABLED=false to send no email)",
        ),
        (
            {"SITE_URL": "https://localhost:8000"},
            "SITE_URL must be the public address readers use when ENVIRONMENT=production",
        ),
    ],
)
def test_production_refuses_with_one_line_naming_the_setting(
    overrides: dict[str, str], reason: str
) -> None:
    assert _refusal(**overrides) == reason
    with pytest.raises(ConfigurationError) as raised:
        create_app(_production(**overrides))
    assert str(raised.value) == reason


def test_development_runs_on_the_published_example_values() -> None:
    Settings(
        STRIPE_WEBHOOK_SECRET="whsec_local", SITE_URL="http://127.0.0.1:8000"
    ).check_production()
    assert "whsec_local" in PUBLISHED_SECRETS


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        (
            "STRIPE_WEBHOOK_SECRET",
            "whsec_local_emulator",
            "error: STRIPE_WEBHOOK_SECRET is a published example value, not your own secret; "
            "copy it from your Stripe dashboard (ENVIRONMENT=production)\n",
        ),
        (
            "STRIPE_WEBHOOK_SECRET",
            "whsec_a",
            "error: STRIPE_WEBHOOK_SECRET is too short to be a Stripe secret "
            "(at least 32 characters after whsec_) when ENVIRONMENT=production\n",
        ),
        (
            "SITE_URL",
            "http://give.news.example",
            "error: SITE_URL must start with https:// when ENVIRONMENT=production, "
            "not 'http://give.news.example'\n",
        ),
    ],
)
def test_serve_refuses_to_start_with_one_line(
    tmp_path: Path, variable: str, value: str, line: str
) -> None:
    environment = {
        "PATH": "/usr/bin:/bin",
        "ENVIRONMENT": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'donations.db'}",
        "STRIPE_SECRET_KEY": REAL_KEY,
        "STRIPE_WEBHOOK_SECRET": REAL_WEBHOOK_SECRET,
        "SITE_URL": SITE,
        "SMTP_URL": "smtp://127.0.0.1:9",
        variable: value,
    }
    result = subprocess.run(
        [sys.executable, "-m", "donations", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert (result.returncode, result.stdout, result.stderr) == (1, "", line)
    # Refused before anything was written: not even the database file.
    assert not (tmp_path / "donations.db").exists()
