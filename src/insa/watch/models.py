"""The failure-detection tables. None yet: this increment reads and validates monitors'
configuration (``insa watch validate``, the validation page); the check results, incidents,
silences and the checker's lease come with the checker (issue 13, docs/watch.md)."""

from __future__ import annotations
