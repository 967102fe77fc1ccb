"""Notifications: each event of an incident told once through each of the monitor's alert
providers (Apprise), retried with growing waits when the provider fails. A delivery is a
row keyed by (incident, event, provider) written with the incident's change, so a restarted
or standby checker neither repeats nor forgets one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import Engine, select

from insa.clock import to_kst
from insa.db.engine import session_scope
from insa.notify import RETRY_WAITS, send  # the one path every package alerts through
from insa.watch.incidents import Event
from insa.watch.models import WatchDelivery
from insa.watch.schemas import Monitor


def deliveries(
    e: Event, m: Monitor, notifiers: Mapping[str, tuple[str, ...]]
) -> list[WatchDelivery]:
    """The notifications an event calls for (an alert's provider configured, and a
    resolution only where the alert asks for it)."""
    out = []
    seen: set[str] = set()
    for alert in m.alerts:
        if not alert.enabled or alert.type not in notifiers or alert.type in seen:
            continue
        if e.event == "resolve" and not alert.send_on_resolved:
            continue
        seen.add(alert.type)
        word = "장애 발생" if e.event == "open" else "복구"
        title = f"[{word}] {m.key}"
        lines = [f"{word}: {m.key}" + (f" ({m.ministry})" if m.ministry else ""),
                 f"시각: {to_kst(e.time):%Y-%m-%d %H:%M:%S} (KST)", f"장애 번호: {e.incident}"]  # fmt: skip
        if alert.description:
            lines.append(alert.description)
        if e.event == "open" and e.cause:
            lines.append(f"원인: {e.cause}")
        out.append(WatchDelivery(incident=e.incident, event=e.event, provider=alert.type, monitor=m.key,
                                 title=title, body="\n".join(lines), attempts=0, next_at=e.time))  # fmt: skip
    return out


FOLLOW_UP_WORDS = {"escalate": "상위 보고", "remind": "재알림"}


def follow_up(incident: str, m: Monitor, kind: str, provider: str, at: dt.datetime,
              opened_at: dt.datetime, cause: str, n: int = 0) -> WatchDelivery:  # fmt: skip
    """An escalation (not acknowledged in time: told to the second target) or the ``n``-th
    reminder while the incident stays open — each once (its own event key)."""
    word = FOLLOW_UP_WORDS[kind]
    event = "escalate" if kind == "escalate" else f"remind-{n}"
    open_for = int((at - opened_at).total_seconds() // 60)
    lines = [f"{word}: {m.key}" + (f" ({m.ministry})" if m.ministry else "") + f" — {open_for}분째 장애",
             f"발생: {to_kst(opened_at):%Y-%m-%d %H:%M:%S} (KST)", f"장애 번호: {incident}"]  # fmt: skip
    if kind == "escalate":
        lines.append("정해진 시간 안에 아무도 확인하지 않았습니다")
    if cause:
        lines.append(f"원인: {cause}")
    return WatchDelivery(incident=incident, event=event, provider=provider, monitor=m.key,
                         title=f"[{word}] {m.key}", body="\n".join(lines), attempts=0, next_at=at)  # fmt: skip


def deliver_due(engine: Engine, notifiers: Mapping[str, tuple[str, ...]], now: dt.datetime) -> int:
    """Every delivery due now, attempted once; returns how many were delivered."""
    with session_scope(engine) as db:
        due = list(db.scalars(select(WatchDelivery).where(WatchDelivery.next_at.is_not(None),
                                                          WatchDelivery.next_at <= now)))  # fmt: skip
        done = 0
        for d in due:
            urls = notifiers.get(d.provider, ())
            error = (
                send(urls, d.title, d.body, d.event != "resolve")
                if urls
                else "알림 설정이 없습니다"
            )
            d.attempts += 1
            if error is None:
                d.delivered_at, d.next_at, d.error = now, None, None
                done += 1
            else:
                d.error = error
                d.next_at = (now + dt.timedelta(seconds=RETRY_WAITS[d.attempts - 1])
                             if d.attempts <= len(RETRY_WAITS) else None)  # fmt: skip
        return done
