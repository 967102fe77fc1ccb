"""The joint cyber safety centre's tables. The look-alike scan of issue 14 writes files
(the findings CSV); the cases, their evidence and takedowns are to come (docs/cyber.md)."""

from __future__ import annotations
