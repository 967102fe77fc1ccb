"""Logging that cannot leak resident numbers: a filter masks anything shaped like one."""

from __future__ import annotations

import logging
import re

RRN_SHAPE = re.compile(r"(?<!\d)(\d{6})[- ]?([1-8])\d{6}(?!\d)")


def redact(text: str) -> str:
    return RRN_SHAPE.sub(lambda m: f"{m.group(1)}-{m.group(2)}******", text)


class RedactingFilter(logging.Filter):
    """Masks RRN-shaped digits in the rendered message (and drops the raw args)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message or record.args:
            record.msg = clean
            record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """Masks RRN-shaped digits in the whole formatted record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(h.formatter, RedactingFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter(FORMAT))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)


def uvicorn_log_config(level: str = "info") -> dict[str, object]:
    """uvicorn's own loggers (server, access) through the redacting formatter."""
    fmt = {"()": "insa.security.logs.RedactingFormatter", "fmt": FORMAT}
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "redacting",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"redacting": fmt},
        "handlers": {"default": handler},
        "loggers": {
            name: {"handlers": ["default"], "level": level.upper(), "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
