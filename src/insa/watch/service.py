"""The failure-detection centre's face: validating a configuration, and what its operators
and the member ministries' staff see and do — monitors with their state and uptime,
incidents to acknowledge, annotate and resolve, silences and planned maintenance, monitors
added in the web app — scoped by the centre tenancy (:func:`restrict_centre`: the centre's
operators every member's monitors, a member ministry's own staff its own) and audited. The
public status pages read through :func:`public_status` (no log-in, no internal detail)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVarTuple

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from insa.clock import as_utc, utc_now
from insa.db.paging import Page, paginate
from insa.people.models import Agency
from insa.security.context import Ctx
from insa.security.logs import redact
from insa.security.models import CentreMember
from insa.security.principal import restrict_centre
from insa.watch import silences as sil
from insa.watch.config import load, load_text, load_web
from insa.watch.models import (
    NOTE_KINDS,
    STATES,
    WatchHourly,
    WatchIncident,
    WatchMonitor,
    WatchNote,
    WatchResult,
    WatchSilence,
)
from insa.watch.schemas import Config

VALIDATE = "watch.validate_config"
VIEW = "watch.view_monitor"
OPERATE = "watch.operate_incident"  # acknowledge, annotate, resolve
SILENCE = "watch.manage_silence"
EDIT = "watch.edit_monitor"
GRANTS = {
    "ops_operator": {VALIDATE, VIEW, OPERATE, SILENCE, EDIT},  # scoped: restrict_centre
    "central_admin": {VALIDATE, VIEW},
}
AUDIT_LABELS = {
    "watch.list_monitors": "점검 대상 목록 조회", "watch.view_monitor": "점검 대상 조회",
    "watch.acknowledge": "장애 확인", "watch.note": "장애 메모", "watch.resolve": "장애 수동 종료",
    "watch.silence": "알림 중지 등록", "watch.expire_silence": "알림 중지 해제",
    "watch.save_monitor": "점검 대상 저장", "watch.remove_monitor": "점검 대상 삭제",
    "watch_monitor": "점검 대상", "watch_incident": "장애", "watch_silence": "알림 중지",
}  # fmt: skip
MAX_TEXT = 1_000_000  # characters of a configuration pasted into the page or sent to the API
PAGE_SIZE = 50
SPARK_POINTS = 30  # the latest checks drawn in a monitor's sparkline
MAX_NOTE = 2_000
MAX_SILENCE = dt.timedelta(days=90)


class WatchError(ValueError):
    """Refused, with the reason in Korean; nothing changed."""


def validate(path: Path) -> Config:
    """The configuration at ``path``, every problem with its file and line."""
    return load(path)


def validate_text(text: str, name: str = "config.yaml") -> Config:
    """A configuration given as text (the page, the API); problems name it ``name``."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"설정이 너무 깁니다 (최대 {MAX_TEXT:,}자)")
    return load_text(text, Path(name).name or "config.yaml")


def record_push(db: Session, token: str, success: bool, error: str) -> bool:
    """A push monitor's call; False when no checker registered the token."""
    from insa.watch.models import WatchPush
    from insa.watch.store import token_digest

    row = db.get(WatchPush, token_digest(token))
    if row is None:
        return False
    row.last_at = dt.datetime.now(dt.UTC)
    row.last_ok = success
    row.last_error = redact(error)[:500] or None
    return True


# ------------------------------------------------------------------ scope


Ts = TypeVarTuple("Ts")


def _monitors(ctx: Ctx, stmt: Select[*Ts], permission: str = VIEW) -> Select[*Ts]:
    return restrict_centre(stmt, ctx.principal, permission, WatchMonitor.agency_id)


def _incidents(ctx: Ctx, stmt: Select[*Ts], permission: str = VIEW) -> Select[*Ts]:
    return restrict_centre(stmt, ctx.principal, permission, WatchIncident.agency_id)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


# ------------------------------------------------------------------ monitors


@dataclass(frozen=True)
class MonitorView:
    row: WatchMonitor
    uptime: dict[str, float | None]  # "24h" / "7d" / "30d" → percent (None: no checks)
    spark: list[tuple[int, bool]]  # the latest checks, oldest first: (latency ms, ok)
    silenced: bool = False


def uptimes(
    db: Session, keys: Sequence[str], now: dt.datetime
) -> dict[str, dict[str, float | None]]:
    """Monitor → uptime over the last 24 hours, 7 and 30 days, from the hourly rows (every
    result is counted into its hour as it is stored): one grouped query."""
    spans = {"24h": now - dt.timedelta(hours=24), "7d": now - dt.timedelta(days=7),
             "30d": now - dt.timedelta(days=30)}  # fmt: skip
    out: dict[str, dict[str, float | None]] = {k: dict.fromkeys(spans) for k in keys}
    if not keys:
        return out
    cols: list[Any] = [WatchHourly.monitor]
    for since in spans.values():
        cut = since.replace(minute=0, second=0, microsecond=0)
        cols.append(func.sum(case((WatchHourly.hour >= cut, WatchHourly.checks), else_=0)))
        cols.append(func.sum(case((WatchHourly.hour >= cut, WatchHourly.failures), else_=0)))
    stmt = (select(*cols).where(WatchHourly.monitor.in_(list(keys)),
                                WatchHourly.hour >= spans["30d"].replace(minute=0, second=0, microsecond=0))
            .group_by(WatchHourly.monitor))  # fmt: skip
    for row in db.execute(stmt):
        key, rest = row[0], row[1:]
        for i, name in enumerate(spans):
            n, bad = int(rest[2 * i] or 0), int(rest[2 * i + 1] or 0)
            out[key][name] = None if n == 0 else round(100.0 * (n - bad) / n, 2)
    return out


def sparklines(
    db: Session, keys: Sequence[str], now: dt.datetime, points: int = SPARK_POINTS
) -> dict[str, list[tuple[int, bool]]]:
    """Monitor → its latest ``points`` checks of the last day (latency, ok), oldest first —
    one query, the database ranking each monitor's results."""
    out: dict[str, list[tuple[int, bool]]] = {k: [] for k in keys}
    if not keys:
        return out
    rank = (
        func.row_number()
        .over(partition_by=WatchResult.monitor, order_by=WatchResult.at.desc())
        .label("n")
    )
    inner = (select(WatchResult.monitor, WatchResult.at, WatchResult.latency_ms, WatchResult.ok, rank)
             .where(WatchResult.monitor.in_(list(keys)), WatchResult.at >= now - dt.timedelta(days=1))
             .subquery())  # fmt: skip
    rows = db.execute(select(inner.c.monitor, inner.c.latency_ms, inner.c.ok)
                      .where(inner.c.n <= points).order_by(inner.c.monitor, inner.c.at))  # fmt: skip
    for key, ms, ok in rows:
        out[key].append((int(ms), bool(ok)))
    return out


def list_monitors(ctx: Ctx, *, q: str = "", state: str = "", ministry: str = "", group: str = "",
                  page: int = 1, size: int = PAGE_SIZE, audit: bool = True) -> Page[MonitorView]:  # fmt: skip
    """A page of the monitors in scope, filtered and cut by the database (down first, then
    by group and name); ``totals``: state → count over the monitors in scope matching the
    other filters; each item with its uptime and sparkline."""
    filters: list[Any] = [WatchMonitor.active.is_(True)]
    if q.strip():
        like = f"%{q.strip().replace('%', '').replace('_', '')}%"
        filters.append(or_(WatchMonitor.name.like(like), WatchMonitor.group.like(like),
                           WatchMonitor.target.like(like)))  # fmt: skip
    if ministry:
        filters.append(WatchMonitor.ministry == ministry.upper())
    if group:
        filters.append(WatchMonitor.group == group)
    counts = dict.fromkeys(STATES, 0)
    by_state = _monitors(
        ctx, select(WatchMonitor.state, func.count()).where(*filters).group_by(WatchMonitor.state)
    )
    for st, n in ctx.db.execute(by_state):
        counts[st] = int(n)
    if state in STATES:
        filters.append(WatchMonitor.state == state)
    order = case(
        {"down": 0, "inhibited": 1, "maintenance": 2, "unknown": 3},
        value=WatchMonitor.state,
        else_=4,
    )
    base = _monitors(ctx, select(WatchMonitor).where(*filters))
    total = counts[state] if state in STATES else sum(counts.values())
    result: Page[WatchMonitor] = paginate(ctx.db, base.order_by(order, WatchMonitor.group, WatchMonitor.name),
                                          page=page, size=size, total=total, scalars=True,
                                          totals={"states": counts})  # fmt: skip
    now = utc_now()
    keys = [m.key for m in result.items]
    ups = uptimes(ctx.db, keys, now)
    sparks = sparklines(ctx.db, keys, now)
    silenced = _silenced(ctx.db, result.items, now)
    if audit:
        ctx.audit("watch.list_monitors", target_type="watch_monitor", agency_id=ctx.principal.agency_id,
                  detail={"q": q[:50], "state": state, "ministry": ministry, "page": page, "results": result.total})  # fmt: skip
    return result.map(lambda m: MonitorView(m, ups[m.key], sparks[m.key], m.key in silenced))


def _silenced(db: Session, rows: Iterable[WatchMonitor], now: dt.datetime) -> set[str]:
    active = active_silences(db, now)
    if not active:
        return set()
    return {m.key for m in rows
            if sil.silencing(active, sil.labels_of(m.key, m.name, m.group, m.ministry or ""), now)}  # fmt: skip


def active_silences(db: Session, now: dt.datetime) -> list[sil.Silence]:
    out = []
    for r in db.scalars(
        select(WatchSilence).where(WatchSilence.ends_at > now, WatchSilence.starts_at <= now)
    ):
        try:
            out.append(sil.Silence(r.id, sil.of_lists(r.matchers), _utc(r.starts_at) or now,
                                   _utc(r.ends_at) or now, r.kind))  # fmt: skip
        except sil.MatcherError:
            continue
    return out


def get_monitor(ctx: Ctx, key: str, permission: str = VIEW) -> WatchMonitor | None:
    return ctx.db.scalar(
        _monitors(ctx, select(WatchMonitor).where(WatchMonitor.key == key), permission)
    )


@dataclass(frozen=True)
class MonitorDetail:
    row: WatchMonitor
    uptime: dict[str, float | None]
    results: list[WatchResult]  # the latest, newest first
    hours: list[
        tuple[dt.datetime, int, int, int]
    ]  # the last 48 hours: hour, checks, failures, mean ms
    incidents: list[WatchIncident]


def monitor_detail(ctx: Ctx, key: str) -> MonitorDetail | None:
    row = get_monitor(ctx, key)
    if row is None:
        return None
    now = utc_now()
    results = list(ctx.db.scalars(select(WatchResult).where(WatchResult.monitor == key)
                                  .order_by(WatchResult.at.desc()).limit(50)))  # fmt: skip
    hours = [(h.hour, h.checks, h.failures, h.latency_sum_ms // max(1, h.checks))
             for h in ctx.db.scalars(select(WatchHourly).where(WatchHourly.monitor == key,
                                                                WatchHourly.hour >= now - dt.timedelta(hours=48))
                                     .order_by(WatchHourly.hour))]  # fmt: skip
    incidents = list(ctx.db.scalars(select(WatchIncident).where(WatchIncident.monitor == key)
                                    .order_by(WatchIncident.opened_at.desc()).limit(20)))  # fmt: skip
    ctx.audit(
        "watch.view_monitor",
        target_type="watch_monitor",
        target_id=key[:100],
        agency_id=row.agency_id,
    )
    return MonitorDetail(row, uptimes(ctx.db, [key], now)[key], results, hours, incidents)


def ministries_in_scope(ctx: Ctx) -> list[str]:
    return [m for m in ctx.db.scalars(_monitors(ctx, select(WatchMonitor.ministry).distinct()
                                                .where(WatchMonitor.ministry.is_not(None)))) if m]  # fmt: skip


# ------------------------------------------------------------------ incidents


def list_incidents(
    ctx: Ctx, *, status: str = "", page: int = 1, size: int = 30
) -> Page[WatchIncident]:
    """Open incidents first (those no one has acknowledged before the others), then the
    resolved ones, newest first."""
    filters: list[Any] = []
    if status == "open":
        filters.append(WatchIncident.resolved_at.is_(None))
    elif status == "unacknowledged":
        filters += [WatchIncident.resolved_at.is_(None), WatchIncident.acknowledged_at.is_(None)]
    elif status == "resolved":
        filters.append(WatchIncident.resolved_at.is_not(None))
    base = _incidents(ctx, select(WatchIncident).where(*filters))
    order = case((WatchIncident.resolved_at.is_(None) & WatchIncident.acknowledged_at.is_(None), 0),
                 (WatchIncident.resolved_at.is_(None), 1), else_=2)  # fmt: skip
    counts = {"open": 0, "unacknowledged": 0}
    for acked, n in ctx.db.execute(_incidents(ctx, select(WatchIncident.acknowledged_at.is_not(None), func.count())
                                              .where(WatchIncident.resolved_at.is_(None))
                                              .group_by(WatchIncident.acknowledged_at.is_not(None)))):  # fmt: skip
        counts["open"] += int(n)
        if not acked:
            counts["unacknowledged"] += int(n)
    return paginate(ctx.db, base.order_by(order, WatchIncident.opened_at.desc()), page=page, size=size,
                    scalars=True, totals=counts)  # fmt: skip


def get_incident(ctx: Ctx, incident_id: str, permission: str = VIEW) -> WatchIncident | None:
    return ctx.db.scalar(
        _incidents(ctx, select(WatchIncident).where(WatchIncident.id == incident_id), permission)
    )


def timeline(db: Session, incident_id: str, public_only: bool = False) -> list[WatchNote]:
    stmt = select(WatchNote).where(WatchNote.incident == incident_id)
    if public_only:
        stmt = stmt.where(WatchNote.public.is_(True))
    return list(db.scalars(stmt.order_by(WatchNote.at, WatchNote.id)))


def _acting(ctx: Ctx, incident_id: str) -> WatchIncident:
    inc = get_incident(ctx, incident_id, OPERATE)
    if inc is None:
        if get_incident(ctx, incident_id) is not None:
            raise PermissionError("이 장애를 처리할 권한이 없습니다")
        raise LookupError(incident_id)
    return inc


def acknowledge(ctx: Ctx, incident_id: str) -> WatchIncident:
    """확인: someone is on it (escalation stops). Once; a second acknowledgement is refused."""
    inc = _acting(ctx, incident_id)
    if inc.resolved_at is not None:
        raise WatchError("이미 복구된 장애입니다")
    if inc.acknowledged_at is not None:
        raise WatchError(f"이미 {inc.acknowledged_by}님이 확인했습니다")
    now = utc_now()
    inc.acknowledged_at, inc.acknowledged_by = now, ctx.principal.display_name
    ctx.db.add(WatchNote(incident=inc.id, at=now, kind="acknowledged", actor=ctx.principal.display_name,
                         text="", public=False))  # fmt: skip
    ctx.audit(
        "watch.acknowledge", target_type="watch_incident", target_id=inc.id, agency_id=inc.agency_id
    )
    return inc


def add_note(ctx: Ctx, incident_id: str, text: str, public: bool) -> WatchNote:
    """메모 — internal, or public (shown on the ministry's status page)."""
    inc = _acting(ctx, incident_id)
    body = text.strip()
    if not body:
        raise WatchError("메모 내용을 입력하세요")
    if len(body) > MAX_NOTE:
        raise WatchError(f"메모는 {MAX_NOTE:,}자까지 쓸 수 있습니다")
    note = WatchNote(incident=inc.id, at=utc_now(), kind="note", actor=ctx.principal.display_name,
                     text=body, public=public)  # fmt: skip
    ctx.db.add(note)
    ctx.audit("watch.note", target_type="watch_incident", target_id=inc.id, agency_id=inc.agency_id,
              detail={"public": public, "chars": len(body)})  # fmt: skip
    return note


def resolve(ctx: Ctx, incident_id: str, text: str = "", public: bool = False) -> WatchIncident:
    """수동 종료: the checker learns it within a second, tells it as a resolution and counts
    the monitor's failures afresh."""
    inc = _acting(ctx, incident_id)
    if inc.resolved_at is not None:
        raise WatchError("이미 복구된 장애입니다")
    now = utc_now()
    inc.resolved_at, inc.resolved_by = now, ctx.principal.display_name
    ctx.db.add(WatchNote(incident=inc.id, at=now, kind="closed", actor=ctx.principal.display_name,
                         text=text.strip()[:MAX_NOTE], public=public and bool(text.strip())))  # fmt: skip
    ctx.audit(
        "watch.resolve", target_type="watch_incident", target_id=inc.id, agency_id=inc.agency_id
    )
    return inc


# ------------------------------------------------------------------ silences


def _own_code(ctx: Ctx) -> str | None:
    """A member ministry's own staff: their agency's code (their silences and monitors are
    limited to it); the centre's operators and the command line: None."""
    p = ctx.principal
    if p.sees_all or p.is_centre_operator:
        return None
    code = (
        ctx.db.scalar(select(Agency.code).where(Agency.id == p.agency_id)) if p.agency_id else None
    )
    if code is None:
        raise PermissionError("소속 기관이 없는 계정입니다")
    return str(code)


def list_silences(ctx: Ctx, include_expired: bool = False) -> list[WatchSilence]:
    if not ctx.principal.can(VIEW):
        return []
    now = utc_now()
    stmt = select(WatchSilence)
    if not include_expired:
        stmt = stmt.where(WatchSilence.ends_at > now)
    own = _own_code(ctx)
    if own is not None:
        stmt = stmt.where(
            or_(WatchSilence.agency_id == ctx.principal.agency_id, WatchSilence.agency_id.is_(None))
        )
    return list(ctx.db.scalars(stmt.order_by(WatchSilence.ends_at.desc()).limit(200)))


def create_silence(ctx: Ctx, *, matchers: str, starts_at: dt.datetime | None, ends_at: dt.datetime,
                   comment: str, kind: str = "silence") -> WatchSilence:  # fmt: skip
    """알림 중지 (or planned maintenance): matchers as Alertmanager writes them. A member
    ministry's staff silence their own monitors only (``ministry="<code>"`` is added)."""
    if not ctx.principal.can(SILENCE):
        raise PermissionError("알림 중지를 등록할 권한이 없습니다")
    try:
        parsed = list(sil.parse(matchers))
    except sil.MatcherError as exc:
        raise WatchError(f"조건: {exc}") from None
    own = _own_code(ctx)
    if own is not None and not any(
        m.label == "ministry" and m.op == "=" and m.value == own for m in parsed
    ):
        parsed.append(sil.Matcher("ministry", "=", own))
    now = utc_now()
    start = starts_at or now
    if ends_at <= start:
        raise WatchError("끝나는 시각은 시작 시각 뒤여야 합니다")
    if ends_at <= now:
        raise WatchError("이미 지난 시간입니다")
    if ends_at - start > MAX_SILENCE:
        raise WatchError("알림 중지는 90일까지 걸 수 있습니다")
    if not comment.strip():
        raise WatchError("사유를 입력하세요")
    if kind not in ("silence", "maintenance"):
        raise WatchError("종류는 알림 중지 또는 계획 점검입니다")
    row = WatchSilence(id=uuid.uuid4().hex[:12], kind=kind, matchers=[m.as_list() for m in parsed],
                       starts_at=start, ends_at=ends_at, comment=comment.strip()[:MAX_NOTE],
                       agency_id=ctx.principal.agency_id if own is not None else None,
                       created_by=ctx.principal.display_name, created_at=now)  # fmt: skip
    ctx.db.add(row)
    ctx.audit("watch.silence", target_type="watch_silence", target_id=row.id, agency_id=row.agency_id,
              detail={"matchers": [str(m) for m in parsed], "kind": kind,
                      "until": ends_at.isoformat()})  # fmt: skip
    return row


def expire_silence(ctx: Ctx, silence_id: str) -> WatchSilence:
    if not ctx.principal.can(SILENCE):
        raise PermissionError("알림 중지를 해제할 권한이 없습니다")
    row = ctx.db.get(WatchSilence, silence_id)
    own = _own_code(ctx)
    if row is None or (own is not None and row.agency_id != ctx.principal.agency_id):
        raise LookupError(silence_id)
    now = utc_now()
    if (_utc(row.ends_at) or now) <= now:
        raise WatchError("이미 끝난 알림 중지입니다")
    row.ends_at, row.expired_by = now, ctx.principal.display_name
    ctx.audit(
        "watch.expire_silence",
        target_type="watch_silence",
        target_id=row.id,
        agency_id=row.agency_id,
    )
    return row


def matching_monitors(
    ctx: Ctx, matchers: Iterable[sil.Matcher], limit: int = 20
) -> tuple[int, list[str]]:
    """How many monitors in scope a silence would match, and the first ones (a preview)."""
    ms = tuple(matchers)
    rows = ctx.db.execute(_monitors(ctx, select(WatchMonitor.key, WatchMonitor.name, WatchMonitor.group,
                                                WatchMonitor.ministry).where(WatchMonitor.active.is_(True)))).all()  # fmt: skip
    hit = [
        k for k, n, g, mi in rows if all(m.matches(sil.labels_of(k, n, g, mi or "")) for m in ms)
    ]
    return len(hit), hit[:limit]


# ------------------------------------------------------------------ monitors added in the web app


@dataclass
class MonitorForm:
    """The web form of a monitor: the Gatus endpoint fields most monitors need."""

    name: str = ""
    group: str = ""
    ministry: str = ""
    url: str = ""
    method: str = "GET"
    interval: str = "60s"
    timeout: str = "10s"
    conditions: str = "[STATUS] == 200"  # one a line
    depends_on: str = ""  # names, comma-separated
    failure_threshold: str = ""
    success_threshold: str = ""
    dns_query_name: str = ""
    dns_query_type: str = ""
    public: bool = True
    errors: list[str] = field(default_factory=list)

    def definition(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name.strip(), "url": self.url.strip()}
        if self.group.strip():
            d["group"] = self.group.strip()
        if self.ministry.strip():
            d["ministry"] = self.ministry.strip().upper()
        if self.method.strip().upper() not in ("", "GET"):
            d["method"] = self.method.strip().upper()
        d["interval"] = self.interval.strip() or "60s"
        if self.timeout.strip():
            d["client"] = {"timeout": self.timeout.strip()}
        d["conditions"] = [c.strip() for c in self.conditions.splitlines() if c.strip()]
        deps = [x.strip() for x in self.depends_on.split(",") if x.strip()]
        if deps:
            d["depends-on"] = deps
        for key, value in (
            ("failure-threshold", self.failure_threshold),
            ("success-threshold", self.success_threshold),
        ):
            if value.strip():
                d[key] = int(value) if value.strip().isdigit() else value.strip()
        if self.dns_query_name.strip():
            d["dns"] = {
                "query-name": self.dns_query_name.strip(),
                "query-type": (self.dns_query_type.strip() or "A").upper(),
            }
        return d

    @classmethod
    def of(cls, row: WatchMonitor) -> MonitorForm:
        d: Mapping[str, Any] = row.definition or {}
        client = d.get("client") or {}
        dns = d.get("dns") or {}
        return cls(name=str(d.get("name", row.name)), group=str(d.get("group", row.group or "")),
                   ministry=str(d.get("ministry", row.ministry or "")), url=str(d.get("url", "")),
                   method=str(d.get("method", "GET")), interval=str(d.get("interval", "60s")),
                   timeout=str(client.get("timeout", "10s")), conditions="\n".join(d.get("conditions") or []),
                   depends_on=", ".join(d.get("depends-on") or []),
                   failure_threshold=str(d.get("failure-threshold", "")),
                   success_threshold=str(d.get("success-threshold", "")),
                   dns_query_name=str(dns.get("query-name", "")), dns_query_type=str(dns.get("query-type", "")),
                   public=bool(row.public))  # fmt: skip


def _file_monitors(db: Session) -> Config:
    """The files' monitors as registered (for a web monitor's checks: its key must not be
    theirs, its depends-on may name them)."""
    from insa.watch.schemas import Monitor, Where

    rows = db.execute(select(WatchMonitor.key, WatchMonitor.name, WatchMonitor.group, WatchMonitor.kind,
                             WatchMonitor.source).where(WatchMonitor.active.is_(True),
                                                        WatchMonitor.source != "web")).all()  # fmt: skip
    monitors = tuple(
        Monitor(name, "http", Where(source, 1), group=group or "")
        for _, name, group, _, source in rows
    )
    return Config(("files",), monitors)


def save_monitor(ctx: Ctx, form: MonitorForm, key: str | None = None) -> WatchMonitor:
    """A monitor added (``key`` None) or changed in the web app, checked as the checker will
    read it (Gatus's fields, insa's additions); the checker picks it up within a second. A
    monitor a configuration file defines is changed in that file, not here."""
    if not ctx.principal.can(EDIT):
        raise PermissionError("점검 대상을 고칠 권한이 없습니다")
    own = _own_code(ctx)
    if own is not None:
        if form.ministry.strip() and form.ministry.strip().upper() != own:
            raise WatchError(f"우리 기관({own})의 점검만 등록할 수 있습니다")
        form.ministry = own
    row = None
    if key is not None:
        row = get_monitor(ctx, key, EDIT)
        if row is None:
            raise LookupError(key)
        if row.source != "web":
            raise WatchError(f"이 점검은 설정 파일 {row.source}이(가) 정합니다: 파일에서 고치세요")
    definition = form.definition()
    others = [dict(r.definition or {}) for r in ctx.db.scalars(
        select(WatchMonitor).where(WatchMonitor.source == "web", WatchMonitor.active.is_(True)))
        if r.key != key]  # fmt: skip
    found = load_web([*others, definition], _file_monitors(ctx.db))
    mine = [p for p in found.errors if p.where.line >= _line_of_last(found, len(others))]
    if found.errors:
        form.errors = [p.message for p in (mine or found.errors)]
        raise WatchError("; ".join(form.errors))
    made = next(m for m in found.monitors if m.key == (found.monitors[-1].key))
    from insa.watch.store import agency_ids, shown_target

    codes, host = agency_ids(ctx.db, [made.ministry])
    agency = codes.get(made.ministry, host) if made.ministry else host
    if made.ministry and made.ministry not in codes:
        raise WatchError(f"알 수 없는 기관 코드입니다: {made.ministry}")
    if ctx.principal.is_centre_operator:
        member = ctx.db.scalar(select(CentreMember.id).where(CentreMember.centre_id == ctx.principal.centre_id,
                                                             CentreMember.agency_id == agency))  # fmt: skip
        if member is None:
            raise WatchError("이 센터의 회원 기관이 아닙니다")
    now = utc_now()
    clash = ctx.db.get(WatchMonitor, made.key)
    if row is None and clash is not None and (clash.active or clash.source != "web"):
        raise WatchError(f"같은 이름의 점검이 이미 있습니다: {made.key}")
    if row is not None and row.key != made.key:
        if clash is not None:
            raise WatchError(f"같은 이름의 점검이 이미 있습니다: {made.key}")
        row.active = False  # renamed: the old key's history stays under it
        row.updated_at = now
        row = None
    if row is None:
        row = clash or WatchMonitor(key=made.key, state="unknown", since=now)
        if clash is None:
            ctx.db.add(row)
    row.name, row.group, row.ministry, row.agency_id = (
        made.name,
        made.group,
        made.ministry or None,
        agency,
    )
    row.kind, row.target, row.interval_ms, row.source = (
        made.kind,
        shown_target(made),
        made.interval_ms,
        "web",
    )
    row.definition, row.active, row.public = definition, True, form.public
    row.updated_at, row.updated_by = now, ctx.principal.display_name
    ctx.audit("watch.save_monitor", target_type="watch_monitor", target_id=made.key[:100], agency_id=agency,
              detail={"kind": made.kind, "new": key is None})  # fmt: skip
    return row


def _line_of_last(found: Config, before: int) -> int:
    """The line where the last endpoint of a web configuration starts (its own problems are
    at or after it)."""
    lines = sorted(m.where.line for m in found.monitors)
    return lines[before] if len(lines) > before else 0


def remove_monitor(ctx: Ctx, key: str) -> WatchMonitor:
    row = get_monitor(ctx, key, EDIT)
    if row is None:
        raise LookupError(key)
    if row.source != "web":
        raise WatchError(f"이 점검은 설정 파일 {row.source}이(가) 정합니다: 파일에서 빼세요")
    row.active, row.updated_at, row.updated_by = False, utc_now(), ctx.principal.display_name
    ctx.audit(
        "watch.remove_monitor",
        target_type="watch_monitor",
        target_id=key[:100],
        agency_id=row.agency_id,
    )
    return row


# ------------------------------------------------------------------ public status pages


@dataclass(frozen=True)
class PublicService:
    name: str
    group: str
    state: str  # up | down | maintenance | unknown (inhibited shows as down: the service is out)
    days: list[tuple[dt.date, float | None]]  # 90 days, oldest first: uptime percent


@dataclass(frozen=True)
class PublicIncident:
    service: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    notes: list[tuple[dt.datetime, str]]


@dataclass(frozen=True)
class PublicStatus:
    code: str
    name: str
    services: list[PublicService]
    incidents: list[PublicIncident]


def status_ministries(db: Session) -> list[tuple[str, str, int, int]]:
    """Every ministry with a public status page: (code, name, services, services out now)."""
    down = func.sum(case((WatchMonitor.state.in_(("down", "inhibited")), 1), else_=0))
    rows = db.execute(select(Agency.code, Agency.name_ko, func.count(), down)
                      .join(Agency, Agency.id == WatchMonitor.agency_id)
                      .where(WatchMonitor.active.is_(True), WatchMonitor.public.is_(True))
                      .group_by(Agency.code, Agency.name_ko).order_by(Agency.name_ko)).all()  # fmt: skip
    return [(str(c), str(n), int(k), int(d or 0)) for c, n, k, d in rows]


def _day(column: Any, dialect: str) -> Any:
    """The Korean calendar day of a stored UTC hour, computed by the database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("Asia/Seoul", column), "YYYY-MM-DD")
    return func.date(column, "+9 hours")


def public_status(db: Session, code: str, days: int = 90) -> PublicStatus | None:
    """A ministry's status page: its public services, their state and daily uptime over
    ``days`` Korean days, and the incidents of those days with the operators' public notes
    only — no targets, causes or names of people."""
    from insa.clock import to_kst

    agency = db.execute(
        select(Agency.id, Agency.name_ko).where(Agency.code == code.upper())
    ).first()
    if agency is None:
        return None
    rows = list(db.scalars(select(WatchMonitor).where(WatchMonitor.agency_id == agency[0],
                                                      WatchMonitor.active.is_(True),
                                                      WatchMonitor.public.is_(True))
                           .order_by(WatchMonitor.group, WatchMonitor.name)))  # fmt: skip
    if not rows:
        return None
    now = utc_now()
    today = to_kst(now).date()
    first = today - dt.timedelta(days=days - 1)
    since = dt.datetime.combine(
        first, dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=9))
    ).astimezone(dt.UTC)
    day = _day(WatchHourly.hour, db.get_bind().dialect.name).label("day")
    keys = [r.key for r in rows]
    per: dict[str, dict[str, tuple[int, int]]] = {k: {} for k in keys}
    for key, d, n, bad in db.execute(select(WatchHourly.monitor, day, func.sum(WatchHourly.checks),
                                            func.sum(WatchHourly.failures))
                                     .where(WatchHourly.monitor.in_(keys), WatchHourly.hour >= since)
                                     .group_by(WatchHourly.monitor, day)):  # fmt: skip
        per[key][str(d)[:10]] = (int(n or 0), int(bad or 0))
    services = []
    for r in rows:
        bars: list[tuple[dt.date, float | None]] = []
        for i in range(days):
            d = first + dt.timedelta(days=i)
            n, bad = per[r.key].get(d.isoformat(), (0, 0))
            bars.append((d, None if n == 0 else round(100.0 * (n - bad) / n, 2)))
        state = "down" if r.state == "inhibited" else r.state
        services.append(PublicService(r.name, r.group, state, bars))
    names = {r.key: r.name for r in rows}
    incs = list(db.scalars(select(WatchIncident).where(WatchIncident.monitor.in_(keys),
                                                       WatchIncident.opened_at >= since)
                           .order_by(WatchIncident.opened_at.desc()).limit(100)))  # fmt: skip
    notes: dict[str, list[tuple[dt.datetime, str]]] = {i.id: [] for i in incs}
    if incs:
        for n in db.scalars(select(WatchNote).where(WatchNote.incident.in_(list(notes)), WatchNote.public.is_(True))
                            .order_by(WatchNote.at)):  # fmt: skip
            notes[n.incident].append((_utc(n.at) or now, n.text))
    incidents = [PublicIncident(names[i.monitor], _utc(i.opened_at) or now, _utc(i.resolved_at), notes[i.id])
                 for i in incs]  # fmt: skip
    return PublicStatus(code.upper(), str(agency[1]), services, incidents)


def note_label(kind: str) -> str:
    return NOTE_KINDS.get(kind, kind)
