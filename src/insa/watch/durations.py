"""Durations as Gatus writes them — Go's ``time.ParseDuration``: ``30s``, ``5m``, ``1h30m``,
``300ms``, ``1.5h``, ``-2m``; ``0`` alone. Kept exact, in nanoseconds (integers)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
          "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}  # fmt: skip
_PART = re.compile(r"(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)")


def parse_ns(text: str) -> int | None:
    """Nanoseconds, or None when ``text`` is not a Go duration."""
    s = text.strip()
    sign = 1
    if s[:1] in "+-" and s:
        sign, s = (-1 if s[0] == "-" else 1), s[1:]
    if s == "0":
        return 0
    if not s:
        return None
    total, pos = Decimal(0), 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None or m.group(1) in ("", "."):
            return None
        try:
            total += Decimal(m.group(1)) * _UNITS[m.group(2)]
        except InvalidOperation:  # pragma: no cover - the pattern admits digits only
            return None
        pos = m.end()
    return sign * int(total)


def parse_ms(text: str) -> int | None:
    """Whole milliseconds (truncated, as Go's ``Duration.Milliseconds``), or None."""
    ns = parse_ns(text)
    return None if ns is None else int(ns / 1_000_000) if ns < 0 else ns // 1_000_000


def format_ms(ms: int) -> str:
    """A duration for people, as Gatus shows one in a failed condition: ``47h59m``, ``30s``."""
    seconds = abs(ms) // 1000
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    out = (f"{h}h" if h else "") + (f"{m}m" if m or (h and s) else "") + (f"{s}s" if s else "")
    return ("-" if ms < 0 else "") + (out or "0s")
