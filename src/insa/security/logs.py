"""The one masker of resident numbers in text, and logging that cannot leak them.

:func:`redact` masks anything shaped like a resident number — six digits, one separator or
none, seven digits, not inside a longer run of digits — whatever the separator: none, ``-``,
``.``, a space, ``+``, ``_``, ``/``, a dash of another script (``‐``–``―``, ``−``, ``－``),
or any of them percent-encoded once or twice (``%2D``, ``%252D``, ``%20``, ``%2B``, ``%2E``);
digits of any script count (``７３０３２４``). It is the function the log formatter, the
audit log (:func:`insa.security.audit.record`), the command line's messages
(:mod:`insa.clikit`) and the import errors use, so a number typed in any of those shapes is
masked everywhere the same way: ``730324-1******``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_SEP = r"(?:[-.\s+_/\u2010-\u2015\u2212\uff0d\uff0e]|%(?:25)?(?:2[dDeEbBfF]|20|5[fF]))?"
RRN_SHAPE = re.compile(rf"(?<!\d)(\d{{6}}){_SEP}(\d)\d{{6}}(?!\d)")
# addresses whose path carries a credential (a push monitor's token): never written out
SECRET_PATH = re.compile(r"(/api/v1/watch/push/)[^/?#\s\"']+")


def redact(text: str) -> str:
    """``text`` with every RRN-shaped value masked (``730324-1******``), and the credential
    of an address that carries one (``/api/v1/watch/push/…``)."""
    text = SECRET_PATH.sub(r"\1…", text)
    return RRN_SHAPE.sub(lambda m: f"{m.group(1)}-{m.group(2)}******", text)


def redact_value(value: Any) -> Any:
    """``value`` with :func:`redact` applied to every string in it (dicts, lists, tuples)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


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
