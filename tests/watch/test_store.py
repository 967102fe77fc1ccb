"""Every batch of results is added to its monitors' hourly rows as it is stored (exact
counts); raw results past their retention are removed, the hours stay until theirs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, select

from insa.watch.models import WatchHourly, WatchMonitor
from insa.watch.schemas import Monitor, Where
from insa.watch.store import Store

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def _hours(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(WatchHourly.checks, WatchHourly.failures, WatchHourly.latency_sum_ms,
                   WatchHourly.latency_max_ms, WatchHourly.ministry).order_by(WatchHourly.hour))]  # fmt: skip


def test_results_are_counted_per_monitor_and_hour_as_they_are_stored(migrated: Engine) -> None:
    store = Store(migrated, {"web": "MPM"})
    old = NOW - dt.timedelta(days=2)
    rows = [(old + dt.timedelta(minutes=i), "web", i % 5 != 0, 100 + i, "") for i in range(90)]
    store.save_results(rows[:45])  # two batches over the same hours
    store.save_results(rows[45:])
    hours = _hours(migrated)
    assert [(h[0], h[1]) for h in hours] == [(60, 12), (30, 6)]
    assert hours[0][2] == sum(100 + i for i in range(60)) and hours[1][3] == 189
    assert hours[0][4] == "MPM"
    store.save_results([(old + dt.timedelta(minutes=1, seconds=30), "web", False, 500, "x")])
    assert _hours(migrated)[0][:2] == (61, 13) and _hours(migrated)[0][3] == 500


def test_prune_keeps_what_the_retention_says(migrated: Engine) -> None:
    store = Store(migrated, {})
    rows = [(NOW - dt.timedelta(days=d), "web", True, 10, "") for d in (40, 3, 0)]
    store.save_results(rows)
    assert store.prune(NOW, dt.timedelta(days=1), dt.timedelta(days=30)) == (2, 1)
    assert store.prune(NOW, dt.timedelta(days=1), dt.timedelta(days=30)) == (0, 0)
    assert store.count_results() == 1
    assert [h[0] for h in _hours(migrated)] == [1, 1]  # 3 days ago and today


def test_registry_keeps_the_latest_result_and_state(migrated: Engine) -> None:
    store = Store(migrated, {})
    m = Monitor(
        "인사 민원", "http", Where("a.yaml", 3), group="민원", url="https://user:pw@x.example/p?q=1"
    )
    store.register([m], NOW)
    store.save_results([(NOW, m.key, False, 120, "[STATUS] (500) == 200")], {m.key: ("down", NOW)})
    with migrated.connect() as conn:
        row = conn.execute(select(WatchMonitor)).one()
    assert (row.state, row.last_ok, row.last_latency_ms, row.source) == (
        "down",
        False,
        120,
        "a.yaml",
    )
    assert row.target == "https://x.example/p"  # no credentials, no query
    store.register([], NOW)  # gone from the file: inactive, its history kept
    with migrated.connect() as conn:
        assert conn.execute(select(WatchMonitor.active)).scalar() is False
