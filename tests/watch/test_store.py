"""Results older than a day become hourly rows (exact counts, re-running changes nothing)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, select

from insa.watch.models import WatchHourly
from insa.watch.store import Store

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def test_old_results_roll_up_per_monitor_and_hour(migrated: Engine) -> None:
    store = Store(migrated, {"web": "MPM"})
    old = NOW - dt.timedelta(days=2)
    rows = [(old + dt.timedelta(minutes=i), "web", i % 5 != 0, 100 + i, "") for i in range(90)]
    rows += [(NOW - dt.timedelta(minutes=5), "web", True, 50, "")]  # recent: kept raw
    store.save_results(rows)
    assert store.roll_up(NOW) == 90
    assert store.roll_up(NOW) == 0  # nothing left to fold
    assert store.count_results() == 1
    with migrated.connect() as conn:
        hours = conn.execute(select(WatchHourly.hour, WatchHourly.checks, WatchHourly.failures,
                                    WatchHourly.latency_sum_ms, WatchHourly.latency_max_ms,
                                    WatchHourly.ministry).order_by(WatchHourly.hour)).all()  # fmt: skip
    assert [(h[1], h[2]) for h in hours] == [(60, 12), (30, 6)]
    assert hours[0][3] == sum(100 + i for i in range(60)) and hours[1][4] == 189
    assert hours[0][5] == "MPM"
    # a late batch for an hour already rolled up is added to it
    store.save_results([(old + dt.timedelta(minutes=1, seconds=30), "web", False, 500, "x")])
    store.roll_up(NOW)
    with migrated.connect() as conn:
        first = conn.execute(select(WatchHourly.checks, WatchHourly.failures, WatchHourly.latency_max_ms)
                             .order_by(WatchHourly.hour)).first()  # fmt: skip
    assert first is not None and tuple(first) == (61, 13, 500)
