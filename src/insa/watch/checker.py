"""The checker: every monitor on its own schedule (jittered, so that ten thousand monitors do
not fire in the same second), at most ``concurrency`` checks at once, each bounded by its
timeout; each result through the incident book; each event written as one JSON line, flushed
as it happens."""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import json
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from insa.clock import to_kst
from insa.watch import maintenance
from insa.watch import silences as sil
from insa.watch.conditions import evaluate
from insa.watch.incidents import Book, Event, Rule, affected_of
from insa.watch.notify import deliveries, follow_up
from insa.watch.probes import Clients, Seen, check
from insa.watch.schemas import Config, Monitor

if TYPE_CHECKING:
    from insa.watch.store import Store

DEFAULT_CONCURRENCY = 200
LATE_SAMPLE = 100_000  # the checks' lateness kept for the run's p99 (a bounded sample)
PUSH_POLL = 0.5  # seconds between reads of the push monitors' calls
PRUNE_EVERY = 3600.0  # seconds between removals of results past their retention
FIRST_SPREAD = 5.0  # seconds over which the first checks are spread, at least
FIRST_RATE = 200.0  # first checks a second, at most (more monitors: a longer spread)
SYNC_EVERY = 1.0  # seconds between reads of what the operators changed (silences, acks …)
NOT_YET = ("push",)  # kinds the scheduler does not check itself: they are called (heartbeats)
CLOSED_BY_HAND = "운영자가 종료했습니다"


@dataclass
class Stats:
    checks: int = 0
    late_ms: deque[int] = field(default_factory=lambda: deque(maxlen=LATE_SAMPLE))  # the latest
    events: int = 0
    per_monitor: dict[str, int] = field(default_factory=dict)  # checks of each monitor


def outcome(m: Monitor, seen: Seen) -> tuple[bool, list[str]]:
    """Whether the check passed — every condition, as Gatus decides (an error of the call
    fails the conditions that needed its answer) — and what failed, the error first."""
    outcomes = [evaluate(c, seen.observation) for c in m.conditions]
    failed = [o.condition for o in outcomes if not o.ok]
    return all(o.ok for o in outcomes), ([seen.error] if seen.error else []) + failed


def event_line(e: Event, names: dict[str, Monitor]) -> str:
    m = names[e.monitor]
    doc: dict[str, Any] = {"time": to_kst(e.time).isoformat(timespec="seconds"), "monitor": m.name,
                           "event": e.event, "incident": e.incident, "cause": e.cause}  # fmt: skip
    if m.group:
        doc["group"] = m.group
    return json.dumps(doc, ensure_ascii=False)


class Checker:
    def __init__(
        self,
        config: Config,
        *,
        events_out: IO[str] | None = None,
        on_event: Callable[[Event], None] | None = None,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        store: Store | None = None,
        extra: tuple[Monitor, ...] = (),
        clients: Clients | None = None,
        on_result: Callable[[Monitor, bool, int], None] | None = None,
    ) -> None:
        self.config = config
        self.file_monitors = (*config.monitors, *extra)  # the files' (and insa's own)
        self.by_key = {m.key: m for m in self.file_monitors}
        self.book = Book(
            (Rule(m.key, m.failure_threshold, m.success_threshold, m.depends_on) for m in self.file_monitors),
            lambda key: uuid.uuid4().hex[:12],
        )  # fmt: skip
        self.events_out = events_out
        self.on_event = on_event
        self.on_result = on_result
        self.now = now
        self.stats = Stats()
        self.clients = clients or Clients(rdap_servers=config.rdap_servers)
        self.clients.rdap.servers.update(config.rdap_servers)
        self.limit = asyncio.Semaphore(config.concurrency or DEFAULT_CONCURRENCY)
        self.store = store
        self.pending: list[tuple[dt.datetime, str, bool, int, str]] = []
        self._listed: dict[str, list[str]] = {}  # the affected lists as last stored
        self.pushed = [m for m in self.file_monitors if m.kind == "push"]
        self._seen: dict[str, dt.datetime] = {}  # the last call of each push monitor counted
        self._due: dict[str, dt.datetime] = {}  # when a missing call counts as a failed check
        self.silences: tuple[sil.Silence, ...] = ()
        self.planned: tuple[sil.Silence, ...] = ()  # the silences that are planned maintenance
        self.acknowledged: frozenset[str] = frozenset()
        self.web_keys: set[str] = set()  # monitors added in the web app
        self._web_version: tuple[tuple[str, str], ...] | None = None
        self._states: dict[str, str] = {}  # each monitor's state as last stored
        self._queue: list[tuple[float, int, str]] = []
        self._order = 0
        self._wake = asyncio.Event()
        self._keeping = asyncio.Lock()
        self._labels = {
            m.key: sil.labels_of(m.key, m.name, m.group, m.ministry) for m in self.file_monitors
        }

    @property
    def monitors(self) -> list[Monitor]:
        """The monitors the scheduler checks (every kind but push)."""
        return [m for m in self.by_key.values() if m.kind not in NOT_YET]

    def _schedule(self, m: Monitor, at: float) -> None:
        self._order += 1
        heapq.heappush(self._queue, (at, self._order, m.key))
        self._wake.set()

    def in_maintenance(self, m: Monitor, at: dt.datetime) -> bool:
        """A maintenance window of the file, or one the operators planned in the web app."""
        windows = (*m.maintenance, *((self.config.maintenance,) if self.config.maintenance else ()))
        if any(maintenance.active(w, at) for w in windows):
            return True
        return sil.silencing(self.planned, self._labels.get(m.key, {}), at) is not None

    def suppressed(self, m: Monitor, at: dt.datetime) -> bool:
        """No incident opens: a maintenance window, or a silence matching the monitor."""
        if self.in_maintenance(m, at):
            return True
        return sil.silencing(self.silences, self._labels.get(m.key, {}), at) is not None

    def state(self, m: Monitor, at: dt.datetime) -> str:
        st = self.book.state(m.key)
        if st in ("up", "unknown") and self.in_maintenance(m, at):
            return "maintenance"
        return st

    async def _keep(self, events: list[Event]) -> None:
        """Events and changed lists of affected monitors stored before they are told — one
        change at a time, in order (two checks ending together must not write an incident's
        resolution before its opening, or list a monitor twice)."""
        async with self._keeping:
            listed = {k: sorted(v) for k, v in affected_of(self.book).items()}
            if self.store is not None and (events or listed != self._listed):
                calls = [
                    d
                    for e in events
                    for d in deliveries(e, self.by_key[e.monitor], self.config.notifiers)
                ]
                from insa.watch.models import WatchNote
                from insa.watch.store import CHECKER

                at = self.now()
                notes = [WatchNote(incident=i, at=at, kind="listed", actor=CHECKER, public=False,
                                   text=", ".join(k for k in keys if k not in self._listed.get(i, [])))
                         for i, keys in listed.items() if set(keys) - set(self._listed.get(i, []))]  # fmt: skip
                await asyncio.to_thread(self.store.save_events, events, listed, calls, notes)
            self._listed = listed
            self._emit(events)

    async def _heartbeats(self) -> None:
        """Push monitors: each call a batch job makes is a check (failed when it says so); no
        call within heartbeat interval + grace is a failed check, once an interval."""
        assert self.store is not None
        start = self.now()
        for m in self.pushed:
            if m.heartbeat is not None:
                self._due[m.key] = start + dt.timedelta(
                    milliseconds=m.heartbeat.interval_ms + m.heartbeat.grace_ms
                )
        while True:
            calls = await asyncio.to_thread(self.store.pushes)
            now = self.now()
            for m in self.pushed:
                last_at, ok, error = calls.get(m.key, (None, None, None))
                if last_at is not None and last_at.tzinfo is None:
                    last_at = last_at.replace(tzinfo=dt.UTC)
                seen = self._seen.get(m.key)
                if last_at is not None and (seen is None or last_at > seen):
                    self._seen[m.key] = last_at
                    if m.heartbeat is not None:
                        self._due[m.key] = last_at + dt.timedelta(
                            milliseconds=m.heartbeat.interval_ms + m.heartbeat.grace_ms
                        )
                    good = ok is not False
                    cause = "" if good else f"배치 작업이 실패를 알렸습니다: {error or ''}".strip()
                elif m.key in self._due and now > self._due[m.key]:
                    assert m.heartbeat is not None
                    self._due[m.key] = now + dt.timedelta(milliseconds=m.heartbeat.interval_ms)
                    good = False
                    cause = f"정해진 시간({m.heartbeat.interval_ms // 1000}초 + 유예 {m.heartbeat.grace_ms // 1000}초) 안에 호출이 없었습니다"
                else:
                    continue
                self.stats.checks += 1
                self.pending.append((now, m.key, good, 0, cause))
                await self._keep(
                    self.book.record(m.key, good, cause, now, suppressed=self.suppressed(m, now))
                )
            await asyncio.sleep(PUSH_POLL)

    def _changed_states(self, at: dt.datetime) -> dict[str, tuple[str, dt.datetime]]:
        changed = {}
        for key, m in self.by_key.items():
            st = self.state(m, at)
            if self._states.get(key) != st:
                changed[key] = (st, at)
        return changed

    async def _flush(self) -> None:
        batch, self.pending = self.pending, []
        if self.store is None:
            return
        at = self.now()
        changed = self._changed_states(at)
        if batch or changed:
            await asyncio.to_thread(self.store.save_results, batch, changed)
            for key, (st, _) in changed.items():
                self._states[key] = st

    async def _sync(self) -> None:
        """What the operators changed in the web app: silences and planned maintenance,
        acknowledgements (no escalation then), incidents they resolved by hand, monitors
        they added, changed or removed."""
        assert self.store is not None
        now = self.now()
        got = await asyncio.to_thread(self.store.sync, list(self.book.open), now)
        self.silences, self.acknowledged = got.silences, got.acknowledged
        self.planned = tuple(s for s in got.silences if s.kind == "maintenance")
        for inc_id in got.closed:
            await self._keep(self.book.close(inc_id, now, CLOSED_BY_HAND))
        if got.web_version != self._web_version:
            self._web_version = got.web_version
            await self._reload_web()
        await self._follow_up(now)

    async def _reload_web(self) -> None:
        """The web app's monitors read again: new ones scheduled, changed ones replaced (the
        scheduler looks each one up when it is due), removed ones dropped."""
        from insa.watch.config import load_web

        assert self.store is not None
        rows = await asyncio.to_thread(self.store.web_definitions)
        base = Config(self.config.files, self.file_monitors, notifiers=self.config.notifiers)
        found = load_web([d for _, d, _ in rows], base)
        wanted = {m.key: m for m in found.monitors}
        now = self.now()
        for key in sorted(self.web_keys - set(wanted)):
            await self._keep(self.book.drop(key, now))  # told while the monitor is known
            self.by_key.pop(key, None)
            self._labels.pop(key, None)
            self._states.pop(key, None)
        start = time.monotonic()
        for key, m in wanted.items():
            new = key not in self.by_key
            self.by_key[key] = m
            self._labels[key] = sil.labels_of(m.key, m.name, m.group, m.ministry)
            self.book.add(Rule(m.key, m.failure_threshold, m.success_threshold, m.depends_on))
            if new and m.kind not in NOT_YET:
                self._schedule(m, start + random.uniform(0, min(m.interval_ms / 1000, 2.0)))
        self.web_keys = set(wanted)
        if wanted:
            await asyncio.to_thread(
                self.store.register, list(wanted.values()), now, dict.fromkeys(wanted, "web"), False
            )

    async def _follow_up(self, now: dt.datetime) -> None:
        """Escalations (an incident no one acknowledged within an alert's escalate-after,
        told once to its escalate-to) and reminders (every minimum-reminder-interval while
        it stays open), each stored with its timeline entry before it is sent."""
        assert self.store is not None
        from insa.watch.models import WatchNote
        from insa.watch.store import CHECKER

        open_ = [(i, inc) for i, inc in self.book.open.items()
                 if any(a.reminder_ms or a.escalate_after_ms for a in self.by_key[inc.monitor].alerts)]  # fmt: skip
        if not open_:
            return
        times = await asyncio.to_thread(self.store.incident_times, [i for i, _ in open_])
        for inc_id, inc in open_:
            if inc_id not in times:
                continue
            opened, escalated, reminded = times[inc_id]
            m = self.by_key[inc.monitor]
            for a in m.alerts:
                if (a.escalate_after_ms and a.escalate_to and escalated is None
                        and inc_id not in self.acknowledged
                        and now >= opened + dt.timedelta(milliseconds=a.escalate_after_ms)):  # fmt: skip
                    calls = ([follow_up(inc_id, m, "escalate", a.escalate_to, now, opened, inc.cause)]
                             if a.escalate_to in self.config.notifiers else [])  # fmt: skip
                    note = WatchNote(incident=inc_id, at=now, kind="escalated", actor=CHECKER,
                                     text=f"{a.escalate_after_ms // 60000}분 안에 확인되지 않아 {a.escalate_to}(으)로 상위 보고",
                                     public=False)  # fmt: skip
                    await asyncio.to_thread(
                        self.store.mark, inc_id, escalated_at=now, deliveries=calls, note=note
                    )
                    escalated = now
                if a.reminder_ms and a.delivers:
                    due = opened + dt.timedelta(milliseconds=a.reminder_ms * (reminded + 1))
                    if now >= due:
                        reminded += 1
                        calls = [
                            follow_up(inc_id, m, "remind", a.type, now, opened, inc.cause, reminded)
                        ]
                        note = WatchNote(incident=inc_id, at=now, kind="reminded", actor=CHECKER,
                                         text=f"{reminded}번째 재알림 ({a.type})", public=False)  # fmt: skip
                        await asyncio.to_thread(
                            self.store.mark, inc_id, reminders=reminded, deliveries=calls, note=note
                        )

    async def _prune(self) -> None:
        assert self.store is not None
        await asyncio.to_thread(
            self.store.prune,
            self.now(),
            dt.timedelta(milliseconds=self.config.retention_results_ms),
            dt.timedelta(milliseconds=self.config.retention_hourly_ms),
        )

    async def _flusher(self) -> None:
        """Results stored every second with the states they changed, what the operators
        changed read, notifications sent; results past their retention removed hourly."""
        assert self.store is not None
        pruned = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            await self._flush()
            await self._sync()
            await asyncio.to_thread(self.store.deliver, self.config.notifiers, self.now())
            if time.monotonic() - pruned >= PRUNE_EVERY:
                pruned = time.monotonic()
                await self._prune()

    def _emit(self, events: list[Event]) -> None:
        for e in events:
            self.stats.events += 1
            if self.events_out is not None:
                self.events_out.write(event_line(e, self.by_key) + "\n")
                self.events_out.flush()
            if self.on_event is not None:
                self.on_event(e)

    async def _one(self, m: Monitor, due: float) -> None:
        async with self.limit:
            late = max(0, int((time.monotonic() - due) * 1000))
            started = self.now()
            seen = await check(m, self.clients)
        ok, failed = outcome(m, seen)
        at = self.now()
        self.stats.checks += 1
        self.stats.per_monitor[m.key] = self.stats.per_monitor.get(m.key, 0) + 1
        self.stats.late_ms.append(late)
        if self.on_result is not None:
            self.on_result(m, ok, seen.observation.response_time_ms)
        cause = "; ".join(failed)[:500]
        self.pending.append((at, m.key, ok, seen.observation.response_time_ms, cause))
        await self._keep(
            self.book.record(
                m.key, ok, cause, at, suppressed=self.suppressed(m, at), started=started
            )
        )

    async def run(self, duration: float | None = None) -> Stats:
        """Until cancelled, or for ``duration`` seconds."""
        start = time.monotonic()
        stop = start + duration if duration is not None else None
        rnd = random.Random()
        monitors = self.monitors
        # the first checks spread over a few seconds — over more when there are so many that
        # a few seconds would be a burst (10,000 monitors: over 50 s, or their interval)
        spread = max(FIRST_SPREAD, len(monitors) / FIRST_RATE)
        for m in monitors:
            self._schedule(m, start + rnd.uniform(0, min(m.interval_ms / 1000, spread)))
        running: set[asyncio.Task[None]] = set()
        flusher = None
        if self.store is not None:
            await asyncio.to_thread(self.store.register, self.file_monitors, self.now())
            await self._sync()  # silences, and the web app's monitors, before the first check
            self.book.restore(await asyncio.to_thread(self.store.open_incidents))
            self._listed = {k: sorted(v) for k, v in affected_of(self.book).items()}
            await self._prune()
            if self.pushed:
                await asyncio.to_thread(
                    self.store.register_pushes, {m.token: m.key for m in self.pushed}
                )
            flusher = asyncio.create_task(self._flusher())
        beats = (
            asyncio.create_task(self._heartbeats())
            if self.pushed and self.store is not None
            else None
        )
        try:
            while True:
                now = time.monotonic()
                if stop is not None and now >= stop:
                    break
                due = self._queue[0][0] if self._queue else float("inf")
                if due > now:
                    wait = min(due, stop if stop is not None else float("inf")) - now
                    self._wake.clear()
                    try:  # a monitor added meanwhile wakes the scheduler
                        await asyncio.wait_for(self._wake.wait(), timeout=min(wait, 3600.0))
                    except TimeoutError:
                        pass
                    continue
                due, _, key = heapq.heappop(self._queue)
                if key not in self.by_key or self.by_key[key].kind in NOT_YET:
                    continue  # removed meanwhile
                m = self.by_key[key]
                task = asyncio.create_task(self._one(m, due))
                running.add(task)
                task.add_done_callback(running.discard)
                step = m.interval_ms / 1000
                following = due + step
                if following < now:  # fell behind (a stall): no burst of missed checks
                    following = now + step
                self._order += 1
                heapq.heappush(self._queue, (following, self._order, key))
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            for background in (flusher, beats):
                if background is not None:
                    background.cancel()
            await self._flush()
            if self.store is not None:  # what is due goes out before stopping
                await asyncio.to_thread(self.store.deliver, self.config.notifiers, self.now())
            await self.clients.close()
        return self.stats


def run(config: Config, events_out: Path | None, duration: float | None,
        on_event: Callable[[Event], None] | None = None, store: Store | None = None,
        extra: tuple[Monitor, ...] = (), clients: Clients | None = None,
        on_result: Callable[[Monitor, bool, int], None] | None = None) -> Stats:  # fmt: skip
    """The checker in this process (``insa watch run``)."""
    out = events_out.open("a", encoding="utf-8") if events_out is not None else None
    try:
        checker = Checker(config, events_out=out, on_event=on_event, store=store, extra=extra,
                          clients=clients, on_result=on_result)  # fmt: skip
        return asyncio.run(checker.run(duration))
    finally:
        if out is not None:
            out.close()
