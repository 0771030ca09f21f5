"""The sign-in email. Sent through the email outbox (donations/mail) once it is merged; until
then only logged (without the link: a link in a log line opens an account)."""

from __future__ import annotations

import logging

from donations.account.sign_in import IssuedLink
from donations.state import AppState
from donations.supporters import masked

logger = logging.getLogger(__name__)

KIND = "sign_in"


async def send_sign_in(state: AppState, issued: IssuedLink, *, minutes: int) -> bool:
    logger.info("sign-in link issued for %s", masked(issued.email))
    return False
