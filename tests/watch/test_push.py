"""Push monitors: a batch job calls POST /api/v1/watch/push/{token}; a call saying it failed
is a failed check, and no call within heartbeat interval + grace is one too."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from insa.cli import app
from insa.watch.models import WatchPush
from insa.web.app import create_app

TOKEN = "batch-token-2026-12"


def test_push_calls_and_a_missed_heartbeat(tmp_path: Path, migrated: Engine) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"""
external-endpoints:
  - name: 야간 급여 배치
    ministry: MPM
    token: {TOKEN}
    heartbeat: {{interval: 10s, grace: 0s}}
    failure-threshold: 1
    success-threshold: 1
""", encoding="utf-8")  # fmt: skip
    out = tmp_path / "events.jsonl"
    runner = CliRunner()

    def run(seconds: str) -> None:
        r = runner.invoke(
            app, ["watch", "run", str(config), "--events-out", str(out), "--duration", seconds]
        )
        assert r.exit_code == 0, r.output

    run("1")  # registers the token (kept as its SHA-256 only)
    with migrated.connect() as conn:
        hashes = conn.scalars(select(WatchPush.token_hash)).all()
    assert len(hashes) == 1 and TOKEN not in hashes[0]
    with TestClient(create_app()) as client:
        assert client.post(f"/api/v1/watch/push/{TOKEN}").status_code == 200
        assert client.post("/api/v1/watch/push/nobody-knows-this").status_code == 404
    run("11.5")  # the call above counts; then ten seconds without one
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["event"] for e in events] == ["open"] and "호출이 없었습니다" in events[0]["cause"]
    with TestClient(create_app()) as client:
        assert (
            client.post(
                f"/api/v1/watch/push/{TOKEN}", params={"success": "false", "error": "디스크 부족"}
            ).status_code
            == 200
        )
    run("1.2")  # a failed call: the incident stays open (carried over, not duplicated)
    with TestClient(create_app()) as client:
        assert client.post(f"/api/v1/watch/push/{TOKEN}").status_code == 200
    run("1.2")  # a good call resolves it
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [e["event"] for e in events] == ["open", "resolve"]
    assert events[0]["incident"] == events[1]["incident"]


def test_a_push_token_never_reaches_a_log_line() -> None:
    import logging

    from insa.security.logs import RedactingFormatter

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/1.1" %d', ("127.0.0.1:5", "POST",
                               f"/api/v1/watch/push/{TOKEN}?success=true", 200), None)  # fmt: skip
    line = RedactingFormatter("%(message)s").format(record)
    assert TOKEN not in line and "/api/v1/watch/push/…?success=true" in line
