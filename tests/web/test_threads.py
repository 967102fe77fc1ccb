"""A web worker lets at most INSA_WEB_THREADS requests use the database at once (`insa serve
--threads N`); more wait their turn on the event loop, never blocking it (AnyIO's forty
threads let twenty concurrent searches fight over one interpreter lock: docs/benchmarks.md)."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import anyio.to_thread
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from insa.settings import reset_settings
from insa.web.app import create_app
from insa.web.deps import DbDep


def _probe_app(monkeypatch: pytest.MonkeyPatch, threads: str, seconds: float) -> Any:
    monkeypatch.setenv("INSA_WEB_THREADS", threads)
    reset_settings()
    app = create_app()
    running = {"now": 0, "peak": 0}
    lock = threading.Lock()
    probe = APIRouter()

    @probe.get("/_probe")
    async def _slow(db: DbDep) -> dict[str, int]:
        """As a page's caller is read: a query on the event loop, then work in a thread
        while the connection is held."""
        with lock:
            running["now"] += 1
            running["peak"] = max(running["peak"], running["now"])
        db.execute(text("SELECT 1"))
        await anyio.to_thread.run_sync(time.sleep, seconds)
        with lock:
            running["now"] -= 1
        return {"ok": 1}

    app.include_router(probe)
    return app, running


def _burst(client: TestClient, n: int) -> list[int]:
    done: list[int] = []
    ts = [threading.Thread(target=lambda: done.append(client.get("/_probe").status_code))
          for _ in range(n)]  # fmt: skip
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return done


@pytest.mark.parametrize("threads", ["1", "3"])
def test_requests_beyond_the_slots_wait_their_turn(
    migrated: Engine, threads: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, running = _probe_app(monkeypatch, threads, 0.1)
    with TestClient(app) as client:
        assert app.state.db_slots.total_tokens == int(threads)
        assert _burst(client, 6) == [200] * 6
    assert running["peak"] == int(threads)


def test_more_concurrent_requests_than_pooled_connections_all_succeed(
    migrated: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty at once against a pool of twenty: the slots keep the event loop from waiting on
    the pool (it waited 30 s, then answered 500, when the caller's query took a connection
    before a thread was free)."""
    app, running = _probe_app(monkeypatch, "4", 0.02)
    with TestClient(app) as client:
        t0 = time.monotonic()
        assert _burst(client, 40) == [200] * 40
        assert time.monotonic() - t0 < 20
    assert running["peak"] <= 4


def test_serve_passes_the_thread_count_to_every_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from insa import cli
    from insa.db import migrate

    seen: dict[str, Any] = {}

    def fake_run(*_a: Any, **kw: Any) -> None:
        seen.update(env=os.environ.get("INSA_WEB_THREADS"), **kw)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    monkeypatch.setattr(migrate, "is_current", lambda _engine: True)
    monkeypatch.setenv("INSA_WEB_THREADS", "4")  # restored after the test
    monkeypatch.setenv(
        "PROMETHEUS_MULTIPROC_DIR", ""
    )  # serve sets it for its workers: undone after
    result = CliRunner().invoke(cli.app, ["serve", "--threads", "6", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert os.environ["PROMETHEUS_MULTIPROC_DIR"].endswith(
        "prometheus"
    )  # the workers' metrics, shared
    assert seen["env"] == "6" and seen["workers"] == 2
    reset_settings()
