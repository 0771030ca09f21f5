"""LOG_FORMAT=json: one JSON object a line (donations/logs.py says what each line holds).

Its own module so that only a process logging JSON imports python-json-logger.
"""

from __future__ import annotations

import logging

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from donations.logs import mask_emails

# uvicorn adds a copy of its message with terminal colours: not for a log file.
_NOT_FIELDS = [*RESERVED_ATTRS, "color_message"]


class JsonLines(JsonFormatter):
    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            reserved_attrs=_NOT_FIELDS,
            timestamp="time",
        )

    def format(self, record: logging.LogRecord) -> str:
        # Masked in the serialized line: no quote or backslash is added, so it stays JSON.
        return mask_emails(super().format(record))
