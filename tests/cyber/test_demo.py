"""The demo's cases: written once, in every state, each with its evidence."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, func, select

from insa.cyber.assets import load
from insa.cyber.demo import seed
from insa.cyber.models import CyberCase, CyberEvidence
from insa.db.engine import session_scope

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_cases_are_written_once_in_every_state(migrated: Engine) -> None:
    found = load(ROOT / "examples/cyber/assets.yaml")
    assert found.ok, found.problems
    with session_scope(migrated) as db:
        made = seed(db, found)
    with session_scope(migrated) as db:
        assert seed(db, found) == 0
        states = set(db.scalars(select(CyberCase.status)))
        evidence = db.scalar(select(func.count()).select_from(CyberEvidence))
        gosiwon = db.scalar(select(CyberCase).where(CyberCase.domain == "gosiwon-seoul.com"))
    assert made >= 8 and evidence == made and gosiwon is None
    assert states == {"new", "confirmed", "takedown_requested", "verified_down"}


def test_the_demo_keeps_official_fingerprints_with_their_pictures(tmp_path: Path) -> None:
    from insa.cyber.demo import officials
    from insa.cyber.evidence import load_fingerprints

    found = load(ROOT / "examples/cyber/assets.yaml")
    store = tmp_path / "fingerprints.json"
    assert officials(found, store, lambda html: b"\x89PNG" + html[:4].encode()) == len(found.assets)
    kept = load_fingerprints(store)
    assert set(kept) == {a.id for a in found.assets}
    first = kept[found.assets[0].id][0]
    assert (
        first.forms
        and first.forms[0].password
        and (tmp_path / first.shot).read_bytes().startswith(b"\x89PNG")
    )
    assert officials(found, store, lambda html: None) == 0  # kept ones are left as they are
