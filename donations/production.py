"""What ENVIRONMENT=production refuses to start with, one line each.

- a Stripe secret that is missing, a placeholder, or published: every `sk_`/`whsec_` value in
  this repository (its source, README, .env.example, tests) is public, and so are the keys in
  Stripe's own documentation. An event signed with a public secret is anyone's event.
- a Stripe secret too short to be one Stripe issued. Secret and restricted API keys are
  `sk_live_`/`sk_test_`/`rk_live_`/`rk_test_` and at least 24 characters (older keys have 24,
  current ones about 99); endpoint signing secrets are `whsec_` and at least 32 (the dashboard
  issues 32, the Stripe CLI 64 hex digits). Shorter is a typo or a value someone made up.
- no SMTP_URL while email is on (MAIL_ENABLED): receipts would pile up unsent; development
  writes them to files instead, which nobody reads in production.
- a SITE_URL that is not https://: Checkout's success and cancel links, the billing portal's
  return link and the CSRF check are built from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from donations.settings import Settings

PLACEHOLDER_MARKERS = ("changeme", "change-me", "placeholder", "xxx", "your_")
API_KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_")
WEBHOOK_SECRET_PREFIX = "whsec_"
MIN_API_KEY_CHARACTERS = 24
MIN_WEBHOOK_SECRET_CHARACTERS = 32

# Values a reader of our docs or Stripe's may copy, named as published rather than as short.
# tests/donations/test_production.py finds every `sk_`/`whsec_` literal in the tracked files
# and checks that production refuses each, by this list or by the floor.
PUBLISHED_SECRETS = frozenset(
    {
        # Ours: the bundled emulator's default, and the README's standalone-emulator example.
        "whsec_local_emulator",
        "whsec_local",
        "sk_test_local",
        "sk_test_emulator",
        # stripe-mock's customary key, and the keys of Stripe's own API reference examples.
        "sk_test_123",
        "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "sk_test_BQokikJOvBiI2HlWgH4olfQ2",
    }
)

MISSING_SECRET = "{name} must be set to a real value when ENVIRONMENT=production"
PUBLISHED_SECRET = (
    "{name} is a published example value, not your own secret; "
    "copy it from your Stripe dashboard (ENVIRONMENT=production)"
)
WRONG_PREFIX = "{name} must start with {prefixes} when ENVIRONMENT=production"
TOO_SHORT = (
    "{name} is too short to be a Stripe secret (at least {minimum} characters after {prefix}) "
    "when ENVIRONMENT=production"
)
LOCAL_SITE_URL = "SITE_URL must be the public address readers use when ENVIRONMENT=production"
NO_SMTP = (
    "SMTP_URL must be set when ENVIRONMENT=production (or MAIL_ENABLED=false to send no email)"
)
PLAIN_HTTP_SITE_URL = "SITE_URL must start with https:// when ENVIRONMENT=production, not {url!r}"


def refusal(settings: Settings) -> str | None:
    """Why production must not start with these settings, or None."""
    return (
        _secret_refusal(
            "STRIPE_SECRET_KEY",
            settings.STRIPE_SECRET_KEY,
            API_KEY_PREFIXES,
            MIN_API_KEY_CHARACTERS,
        )
        or _secret_refusal(
            "STRIPE_WEBHOOK_SECRET",
            settings.STRIPE_WEBHOOK_SECRET,
            (WEBHOOK_SECRET_PREFIX,),
            MIN_WEBHOOK_SECRET_CHARACTERS,
        )
        or _site_url_refusal(settings.SITE_URL)
        or (NO_SMTP if settings.MAIL_ENABLED and not settings.SMTP_URL else None)
    )


def _secret_refusal(
    name: str, value: str | None, prefixes: tuple[str, ...], minimum: int
) -> str | None:
    if not value or any(marker in value.lower() for marker in PLACEHOLDER_MARKERS):
        return MISSING_SECRET.format(name=name)
    if value in PUBLISHED_SECRETS:
        return PUBLISHED_SECRET.format(name=name)
    prefix = next((prefix for prefix in prefixes if value.startswith(prefix)), None)
    if prefix is None:
        return WRONG_PREFIX.format(name=name, prefixes=" or ".join(prefixes))
    if len(value) - len(prefix) < minimum:
        return TOO_SHORT.format(name=name, minimum=minimum, prefix=prefix)
    return None


def _site_url_refusal(url: str) -> str | None:
    if not url.startswith("https://"):
        return PLAIN_HTTP_SITE_URL.format(url=url)
    host = url.removeprefix("https://").split("/", 1)[0].rsplit(":", 1)[0]
    if host in ("localhost", "127.0.0.1", "[::1]") or host.endswith(".localhost"):
        return LOCAL_SITE_URL
    return None
