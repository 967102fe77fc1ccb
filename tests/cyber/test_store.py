"""The event store: Parquet by day and ministry, searched with DuckDB by time, ministry,
field and text; a batch written twice is kept once; days past the retention removed; the
events written out in Elastic's bulk format for a SIEM cluster."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from insa.cli import app
from insa.cyber import store
from insa.cyber.ecs import from_object

from . import events_gen as gen

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


def _events(n: int = 2000) -> list[dict[str, object]]:
    out = []
    for i, d in enumerate(gen.noise(n, seed=5, start=NOW - dt.timedelta(days=1, hours=1))):
        e = from_object(d, None, NOW)
        e["event.id"] = f"t-{i}"
        out.append(e)
    return out


def test_partitions_search_and_one_copy(tmp_path: Path) -> None:
    events = _events()
    files = store.write_events(tmp_path, events, stem="b1")
    assert {f.parent.parent.name for f in files} == {"day=2026-12-01"} and len(
        {f.parent.name for f in files}
    ) == 6
    again = store.write_events(
        tmp_path, events, stem="b1"
    )  # the same batch again (after a crash): replaced
    assert sorted(again) == sorted(files) and len(list(tmp_path.rglob("*.parquet"))) == len(files)
    span = (NOW - dt.timedelta(days=2), NOW)
    every = store.search(tmp_path, *span, limit=5)
    assert (
        every.total == 2000
        and len(every.rows) == 5
        and every.rows[0]["@timestamp"] >= every.rows[1]["@timestamp"]
    )
    mpm = store.search(tmp_path, *span, ministries=["MPM"])
    assert 0 < mpm.total < 2000 and {r["organization.id"] for r in mpm.rows} == {"MPM"}
    fails = store.search(
        tmp_path,
        *span,
        fields={"event.outcome": "failure", "log.format": "sshd"},
        text="FAILED password",
    )
    assert fails.total > 0 and all("Failed password" in r["message"] for r in fails.rows)
    assert store.search(tmp_path, *span, fields={"http.response.status_code": "304"}).total > 0
    assert store.search(tmp_path, *span, text="100%_").total == 0  # LIKE's wildcards are text here
    with pytest.raises(store.StoreError, match="검색할 수 없는 필드"):
        store.search(tmp_path, *span, fields={"password": "x"})
    with pytest.raises(store.StoreError, match="숫자"):
        store.search(tmp_path, *span, fields={"source.port": "many"})
    kv = store.search(tmp_path, *span, fields={"log.format": "kv"}, limit=1).rows[0]
    assert kv["kv.type"] == "traffic"  # a field without a column comes back from ``extra``


def test_retention_removes_old_days(tmp_path: Path) -> None:
    store.write_events(tmp_path, _events(50))
    assert store.retain(tmp_path, 90, today=dt.date(2026, 12, 2)) == []
    assert store.retain(tmp_path, 0, today=dt.date(2026, 12, 2)) == ["2026-12-01"]
    assert not list(tmp_path.glob("day=*"))


def test_events_in_the_elastic_bulk_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from insa.cyber.cli import tower_paths

    events_dir = tower_paths()[0]
    store.write_events(events_dir, _events(300))
    out = tmp_path / "bulk.ndjson"
    r = CliRunner().invoke(app, ["cyber", "events", "bulk", "--from", "2026-11-30T00:00", "--to", "2026-12-03T00:00",
                                 "-o", str(out), "--ministry", "MPM"])  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    actions, docs = lines[0::2], lines[1::2]
    assert len(actions) == len(docs) > 0 and all(
        a["index"]["_index"] == "insa-events-2026.12.01" for a in actions
    )
    assert len({a["index"]["_id"] for a in actions}) == len(actions)  # each event once, by its id
    assert all(d["organization"]["id"] == "MPM" and d["@timestamp"].endswith("Z") for d in docs)
    ssh = next(d for d in docs if d.get("log", {}).get("format") == "sshd")
    assert ssh["source"]["ip"] and ssh["event"]["category"] == "authentication"
