"""The one error type for "this input has bad rows": every error line, nothing written."""

from __future__ import annotations


class RowErrors(ValueError):
    """Raised with every ``file:row:field: message`` line of a rejected input."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__("\n".join(errors[:20]) + more)
