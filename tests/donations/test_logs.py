"""Log lines: text or one JSON object a line, and never a reader's email address."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from donations import logs


@pytest.fixture
def captured(capsys: pytest.CaptureFixture[str]) -> Iterator[logging.Logger]:
    """A logger of ours; the configuration a test applies is undone after it."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {
        name: (list(logger.handlers), logger.level, logger.propagate)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    yield logging.getLogger("donations.test_logs")
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("supporter ana@example.org", "supporter a***@example.org"),
        ('"GET /contribute?email=vic%40example.org HTTP/1.1" 200',
         '"GET /contribute?email=v***@example.org HTTP/1.1" 200'),
        ("Key (email)=(ana.b+news@mail.example.co.uk) already exists",
         "Key (email)=(a***@mail.example.co.uk) already exists"),
        ("a***@example.org", "a***@example.org"),
        ("evt_123 checkout.session.completed processed 3.1 ms",
         "evt_123 checkout.session.completed processed 3.1 ms"),
    ],
)  # fmt: skip
def test_emails_are_masked_and_nothing_else_changes(text: str, masked: str) -> None:
    assert logs.mask_emails(text) == masked


def test_json_lines_carry_time_level_logger_message_and_extra_fields(
    captured: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("json")
    captured.warning(
        "event %s failed for %s", "evt_1", "ana@example.org", extra={"event": "evt_1", "n": 2}
    )
    try:
        raise ValueError("bad amount from bo@example.org")
    except ValueError:
        captured.exception("handler raised")
    first, second = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert first.pop("time").endswith("+00:00")
    assert first == {
        "level": "WARNING",
        "logger": "donations.test_logs",
        "message": "event evt_1 failed for a***@example.org",
        "event": "evt_1",
        "n": 2,
    }
    assert (second["level"], second["message"]) == ("ERROR", "handler raised")
    assert second["exc_info"].endswith("ValueError: bad amount from b***@example.org")


def test_text_lines_are_for_people_and_masked_too(
    captured: logging.Logger, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.configure("text", level="WARNING")
    captured.info("not shown at WARNING")
    captured.warning("refund for ana@example.org")
    assert capsys.readouterr().err == "WARNING donations.test_logs: refund for a***@example.org\n"
