"""The control tower's collector (``insa cyber collect``): syslog over UDP and TCP (RFC 5424
and RFC 3164; on TCP octet-counted or newline-framed, RFC 6587) and the HTTP pushes the web
app has spooled, each line normalised to ECS, stored in Parquet (by day and ministry),
matched by the Sigma rules, correlated, grouped into incidents in the database, and each
new incident told through :mod:`insa.notify`.

Which ministry an event is: a syslog sender's, by its address (``senders``), or the
listener's; a push's, by its token (the web app's). Nothing is dropped silently: a line that
is not an event is a dead letter with why; TCP and HTTP wait rather than lose (a full queue
stops reading the socket; a full spool answers 503), and UDP, which cannot wait, counts
what it drops. A pushed batch was written whole to the spool before it was acknowledged,
and leaves the spool only once stored: a restart loses none of them."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import os
import queue
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml
from sqlalchemy import Engine

from insa.cyber import store, tower
from insa.cyber.ecs import Event, ParseError, event_time, from_line, from_object
from insa.cyber.incidents import Grouper, Incident
from insa.cyber.sigma import Alert, RuleSet
from insa.cyber.sigma import Engine as RuleEngine
from insa.files import sha256_file

log = logging.getLogger(__name__)
BATCH = 5000
FUTURE = dt.timedelta(minutes=5)  # how far ahead of its receipt an event's time is believed
CHUNK = 256  # lines a queue item holds, about
FLUSH_SECONDS = 1.0
MAX_FRAME = 64 * 1024


class ConfigError(ValueError):
    """What is wrong with the collector's configuration (Korean, with the file)."""


@dataclass
class Sender:
    ministry: str
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]


@dataclass
class Config:
    udp: tuple[str, int] | None = None
    tcp: tuple[str, int] | None = None
    ministry: str | None = None  # the listeners' ministry for a sender in no network below
    senders: list[Sender] = field(default_factory=list)
    rules: list[Path] = field(default_factory=list)  # none: the shipped rules
    indicators: Path | None = None
    notify: list[str] = field(default_factory=list)
    name: str = "collector"
    files: list[tuple[str, Path]] = field(
        default_factory=list
    )  # (ministry, folder of JSON lines files)
    retention_days: int | None = None  # None: params/events.yaml's
    local: dt.tzinfo = (
        dt.UTC
    )  # the zone of times a line writes without one (RFC 3164, key=value date/time)

    def ministry_of(self, addr: str) -> str | None:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return self.ministry
        for s in self.senders:
            if any(ip in n for n in s.networks):
                return s.ministry
        return self.ministry


def _hostport(value: Any, where: str) -> tuple[str, int]:
    text = str(value)
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{where}: '호스트:포트'여야 합니다: {text}")
    return host.strip("[]"), int(port)


def load_config(path: Path) -> Config:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"{path}:{mark.line + 1 if mark else '?'}: YAML을 읽지 못했습니다"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: 읽지 못했습니다 ({exc.strerror})") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: 최상위는 매핑이어야 합니다")
    unknown = set(doc) - {
        "listen",
        "ministry",
        "senders",
        "rules",
        "indicators",
        "notify",
        "name",
        "files",
        "retention_days",
        "timezone",
    }
    if unknown:
        raise ConfigError(f"{path}: 알 수 없는 항목입니다: {', '.join(sorted(unknown))}")
    listen = doc.get("listen") or {}
    cfg = Config(name=str(doc.get("name") or "collector"), ministry=doc.get("ministry"))
    if listen.get("udp"):
        cfg.udp = _hostport(listen["udp"], f"{path}: listen.udp")
    if listen.get("tcp"):
        cfg.tcp = _hostport(listen["tcp"], f"{path}: listen.tcp")
    for i, s in enumerate(doc.get("senders") or []):
        if not isinstance(s, dict) or not s.get("ministry") or not s.get("networks"):
            raise ConfigError(f"{path}: senders[{i}]에 ministry와 networks가 있어야 합니다")
        try:
            nets = [ipaddress.ip_network(str(n), strict=False) for n in s["networks"]]
        except ValueError as exc:
            raise ConfigError(f"{path}: senders[{i}].networks: {exc}") from None
        cfg.senders.append(Sender(str(s["ministry"]), nets))
    base = path.parent
    cfg.rules = [(base / str(r)).resolve() for r in doc.get("rules") or []]
    if doc.get("indicators"):
        cfg.indicators = (base / str(doc["indicators"])).resolve()
    cfg.notify = [str(u) for u in doc.get("notify") or []]
    if doc.get("timezone") is not None:
        m = re.fullmatch(r"([+-])(\d\d):?(\d\d)", str(doc["timezone"]).strip())
        if not m:
            raise ConfigError(f"{path}: timezone은 +09:00 꼴입니다: {doc['timezone']}")
        cfg.local = dt.timezone(
            (1 if m[1] == "+" else -1) * dt.timedelta(hours=int(m[2]), minutes=int(m[3]))
        )
    if doc.get("retention_days") is not None:
        days = doc["retention_days"]
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise ConfigError(f"{path}: retention_days는 1 이상의 정수(일)입니다: {days}")
        cfg.retention_days = days
    for i, f in enumerate(doc.get("files") or []):
        if not isinstance(f, dict) or not f.get("ministry") or not f.get("path"):
            raise ConfigError(f"{path}: files[{i}]에 ministry와 path가 있어야 합니다")
        cfg.files.append((str(f["ministry"]), (base / str(f["path"])).resolve()))
    return cfg


def spool_batch(spool: Path, ministry: str, docs: Sequence[Mapping[str, Any]], limit: int) -> Path:
    """An HTTP push's batch, written whole (fsync, then renamed) before it is acknowledged;
    :class:`SpoolFull` when ``limit`` files already wait (the sender retries: back-pressure)."""
    import os
    import uuid

    spool.mkdir(parents=True, exist_ok=True)
    if sum(1 for _ in spool.glob("*.jsonl")) >= limit:
        raise SpoolFull()
    name = f"{time.time_ns():020d}-{ministry}-{uuid.uuid4().hex[:8]}"
    tmp = spool / f".{name}.tmp"
    with open(tmp, "wb") as f:
        for d in docs:
            f.write(orjson.dumps(d) + b"\n")
        f.flush()
        os.fsync(f.fileno())
    final = spool / f"{name}.jsonl"
    os.replace(tmp, final)
    return final


class SpoolFull(Exception):
    """Too many pushed batches wait: try again later."""


@dataclass(slots=True)
class Raw:
    line: str
    ministry: str | None
    source: str  # udp, tcp, http
    received: dt.datetime


class Collector:
    def __init__(self, cfg: Config, rules: RuleSet, db: Engine | None, events_dir: Path, dead_dir: Path, spool: Path,
                 *, queue_size: int = 20_000, udp_queue: int = 100_000, window_seconds: int = 1800) -> None:  # fmt: skip
        self.cfg, self.rules, self.db = cfg, rules, db
        self.events_dir, self.dead_dir, self.spool = events_dir, dead_dir, spool
        # chunks of lines (a TCP read, a few milliseconds of datagrams); at most ``queue_size`` lines wait
        self.q: queue.Queue[list[Raw]] = queue.Queue()
        self.queue_size = queue_size
        self.udp_queue = (
            udp_queue  # datagrams cannot wait: they may queue deeper before one is dropped
        )
        self._queued = 0
        self._lock = threading.Lock()
        self._udp: list[Raw] = []
        self.counters: Counter[str] = Counter()
        self.engine = RuleEngine(rules)
        self.grouper = Grouper(window_seconds, keep_closed=False)
        self.run_id = f"{int(time.time() * 1000):x}"
        self.seq = 0
        self.started = dt.datetime.now(dt.UTC)
        self.stop = threading.Event()
        self.udp_port: int | None = None
        self.tcp_port: int | None = None
        self.latencies: list[
            float
        ] = []  # receipt → alert stored, seconds (the benchmark reads them)
        self._hits_saved: Counter[str] = Counter()
        self._codes: dict[str, int] | None = None

    # -- network (the asyncio loop) ----------------------------------------------------------

    async def serve(self) -> list[Any]:
        loop = asyncio.get_running_loop()
        servers: list[Any] = []
        if self.cfg.udp:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(self), local_addr=self.cfg.udp
            )
            sock = transport.get_extra_info("socket")
            try:
                import socket

                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 * 2**20)
            except OSError:
                pass
            self.udp_port = sock.getsockname()[1]
            servers.append(transport)
        if self.cfg.tcp:
            server = await asyncio.start_server(self._tcp, *self.cfg.tcp, limit=MAX_FRAME * 2)
            self.tcp_port = server.sockets[0].getsockname()[1]
            servers.append(server)
        return servers

    def offer(self, raws: list[Raw], limit: int | None = None) -> bool:
        """Queue the lines, unless that would put more than ``limit`` (``queue_size``) waiting
        (a chunk is always taken when nothing waits)."""
        with self._lock:
            if self._queued and self._queued + len(raws) > (limit or self.queue_size):
                return False
            self._queued += len(raws)
        self.q.put_nowait(raws)
        return True

    async def _flush_udp(self) -> None:
        """The datagrams of the last few milliseconds as one chunk; dropped (and counted)
        when the queue is full — UDP cannot wait."""
        while not self.stop.is_set():
            await asyncio.sleep(0.005)
            if self._udp:
                chunk, self._udp = self._udp, []
                if not self.offer(chunk, self.udp_queue):
                    self.counters["udp_dropped"] += len(chunk)

    async def _tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        ministry = self.cfg.ministry_of(peer[0] if peer else "")
        self.counters["tcp_connections"] += 1
        buf = b""
        try:
            while not self.stop.is_set():
                chunk = await reader.read(256 * 1024)
                if not chunk:
                    break
                buf += chunk
                try:
                    frames, buf = split_frames(buf)
                except (
                    ValueError
                ) as exc:  # a frame longer than allowed: the stream cannot be framed any more
                    self._dead_now(Raw(buf[:MAX_FRAME].decode("utf-8", "replace"), ministry, "tcp", dt.datetime.now(dt.UTC)),
                                   f"TCP 틀을 읽지 못했습니다: {exc}")  # fmt: skip
                    break
                if not frames:
                    continue
                now = dt.datetime.now(dt.UTC)
                lines = [Raw(f.decode("utf-8", "replace"), ministry, "tcp", now) for f in frames]
                while not self.offer(lines):  # back-pressure: stop reading until there is room
                    self.counters["tcp_waits"] += 1
                    await asyncio.sleep(0.005)
                self.counters["received_tcp"] += len(frames)
            if buf.strip():  # the last line, without its newline
                while not self.offer(
                    [Raw(buf.decode("utf-8", "replace"), ministry, "tcp", dt.datetime.now(dt.UTC))]
                ):
                    await asyncio.sleep(0.005)
                self.counters["received_tcp"] += 1
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _dead_now(self, raw: Raw, why: str) -> None:
        store.write_dead(
            self.dead_dir, [(raw.received, raw.ministry or "", raw.source, why, raw.line)]
        )
        self.counters["dead"] += 1

    # -- processing (a thread) ---------------------------------------------------------------

    def _take(self, wait_for: float = FLUSH_SECONDS) -> list[Raw]:
        out: list[Raw] = []
        deadline = time.monotonic() + wait_for
        while len(out) < BATCH:
            wait = deadline - time.monotonic()
            if wait <= 0:
                break
            try:
                got = self.q.get(timeout=min(wait, 0.05)) if not out else self.q.get_nowait()
                with self._lock:
                    self._queued -= len(got)
                out += got
            except queue.Empty:
                if out:
                    break
                if self.stop.is_set():
                    break
        return out

    def process(
        self,
        raws: Sequence[Raw],
        stem: str | None = None,
        docs: Sequence[tuple[Mapping[str, Any], str]] = (),
        source: str = "http",
    ) -> None:
        """One batch (lines, or JSON objects from ``source``): normalise, store, match,
        correlate, record."""
        events: list[Event] = []
        dead: list[tuple[dt.datetime, str, str, str, str]] = []
        received: list[dt.datetime] = []
        for r in raws:
            if r.ministry is None:
                dead.append(
                    (
                        r.received,
                        "",
                        r.source,
                        "보낸 곳이 어느 부처인지 모릅니다 (senders에 없는 주소)",
                        r.line,
                    )
                )
                continue
            try:
                e = from_line(r.line, r.ministry, r.received, local=self.cfg.local)
            except ParseError as exc:
                dead.append((r.received, r.ministry, r.source, str(exc), r.line))
                continue
            events.append(e)
            received.append(r.received)
        now = dt.datetime.now(dt.UTC)
        for doc, ministry in docs:
            try:
                events.append(from_object(doc, ministry, now))
                received.append(now)
            except ParseError as exc:
                dead.append((now, ministry, source, str(exc), orjson.dumps(doc).decode()[:65536]))
        seqs = []
        for e in events:
            self.seq += 1
            e["event.id"] = tower.event_id(self.run_id, self.seq)
            seqs.append(self.seq)
        if events:
            store.write_events(self.events_dir, events, stem)
        if dead:
            store.write_dead(self.dead_dir, dead, stem)
        self.counters["stored"] += len(events)
        self.counters["dead"] += len(dead)
        touched: dict[str, Incident] = {}
        alerts: list[tuple[Alert, Incident]] = []
        first_alert_at: list[dt.datetime] = []
        # the events' own clock — but never ahead of their receipt by more than FUTURE: a device
        # whose clock or zone is wrong must not close every window and incident before its time
        clock = [min(event_time(e), received[i] + FUTURE) for i, e in enumerate(events)]
        order = sorted(range(len(events)), key=lambda i: clock[i])
        for i in order:
            for a in self.engine.feed(seqs[i], events[i], clock[i]):
                inc = self.grouper.add(a)
                touched[inc.id] = inc
                alerts.append((a, inc))
                if not a.continued:
                    first_alert_at.append(received[i])
        merges, self.grouper.merges = self.grouper.merges, []
        alive = {x.id for x in self.grouper.open}
        for iid in [i for i in touched if i not in alive and any(i == gone for gone, _ in merges)]:
            touched.pop(iid)  # merged into another incident in this batch
        if self.db is not None and (touched or alerts or merges):
            self._record(list(touched.values()), alerts, merges)
        done = dt.datetime.now(dt.UTC)
        self.latencies += [(done - t).total_seconds() for t in first_alert_at]
        self.counters["alerts"] += sum(1 for a, _ in alerts if not a.continued)

    def _record(
        self,
        incidents: list[Incident],
        alerts: list[tuple[Alert, Incident]],
        merges: list[tuple[str, str]],
    ) -> None:
        """The batch's incidents and alerts into the database; when it is away, the events
        are stored all the same and the failure is counted (``record_errors``)."""
        assert self.db is not None
        try:
            self._write_record(incidents, alerts, merges)
        except Exception:  # noqa: BLE001
            log.exception("recording incidents failed")
            self.counters["record_errors"] += 1

    def _write_record(self, incidents: list[Incident], alerts: list[tuple[Alert, Incident]],
                      merges: list[tuple[str, str]]) -> None:  # fmt: skip
        from insa.db.engine import session_scope
        from insa.people.models import Agency

        assert self.db is not None
        with session_scope(self.db) as db:
            if self._codes is None:
                from sqlalchemy import select

                self._codes = {
                    str(c): int(i) for c, i in db.execute(select(Agency.code, Agency.id))
                }
            opened = tower.record(db, self.run_id, incidents, alerts, self._codes, merges)
        self.counters["incidents"] += len(opened)
        if opened and self.cfg.notify:
            threading.Thread(
                target=self._notify, args=(opened, {i.id: i for i in incidents}), daemon=True
            ).start()

    def _notify(self, opened: list[str], incidents: Mapping[str, Incident]) -> None:
        from insa.notify import RETRY_WAITS, send

        for iid in opened:
            inc = incidents[iid]
            title = f"[통합 관제] {'합동 ' if inc.joint else ''}사고 {iid}: {inc.titles[0]}"
            body = (f"부처: {', '.join(sorted(inc.ministries))}\n출발지: {', '.join(sorted(inc.sources)) or '-'}\n"
                    f"규칙: {', '.join(inc.titles)}\n사건 {len(inc.events)}건, 처음 {inc.first:%Y-%m-%d %H:%M:%S} UTC")  # fmt: skip
            for wait in (0, *RETRY_WAITS):
                if self.stop.wait(wait):
                    return
                if send(self.cfg.notify, title, body) is None:
                    self.counters["notified"] += 1
                    break

    def _batches(self) -> list[tuple[Path, str, str]]:
        """Files of events waiting: the pushed batches in the spool (their ministry in their
        name) and the JSON lines files dropped into a configured folder (its ministry)."""
        out = []
        for path in sorted(self.spool.glob("*.jsonl"))[:20]:
            out.append((path, path.stem.split("-")[1] if path.stem.count("-") >= 2 else "", "http"))
        for ministry, folder in self.cfg.files:
            for path in sorted(folder.glob("*.jsonl"))[:20]:
                out.append((path, ministry, "file"))
        return out

    def _spooled(self) -> int:
        """Each waiting file processed whole; a pushed batch then removed, a dropped file moved
        to ``done/`` beside it. Processing one twice (a crash between) stores it once."""
        done = 0
        for path, ministry, source in self._batches():
            docs: list[tuple[Mapping[str, Any], str]] = []
            bad: list[Raw] = []
            now = dt.datetime.now(dt.UTC)
            for line in path.read_bytes().splitlines():
                if not line.strip():
                    continue
                try:
                    doc = orjson.loads(line)
                except orjson.JSONDecodeError:
                    bad.append(Raw(line.decode("utf-8", "replace"), ministry, source, now))
                    continue
                if isinstance(doc, dict):
                    docs.append((doc, ministry))
                else:
                    bad.append(Raw(line.decode("utf-8", "replace"), ministry, source, now))
            self.counters[f"received_{source}"] += len(docs) + len(bad)
            # a dropped file's batch is named by its content too: a file of the same name dropped
            # again another day is another batch (a pushed batch's name is unique already)
            stem = (
                path.stem
                if source == "http"
                else f"file-{ministry}-{path.stem}-{sha256_file(path)[:16]}"
            )
            self.process([], stem=stem, docs=docs, source=source)
            for b in bad:
                self._dead_now(b, "JSON 객체가 아닙니다")
            if source == "http":
                path.unlink()
            else:
                (path.parent / "done").mkdir(exist_ok=True)
                target, n = path.parent / "done" / path.name, 1
                while target.exists():  # never over an earlier file of the same name
                    target, n = path.parent / "done" / f"{path.stem}.{n}{path.suffix}", n + 1
                os.replace(path, target)
            done += 1
        return done

    def work(self) -> None:
        last_save = 0.0
        spooled = 0
        while not self.stop.is_set() or not self.q.empty():
            raws = self._take(
                0.05 if spooled else FLUSH_SECONDS
            )  # pushed batches waiting: do not wait for more lines
            if raws:
                try:
                    self.process(raws)
                except Exception as exc:  # noqa: BLE001 — a batch that cannot be processed: its lines dead letters
                    log.exception("batch failed")
                    self.counters["batch_errors"] += 1
                    why = f"처리하지 못했습니다 ({type(exc).__name__}: {str(exc)[:120]})"
                    store.write_dead(
                        self.dead_dir,
                        [(r.received, r.ministry or "", r.source, why, r.line) for r in raws],
                    )
                    self.counters["dead"] += len(raws)
            try:
                spooled = self._spooled()
            except Exception:  # a batch left in the spool is tried again; the collector goes on
                log.exception("spooled batch failed")
                self.counters["batch_errors"] += 1
                spooled = 0
            if time.monotonic() - last_save > 1 or (self.stop.is_set() and self.q.empty()):
                try:
                    self._save()
                except Exception:  # the database is away: the counters are saved next time
                    log.exception("saving the counters failed")
                    self.counters["save_errors"] += 1
                last_save = time.monotonic()
            if not raws and not spooled and self.stop.is_set():
                break
        self._save()

    def _save(self) -> None:
        if self.db is None:
            return
        from insa.db.engine import session_scope

        hits = Counter({k: v - self._hits_saved.get(k, 0) for k, v in self.engine.hits.items()})
        counters = dict(self.counters)
        counters["queue"] = self._queued
        counters["windows"], counters["windows_evicted"] = (
            len(self.engine._windows),
            self.engine.evicted,
        )
        if self.latencies:  # receipt → alert recorded, over the last 10,000 alerts
            recent = sorted(self.latencies[-10_000:])
            counters["latency_p95_ms"] = int(recent[int(0.95 * (len(recent) - 1))] * 1000)
            counters["latency_max_ms"] = int(recent[-1] * 1000)
            self.latencies = self.latencies[-10_000:]
        with session_scope(self.db) as db:
            tower.save_rules(db, self.rules, hits, self.engine.last)
            tower.save_status(db, self.cfg.name, self.started, counters)
        self._hits_saved = Counter(self.engine.hits)

    async def run(
        self, duration: float | None = None, ready: threading.Event | None = None
    ) -> None:
        servers = await self.serve()
        flusher = asyncio.create_task(self._flush_udp())
        worker = threading.Thread(target=self.work, name="cyber-collector", daemon=True)
        worker.start()
        if ready is not None:
            ready.set()
        began = time.monotonic()
        try:
            while not self.stop.is_set():
                await asyncio.sleep(0.2)
                if duration is not None and time.monotonic() - began >= duration:
                    break
                if (
                    not worker.is_alive()
                ):  # it never should die; if it does, stop rather than queue forever
                    log.error("the processing thread stopped")
                    self.counters["worker_died"] += 1
                    break
        finally:
            for s in servers:
                s.close()
            self.stop.set()
            await flusher
            await asyncio.get_running_loop().run_in_executor(None, worker.join)


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, c: Collector) -> None:
        self.c = c

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        c = self.c
        c.counters["received_udp"] += 1
        if len(c._udp) >= c.udp_queue:  # the queue has not taken the last ones: UDP cannot wait
            c.counters["udp_dropped"] += 1  # counted, never silent
            return
        c._udp.append(
            Raw(
                data.decode("utf-8", "replace"),
                c.cfg.ministry_of(str(addr[0])),
                "udp",
                dt.datetime.now(dt.UTC),
            )
        )


def split_frames(buf: bytes) -> tuple[list[bytes], bytes]:
    """The complete syslog messages at the start of a TCP stream's buffer, and what is left:
    each octet-counted (``LEN SP MSG``) or ended by a newline (RFC 6587)."""
    out: list[bytes] = []
    i, n = 0, len(buf)
    while i < n:
        while i < n and buf[i] in (10, 13):
            i += 1
        if i >= n:
            break
        if 48 <= buf[i] <= 57:  # a digit: octet counting when digits then a space
            sp = buf.find(b" ", i, i + 8)
            if sp != -1 and buf[i:sp].isdigit():
                size = int(buf[i:sp])
                if size > MAX_FRAME:
                    raise ValueError(f"{size:,}바이트 (최대 {MAX_FRAME:,})")
                if sp + 1 + size > n:
                    break
                out.append(buf[sp + 1 : sp + 1 + size].rstrip(b"\r\n"))
                i = sp + 1 + size
                continue
            if sp == -1 and n - i < 8:
                break  # the length is still arriving
        nl = buf.find(b"\n", i)
        if nl == -1:
            if n - i > MAX_FRAME:
                raise ValueError(f"줄이 너무 깁니다 (최대 {MAX_FRAME:,}바이트)")
            break
        out.append(buf[i:nl].rstrip(b"\r"))
        i = nl + 1
    return out, buf[i:]
