"""The joint cyber safety centre's pages: none yet (the cases and their evidence come with
the rest of issue 14)."""

from __future__ import annotations

ROUTERS = ()
NAV = ()
