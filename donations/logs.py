"""Where log lines go and what they look like: one configuration for `donations serve`
(each uvicorn worker applies it too) and for every other command.

    LOG_FORMAT=text   "INFO webhooks.inbox: stripe event evt_... processed 3.1 ms" (default)
    LOG_FORMAT=json   one JSON object a line: time, level, logger, message, and the fields a
                      call passed in `extra=` (an exception's traceback as exc_info)

Both write to stderr, and both mask anything shaped like an email address (a***@example.org)
in the finished line, whatever logged it: a reader's address is personal data that no log
keeps (uvicorn's access log, a library's error message or a traceback included).
"""

from __future__ import annotations

import logging
import logging.config
import re
from typing import Any, Literal

LogFormat = Literal["text", "json"]

TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"
# What addresses are made of in practice (not all RFC 5322 allows: "/", "?" and "=" would
# swallow the path of "GET /contribute?email=ana@example.org"), the @ also URL-encoded, and
# a domain with at least one dot.
_EMAIL = re.compile(r"(?P<first>[\w.+-])[\w.+-]*(?:@|%40)(?P<domain>[\w-]+(?:\.[\w-]+)+)")


def mask_emails(text: str) -> str:
    """ana@example.org -> a***@example.org (and ana%40example.org), everywhere in `text`."""
    return _EMAIL.sub(r"\g<first>***@\g<domain>", text)


class TextLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask_emails(super().format(record))


FORMATTERS: dict[LogFormat, dict[str, Any]] = {
    "text": {"()": TextLines, "fmt": TEXT_FORMAT},
    "json": {"()": "donations.json_logs.JsonLines"},
}


def logging_config(log_format: LogFormat, *, level: str = "INFO") -> dict[str, Any]:
    """A dictConfig for the whole process, uvicorn's loggers included (they keep no handler of
    their own and reach the root's), so that `uvicorn.run(log_config=...)` applies it in every
    worker it starts."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        # Only the one in use: the JSON formatter's library costs every command ~20 ms to import.
        "formatters": {log_format: FORMATTERS[log_format]},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": log_format,
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            name: {"handlers": [], "propagate": True, "level": level}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure(log_format: LogFormat, *, level: str = "INFO") -> None:
    logging.config.dictConfig(logging_config(log_format, level=level))
