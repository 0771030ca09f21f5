"""Signing and hashing for the account: what a reader carries (a link, a cookie, a form
field) is signed with a key only the server has, and what the database keeps of a token is
its SHA-256, so neither a forged value nor a copy of the tables opens an account.

The key is SESSION_SECRET, or, when that is unset, derived from the webhook signing secret
(production already requires a real one): rotating that secret signs everyone out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from donations.settings import Settings
from donations.stripe_api import webhook_secret

TOKEN_BYTES = 32


# Only when neither SESSION_SECRET nor a webhook secret is set (stripe-mock in development):
# this process's own key, so that nothing fails; links and sessions end with the process.
_PROCESS_SECRET = secrets.token_hex(32)


def account_key(settings: Settings) -> bytes:
    try:
        secret = settings.SESSION_SECRET or webhook_secret(settings)
    except RuntimeError:  # no STRIPE_WEBHOOK_SECRET: production refuses that, development not
        secret = _PROCESS_SECRET
    # A key of its own, so that nothing signed here is a valid webhook signature or the reverse.
    return hmac.new(secret.encode(), b"donations account key", hashlib.sha256).digest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """What the database keeps of a token: SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _mac(key: bytes, purpose: str, payload: str) -> str:
    # The purpose is signed too: a sign-in link's signature is not a cookie's.
    mac = hmac.new(key, f"{purpose}\0{payload}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(key: bytes, purpose: str, payload: str) -> str:
    """`payload.signature`; the payload must not contain a dot."""
    if "." in payload:
        raise ValueError("a signed payload must not contain '.'")
    return f"{payload}.{_mac(key, purpose, payload)}"


def unsign(key: bytes, purpose: str, value: str | None) -> str | None:
    """The payload of a value `sign` made for `purpose`, or None for anything else."""
    if not value or value.count(".") != 1:
        return None
    payload, signature = value.split(".")
    if not hmac.compare_digest(signature, _mac(key, purpose, payload)):
        return None
    return payload
