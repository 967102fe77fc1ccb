"""insa watches itself by default: its web app (``/healthz``, which also reaches the
database) and its database (a pooled connection and ``SELECT 1``), in the group ``insa``,
the web app depending on the database — a database outage is one incident with the web
app listed on it. ``insa watch run --no-self`` leaves them out; a configuration that
defines its own ``insa`` monitors keeps them."""

from __future__ import annotations

from insa.watch.conditions import parse
from insa.watch.schemas import Config, Monitor, Where

GROUP = "insa"
SOURCE = "insa"


def own_monitors(web_url: str, config: Config, interval_ms: int = 30_000) -> tuple[Monitor, ...]:
    where = Where(SOURCE, 0)
    db = Monitor("데이터베이스", "database", where, group=GROUP, interval_ms=interval_ms, timeout_ms=5_000,
                 conditions=(parse("[CONNECTED] == true"),))  # fmt: skip
    web = Monitor("웹 앱", "http", where, group=GROUP, url=web_url.rstrip("/") + "/healthz",
                  interval_ms=interval_ms, timeout_ms=5_000, conditions=(parse("[STATUS] == 200"),),
                  depends_on=(db.key,))  # fmt: skip
    taken = {m.key for m in config.monitors}
    return tuple(m for m in (db, web) if m.key not in taken)
