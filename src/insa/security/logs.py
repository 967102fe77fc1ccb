"""Logging that cannot leak resident numbers: a filter masks anything shaped like one."""

from __future__ import annotations

import logging
import re

RRN_SHAPE = re.compile(r"(?<!\d)(\d{6})-?([1-8])\d{6}(?!\d)")


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


def configure(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(RedactingFilter())
        root.addHandler(handler)
    root.setLevel(level)
