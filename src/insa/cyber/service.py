"""The joint cyber safety centre's face (부처합동 사이버안전센터): scanning candidate
domains against the member ministries' protected assets. Permissions for the centre's
operators (``security_operator``), scoped by the centre tenancy when the cases come."""

from __future__ import annotations

from pathlib import Path

from insa.cyber.assets import load
from insa.cyber.schemas import Assets

SCAN = "cyber.scan_domain"
GRANTS = {"security_operator": {SCAN}}
AUDIT_LABELS = {"cyber.scan": "사칭 도메인 검사"}


def assets(path: Path) -> Assets:
    return load(path)
