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
from insa.watch.conditions import evaluate
from insa.watch.incidents import Book, Event, Rule, affected_of
from insa.watch.notify import deliveries
from insa.watch.probes import Clients, Seen, check
from insa.watch.schemas import Config, Monitor

if TYPE_CHECKING:
    from insa.watch.store import Store

DEFAULT_CONCURRENCY = 200
LATE_SAMPLE = 100_000  # the checks' lateness kept for the run's p99 (a bounded sample)
PUSH_POLL = 0.5  # seconds between reads of the push monitors' calls
ROLL_UP_EVERY = 3600.0  # seconds between roll-ups of old results during a run
NOT_YET = ("push",)  # kinds the scheduler does not check itself: they are called (heartbeats)


@dataclass
class Stats:
    checks: int = 0
    late_ms: deque[int] = field(default_factory=lambda: deque(maxlen=LATE_SAMPLE))  # the latest
    events: int = 0


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
    ) -> None:
        self.config = config
        self.monitors = [m for m in config.monitors if m.kind not in NOT_YET]
        self.by_key = {m.key: m for m in config.monitors}
        self.book = Book(
            (Rule(m.key, m.failure_threshold, m.success_threshold, m.depends_on) for m in config.monitors),
            lambda key: uuid.uuid4().hex[:12],
        )  # fmt: skip
        self.events_out = events_out
        self.on_event = on_event
        self.now = now
        self.stats = Stats()
        self.clients = Clients()
        self.limit = asyncio.Semaphore(config.concurrency or DEFAULT_CONCURRENCY)
        self.store = store
        self.pending: list[tuple[dt.datetime, str, bool, int, str]] = []
        self._listed: dict[str, list[str]] = {}  # the affected lists as last stored
        self.pushed = [m for m in config.monitors if m.kind == "push"]
        self._seen: dict[str, dt.datetime] = {}  # the last call of each push monitor counted
        self._due: dict[str, dt.datetime] = {}  # when a missing call counts as a failed check

    def suppressed(self, m: Monitor, at: dt.datetime) -> bool:
        windows = (*m.maintenance, *((self.config.maintenance,) if self.config.maintenance else ()))
        return any(maintenance.active(w, at) for w in windows)

    async def _keep(self, events: list[Event]) -> None:
        """Events and changed lists of affected monitors stored before they are told."""
        listed = {k: sorted(v) for k, v in affected_of(self.book).items()}
        if self.store is not None and (events or listed != self._listed):
            calls = [
                d
                for e in events
                for d in deliveries(e, self.by_key[e.monitor], self.config.notifiers)
            ]
            await asyncio.to_thread(self.store.save_events, events, listed, calls)
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

    async def _flush(self) -> None:
        batch, self.pending = self.pending, []
        if self.store is not None and batch:
            await asyncio.to_thread(self.store.save_results, batch)

    async def _flusher(self) -> None:
        """Results stored every second; old ones rolled up every hour."""
        rolled = time.monotonic()
        while True:
            await asyncio.sleep(1.0)
            await self._flush()
            if self.store is not None and self.config.notifiers:
                await asyncio.to_thread(self.store.deliver, self.config.notifiers, self.now())
            if self.store is not None and time.monotonic() - rolled >= ROLL_UP_EVERY:
                rolled = time.monotonic()
                await asyncio.to_thread(self.store.roll_up, self.now())

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
            seen = await check(m, self.clients)
        ok, failed = outcome(m, seen)
        at = self.now()
        self.stats.checks += 1
        self.stats.late_ms.append(late)
        cause = "; ".join(failed)[:500]
        self.pending.append((at, m.key, ok, seen.observation.response_time_ms, cause))
        await self._keep(self.book.record(m.key, ok, cause, at, suppressed=self.suppressed(m, at)))

    async def run(self, duration: float | None = None) -> Stats:
        """Until cancelled, or for ``duration`` seconds."""
        start = time.monotonic()
        stop = start + duration if duration is not None else None
        rnd = random.Random()
        queue: list[tuple[float, int, Monitor]] = []
        for i, m in enumerate(self.monitors):  # the first checks spread over a few seconds
            heapq.heappush(queue, (start + rnd.uniform(0, min(m.interval_ms / 1000, 5.0)), i, m))
        running: set[asyncio.Task[None]] = set()
        flusher = None
        if self.store is not None:
            self.book.restore(await asyncio.to_thread(self.store.open_incidents))
            self._listed = {k: sorted(v) for k, v in affected_of(self.book).items()}
            await asyncio.to_thread(self.store.roll_up, self.now())
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
            if not queue:  # push monitors only: they are called, nothing to schedule
                if duration is None:
                    await asyncio.Event().wait()  # until cancelled
                else:
                    await asyncio.sleep(duration)
            while queue:
                due, i, m = queue[0]
                now = time.monotonic()
                if stop is not None and min(due, stop) >= stop:
                    await asyncio.sleep(max(0.0, stop - now))
                    break
                if due > now:
                    await asyncio.sleep(due - now)
                    continue
                heapq.heappop(queue)
                task = asyncio.create_task(self._one(m, due))
                running.add(task)
                task.add_done_callback(running.discard)
                step = m.interval_ms / 1000
                following = due + step
                if following < now:  # fell behind (a stall): no burst of missed checks
                    following = now + step
                heapq.heappush(queue, (following, i, m))
        finally:
            if running:
                await asyncio.gather(*running, return_exceptions=True)
            for background in (flusher, beats):
                if background is not None:
                    background.cancel()
            await self._flush()
            if (
                self.store is not None and self.config.notifiers
            ):  # what is due goes out before stopping
                await asyncio.to_thread(self.store.deliver, self.config.notifiers, self.now())
            await self.clients.close()
        return self.stats


def run(config: Config, events_out: Path | None, duration: float | None,
        on_event: Callable[[Event], None] | None = None, store: Store | None = None) -> Stats:  # fmt: skip
    """The checker in this process (``insa watch run``)."""
    out = events_out.open("a", encoding="utf-8") if events_out is not None else None
    try:
        checker = Checker(config, events_out=out, on_event=on_event, store=store)
        return asyncio.run(checker.run(duration))
    finally:
        if out is not None:
            out.close()
