"""The joint cyber safety centre's face (부처합동 사이버안전센터): scanning candidate
domains against the member ministries' protected assets. Permissions for the centre's
operators (``security_operator``), scoped by the centre tenancy when the cases come."""

from __future__ import annotations

from pathlib import Path

from insa.cyber.assets import load, load_text
from insa.cyber.schemas import Assets, Finding

SCAN = "cyber.scan_domain"
GRANTS = {"security_operator": {SCAN}}
AUDIT_LABELS = {"cyber.scan": "사칭 도메인 검사", "cyber_scan": "사칭 도메인 검사"}


def assets(path: Path) -> Assets:
    return load(path)


def score_text(assets_yaml: str, domains: list[str]) -> tuple[Assets, list[Finding]]:
    """Candidates scored against assets given as text (the API); no findings when the
    assets are wrong."""
    from insa.cyber.signals import prepare, score

    found = load_text(assets_yaml, "assets.yaml")
    if not found.ok:
        return found, []
    prep = prepare(found)
    return found, [score(d, prep) for d in domains]
