"""The one error type for "this input has bad rows": every error line, nothing written; and
the one way a place in an input file is named (``file:line``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Where:
    """A place in an input file (lines from 1), shown as ``file:line``."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class RowErrors(ValueError):
    """Raised with every ``file:row:field: message`` line of a rejected input."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__("\n".join(errors[:20]) + more)
