from __future__ import annotations

from collections.abc import Iterator

import pytest

from donations.settings import Settings
from tests.support.smtp import Mailbox, smtp_server


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Tests deliver at once: no wait for a card's event to follow its payment's.
    return settings.model_copy(update={"MAIL_SETTLE_SECONDS": 0.0})


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box
