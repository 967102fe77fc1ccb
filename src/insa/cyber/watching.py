"""``insa cyber watch``: the look-alike hunt, running. Feeds — a directory where daily
newly-registered-domain files arrive, a certificate-transparency stream of JSON lines (in
certstream's shape) read from a file as it grows or from a TCP socket — are read by threads
into one queue; every second what arrived is scored, its alerts recorded as cases (one per
domain) and each new case told through the notification path every package uses
(:mod:`insa.notify`, Apprise), retried until delivered — its timeline records it once.
What was read is remembered (files by size and time, streams by offset) in a state file, so
a restarted watcher neither misses nor repeats."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from insa.cyber import cases
from insa.cyber.models import CyberCase, CyberCaseEvent
from insa.cyber.scan import CandidateError, judge_pages, normalise, read_candidates
from insa.cyber.schemas import Assets
from insa.cyber.signals import prepare, score
from insa.db.engine import session_scope
from insa.notify import RETRY_WAITS, send

POLL = 1.0
RECHECK_EVERY = 6 * 3600.0  # seconds between re-checks of a watched domain's page
RECHECK_FOR = 30 * 86400.0  # … for this long after it was first seen
RECHECK_BATCH = 50  # re-checks a second, at most
STABLE = 1.0  # seconds a new file's size must hold before it is read (it may still be written)


@dataclass
class Stats:
    read: int = 0
    alerts: int = 0
    opened: int = 0
    notified: int = 0
    rechecked: int = 0
    errors: list[str] = field(default_factory=list)


class State:
    """What the feeds have read: files by (size, mtime), streams by byte offset."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.doc: dict[str, Any] = {"files": {}, "offsets": {}}
        if path.exists():
            try:
                self.doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass
        self.lock = threading.Lock()

    def save(self) -> None:
        with self.lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(json.dumps(self.doc), encoding="utf-8")
            tmp.replace(self.path)


def _names(line: str) -> list[str]:
    """The candidate names of one feed line (a name, or a certstream message); a line that
    is neither gives none (a live feed is not stopped by one bad line)."""
    line = line.strip()
    if not line or line.startswith("#"):
        return []
    if line.startswith("{"):
        try:
            got = json.loads(line)["data"]["leaf_cert"]["all_domains"]
        except (ValueError, KeyError, TypeError):
            return []
        names = [str(x) for x in got] if isinstance(got, list) else []
    else:
        names = [line.split()[0]]
    return [d for d in map(normalise, names) if d is not None]


class Watcher:
    def __init__(self, assets: Assets, engine: Engine, *, notify: Iterable[str] = (), state: Path,
                 base_url: str = "", say: Callable[[str], None] = print, fetch: bool = False,
                 proxy: str | None = None, fingerprints: Path | None = None,
                 recheck_every: float = RECHECK_EVERY) -> None:  # fmt: skip
        self.assets = assets
        self.prep = prepare(assets)
        self.engine = engine
        self.urls = tuple(notify)
        self.state = State(state)
        self.base_url = base_url.rstrip("/")
        self.say = say
        self.inbox: queue.Queue[tuple[str, dt.datetime]] = queue.Queue()
        self.stop = threading.Event()
        self.stats = Stats()
        self.pending: dict[str, tuple[float, int]] = {}  # case id → (next attempt, attempts)
        self.fetch, self.proxy, self.recheck_every = fetch, proxy, recheck_every
        self.officials: dict[str, Any] = {}
        if fetch and fingerprints is not None:
            from insa.cyber.evidence import load_fingerprints

            self.officials = load_fingerprints(fingerprints)
        self.state.doc.setdefault(
            "rechecks", {}
        )  # domain → [next check (epoch s), first seen (epoch s)]

    # ---------------------------------------------------------------- feeds

    def watch_dir(self, folder: Path) -> None:
        sizes: dict[str, tuple[int, float, float]] = {}
        while not self.stop.is_set():
            for p in sorted(folder.iterdir()) if folder.is_dir() else []:
                if not p.is_file() or p.name.startswith("."):
                    continue
                st = p.stat()
                key = str(p.resolve())
                if self.state.doc["files"].get(key) == [st.st_size, st.st_mtime]:
                    continue
                seen = sizes.get(key)
                if seen is None or seen[:2] != (st.st_size, st.st_mtime):
                    sizes[key] = (st.st_size, st.st_mtime, time.monotonic())
                    continue
                if time.monotonic() - seen[2] < STABLE:
                    continue
                try:
                    got = read_candidates(p)
                    now = dt.datetime.now(dt.UTC)
                    for d in got.domains:
                        self.inbox.put((d, now))
                    self.say(f"{p.name}: 후보 {len(got.domains):,}개")
                except (CandidateError, OSError) as exc:
                    self.stats.errors.append(str(exc).splitlines()[0])
                    self.say(f"[읽지 못함] {exc}")
                with self.state.lock:
                    self.state.doc["files"][key] = [st.st_size, st.st_mtime]
                self.state.save()
            self.stop.wait(POLL)

    def follow_file(self, path: Path) -> None:
        key = str(path.resolve())
        offset = int(self.state.doc["offsets"].get(key, 0))
        buf = b""
        while not self.stop.is_set():
            try:
                with path.open("rb") as f:
                    if os.path.getsize(path) < offset:  # rotated: start again
                        offset = 0
                    f.seek(offset)
                    chunk = f.read(1 << 20)
            except OSError:
                chunk = b""
            if chunk:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                offset += len(chunk)
                now = dt.datetime.now(dt.UTC)
                for line in lines:
                    for d in _names(line.decode("utf-8", "replace")):
                        self.inbox.put((d, now))
                with self.state.lock:
                    self.state.doc["offsets"][key] = offset - len(buf)
            else:
                self.stop.wait(POLL / 2)

    def follow_socket(self, host: str, port: int) -> None:
        wait = 1.0
        while not self.stop.is_set():
            try:
                with socket.create_connection((host, port), timeout=5) as s:
                    s.settimeout(0.5)
                    wait, buf = 1.0, b""
                    while not self.stop.is_set():
                        try:
                            chunk = s.recv(65536)
                        except TimeoutError:
                            continue
                        if not chunk:
                            break
                        buf += chunk
                        *lines, buf = buf.split(b"\n")
                        now = dt.datetime.now(dt.UTC)
                        for line in lines:
                            for d in _names(line.decode("utf-8", "replace")):
                                self.inbox.put((d, now))
            except OSError as exc:
                self.say(f"[연결 끊김] {host}:{port}: {exc}; {wait:.0f}초 뒤 다시 연결")
            self.stop.wait(wait)
            wait = min(60.0, wait * 2)

    # ---------------------------------------------------------------- the loop

    def _batch(self) -> None:
        got: dict[str, dt.datetime] = {}
        while True:
            try:
                d, at = self.inbox.get_nowait()
            except queue.Empty:
                break
            got.setdefault(d, at)
        if not got:
            return
        self.stats.read += len(got)
        self._judge([score(d, self.prep) for d in got], got)

    def _judge(self, findings: list[Any], seen: dict[str, dt.datetime]) -> None:
        """Findings (with their pages when fetching) → cases for the alerts, re-checks for
        the matched domains left to watch."""
        pages: dict[str, Any] = {}
        if self.fetch:
            findings, pages = judge_pages(findings, self.proxy, self.officials, threads=8)
            now = time.time()
            with self.state.lock:
                rechecks = self.state.doc["rechecks"]
                for f in findings:
                    if f.verdict == "watch" and f.asset:
                        first = rechecks.get(f.domain, [0, now])[1]
                        if now - first < RECHECK_FOR:
                            rechecks[f.domain] = [now + self.recheck_every, first]
                    elif f.verdict == "alert":
                        rechecks.pop(f.domain, None)
        alerts = [f for f in findings if f.verdict == "alert"]
        self.stats.alerts += len(alerts)
        if alerts:
            with session_scope(self.engine) as db:
                before = set(db.scalars(select(CyberCase.id)))
                for f in alerts:
                    opened, _ = cases.record(db, [f], self.assets, seen_at=seen.get(f.domain), pages=pages,
                                             officials=self.officials)  # fmt: skip
                    self.stats.opened += opened
                new = set(db.scalars(select(CyberCase.id))) - before
            for case_id in new:
                self.pending[case_id] = (0.0, 0)
            for f in alerts:
                self.say(f"[경보] {f.domain} ({f.asset}, 점수 {f.score}) {';'.join(f.reasons)}")

    def _recheck(self) -> None:
        """Watched domains whose re-check is due: their page fetched and judged again (a
        parked page that turns into a clone alerts)."""
        if not self.fetch:
            return
        now = time.time()
        with self.state.lock:
            due = [d for d, (at, _) in self.state.doc["rechecks"].items() if at <= now][
                :RECHECK_BATCH
            ]
        if due:
            self.stats.rechecked += len(due)
            self._judge([score(d, self.prep) for d in due], {})

    def _takedowns(self) -> None:
        """Cases whose takedown was requested: their page re-checked every re-check interval
        until it is gone, then marked verified down."""
        if not self.fetch:
            return
        from sqlalchemy import func

        from insa.cyber.models import CyberEvidence
        from insa.cyber.pages import fetch

        cut = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self.recheck_every)
        with session_scope(self.engine) as db:
            last = (select(CyberEvidence.case_id, func.max(CyberEvidence.at).label("at"))
                    .group_by(CyberEvidence.case_id).subquery())  # fmt: skip
            rows = db.execute(select(CyberCase).outerjoin(last, last.c.case_id == CyberCase.id)
                              .where(CyberCase.status == "takedown_requested")
                              .where((last.c.at.is_(None)) | (last.c.at < cut)).limit(RECHECK_BATCH)).scalars().all()  # fmt: skip
            for c in rows:
                if cases.verify(
                    db, c, fetch(c.domain, self.proxy), cases.SCANNER, officials=self.officials
                ):
                    self.say(f"[차단 확인] {c.domain}")
                self.stats.rechecked += 1

    def _unnotified(self) -> None:
        """Cases opened but never told (a crash between the two): told now."""
        with session_scope(self.engine) as db:
            told = set(
                db.scalars(
                    select(CyberCaseEvent.case_id).where(CyberCaseEvent.action == "notified")
                )
            )
            for cid in db.scalars(select(CyberCase.id).where(CyberCase.status == "new")):
                if cid not in told:
                    self.pending.setdefault(cid, (0.0, 0))

    def _notify(self) -> None:
        if not self.urls:
            self.pending.clear()
            return
        now = time.monotonic()
        for cid, (due, attempts) in list(self.pending.items()):
            if due > now:
                continue
            with session_scope(self.engine) as db:
                c = db.get(CyberCase, cid)
                if c is None:
                    self.pending.pop(cid)
                    continue
                title = f"[사칭 사이트] {c.domain} ({c.asset}, 점수 {c.score})"
                body = "\n".join([f"사칭 의심: {c.domain} → {c.asset} ({c.ministry})", f"근거: {c.reasons.replace(';', ', ')}",
                                  f"사건: {self.base_url}/cyber/cases/{c.id}" if self.base_url else f"사건 번호: {c.id}"])  # fmt: skip
                error = send(self.urls, title, body)
                if error is None:
                    cases.event(
                        db,
                        c.id,
                        "notified",
                        cases.SCANNER,
                        ", ".join(u.split("://")[0] for u in self.urls),
                    )
                    self.pending.pop(cid)
                    self.stats.notified += 1
                elif attempts < len(RETRY_WAITS):
                    self.pending[cid] = (now + RETRY_WAITS[attempts], attempts + 1)
                else:
                    self.pending.pop(cid)
                    self.say(f"[알림 실패] {c.domain}: {error}")

    def run(self, feeds: Iterable[str], duration: float | None = None) -> Stats:
        threads = []
        for spec in feeds:
            if spec.startswith("tcp://"):
                host, _, port = spec[6:].rpartition(":")
                target: Callable[..., None] = self.follow_socket
                args: tuple[Any, ...] = (host or "127.0.0.1", int(port))
            elif Path(spec).is_dir():
                target, args = self.watch_dir, (Path(spec),)
            else:
                target, args = self.follow_file, (Path(spec),)
            t = threading.Thread(target=target, args=args, daemon=True, name=f"feed {spec}")
            t.start()
            threads.append(t)
        self._unnotified()
        end = time.monotonic() + duration if duration is not None else None
        try:
            while end is None or time.monotonic() < end:
                self._batch()
                self._recheck()
                self._takedowns()
                self._notify()
                self.state.save()
                time.sleep(POLL)
        finally:
            self.stop.set()
            for t in threads:
                t.join(5)
            self._batch()
            self._notify()
            self.state.save()
        return self.stats
