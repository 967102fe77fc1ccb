"""The control tower's records: the collector's incidents, alerts, rule counts and counters
written to the database (plain functions over a session, the collector's side), and the
operators' triage of them (assign, note, status), scoped and audited like every service:
the centre's operators see every incident whole, a member ministry's security staff their
ministry's part of each incident that touches it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from insa.clock import as_utc, utc_now
from insa.cyber.incidents import Incident
from insa.cyber.models import (
    INCIDENT_STATUSES,
    MAX_EVENT_IDS,
    CyberAlert,
    CyberCollectorStatus,
    CyberIncident,
    CyberIncidentNote,
    CyberIncidentPart,
    CyberRuleStat,
)
from insa.cyber.sigma import Alert, RuleSet
from insa.db.paging import Page, paginate
from insa.people.models import Agency
from insa.security.context import Ctx
from insa.security.principal import restrict_centre

EVENTS = "cyber.view_events"  # the control tower's pages: events, alerts, incidents, rules
TRIAGE = "cyber.triage_incident"  # assign, annotate, change an incident's status
SEND = "cyber.send_events"  # push events over HTTP (a ministry's account: the ministry is its)
COLLECTOR = "수집기"


class TriageError(ValueError):
    """Refused, with the reason in Korean; nothing changed."""


def event_id(run: str, seq: int) -> str:
    return f"{run}-{seq}"


def record(db: Session, run: str, incidents: Iterable[Incident], alerts: Sequence[tuple[Alert, Incident]],
           codes: Mapping[str, int] | None = None, merges: Sequence[tuple[str, str]] = ()) -> list[str]:  # fmt: skip
    """The batch's alerts and the incidents they touched (an incident merged into another:
    its alerts and notes moved, its row gone); the ids of incidents opened."""
    into = dict(merges)

    def final(iid: str) -> str:
        seen = set()
        while iid in into and iid not in seen:
            seen.add(iid)
            iid = into[iid]
        return iid

    agencies = (
        dict(codes)
        if codes is not None
        else {str(c): int(i) for c, i in db.execute(select(Agency.code, Agency.id))}
    )
    now = utc_now()
    opened = []
    for inc in incidents:
        row = db.get(CyberIncident, inc.id)
        if row is None:
            row = CyberIncident(
                id=inc.id, status="new", created_at=now, level=inc.level, title=inc.titles[0][:300]
            )
            db.add(row)
            opened.append(inc.id)
            db.add(
                CyberIncidentNote(
                    incident_id=inc.id, at=now, actor=COLLECTOR, kind="opened", text=inc.titles[0]
                )
            )
        row.level, row.rules, row.titles = inc.level, list(inc.rules), list(inc.titles)
        row.tags = sorted(t for t in inc.tags if t.startswith("attack."))
        row.ministries, row.sources = sorted(inc.ministries), sorted(inc.sources)
        row.joint, row.first_at, row.last_at = inc.joint, inc.first, inc.last
        row.events, row.alerts = len(inc.events), inc.alerts
        by: dict[str, list[int]] = {}
        for seq, ministry in inc.events:
            by.setdefault(ministry, []).append(seq)
        parts = {
            p.ministry: p
            for p in db.scalars(
                select(CyberIncidentPart).where(CyberIncidentPart.incident_id == inc.id)
            )
        }
        for ministry, seqs in by.items():
            part = parts.get(ministry)
            if part is None:
                part = CyberIncidentPart(incident_id=inc.id, ministry=ministry, agency_id=agencies.get(ministry),
                                         first_at=inc.first, last_at=inc.last)  # fmt: skip
                db.add(part)
            seqs.sort()
            part.events = len(seqs)
            part.event_ids = [event_id(run, s) for s in seqs[:MAX_EVENT_IDS]]
            part.sources = sorted(inc.sources)
            part.first_at, part.last_at = inc.first, inc.last
    for gone, _ in merges:
        target = final(gone)
        if target == gone:
            continue
        for model in (CyberAlert, CyberIncidentNote):
            db.execute(update(model).where(model.incident_id == gone).values(incident_id=target))
        db.execute(delete(CyberIncidentPart).where(CyberIncidentPart.incident_id == gone))
        db.execute(delete(CyberIncident).where(CyberIncident.id == gone))
        db.add(
            CyberIncidentNote(
                incident_id=target,
                at=now,
                actor=COLLECTOR,
                kind="merged",
                text=f"사고 {gone}을(를) 합쳤습니다",
            )
        )
        opened = [o for o in opened if o != gone]
    for a, inc in alerts:
        if a.continued:
            continue
        db.add(CyberAlert(at=a.at, rule_id=a.rule[:64], title=a.title[:300], level=a.level, incident_id=final(inc.id),
                          ministries=sorted(a.ministries), sources=sorted(a.sources), events=len(a.events)))  # fmt: skip
    return opened


def save_rules(
    db: Session, rules: RuleSet, hits: Mapping[str, int], last: Mapping[str, dt.datetime]
) -> None:
    """The rules' hit counts and last matches (the collector's, since it started, added on)."""
    known = {r.rule_id: r for r in db.scalars(select(CyberRuleStat))}
    items: list[tuple[str, str, str, str, str, list[str], str]] = [
        (r.id, r.name, r.title, r.level, "detection", r.tags, r.path) for r in rules.rules
    ] + [(c.id, c.name, c.title, c.level, c.kind, c.tags, c.path) for c in rules.correlations]
    for rid, name, title, level, kind, tags, path in items:
        row = known.get(rid[:64])
        if row is None:
            row = CyberRuleStat(rule_id=rid[:64], hits=0)
            db.add(row)
        row.name, row.title, row.level, row.kind, row.tags, row.path = (
            name[:200],
            title[:300],
            level,
            kind,
            list(tags),
            path[-500:],
        )
        row.hits = int(row.hits or 0) + int(hits.get(rid, 0))
        if rid in last and (row.last_at is None or last[rid] > as_utc(row.last_at)):
            row.last_at = last[rid]


def save_status(db: Session, name: str, started: dt.datetime, counters: Mapping[str, int]) -> None:
    row = db.get(CyberCollectorStatus, name)
    if row is None:
        row = CyberCollectorStatus(name=name, started_at=started)
        db.add(row)
    row.started_at, row.updated_at, row.counters = started, utc_now(), dict(counters)


# -- the operators' side -------------------------------------------------------------------


def _parts(ctx: Ctx) -> Select[tuple[str]]:
    """The incidents the caller may see (through their ministries' parts)."""
    return restrict_centre(
        select(CyberIncidentPart.incident_id), ctx.principal, EVENTS, CyberIncidentPart.agency_id
    )


def whole(ctx: Ctx) -> bool:
    """The caller sees incidents whole (the centre's operators, the command line)."""
    p = ctx.principal
    return p.can(EVENTS) and (p.sees_all or (p.centre_id is not None))


def my_ministries(ctx: Ctx) -> list[str] | None:
    """The ministries whose events the caller may see (None: all)."""
    if whole(ctx):
        return None
    if not ctx.principal.can(EVENTS) or ctx.principal.agency_id is None:
        return []
    code = ctx.db.scalar(select(Agency.code).where(Agency.id == ctx.principal.agency_id))
    return [str(code)] if code else []


def list_incidents(ctx: Ctx, *, status: str = "", joint: bool | None = None, ministry: str = "", page: int = 1,
                   size: int = 30) -> Page[CyberIncident]:  # fmt: skip
    stmt = select(CyberIncident).where(CyberIncident.id.in_(_parts(ctx)))
    if status in INCIDENT_STATUSES:
        stmt = stmt.where(CyberIncident.status == status)
    elif status == "open":
        stmt = stmt.where(CyberIncident.status.in_(("new", "investigating", "contained")))
    if joint is not None:
        stmt = stmt.where(CyberIncident.joint.is_(joint))
    if ministry:
        stmt = stmt.where(
            CyberIncident.id.in_(
                select(CyberIncidentPart.incident_id).where(CyberIncidentPart.ministry == ministry)
            )
        )
    return paginate(ctx.db, stmt.order_by(CyberIncident.last_at.desc(), CyberIncident.id), page=page, size=size,
                    scalars=True)  # fmt: skip


@dataclass
class IncidentView:
    incident: CyberIncident
    parts: list[CyberIncidentPart]  # the caller's (all for the centre)
    others: int  # ministries in it the caller does not see
    notes: list[CyberIncidentNote]
    alerts: list[CyberAlert]


def get_incident(ctx: Ctx, incident_id: str) -> CyberIncident | None:
    return ctx.db.scalar(
        select(CyberIncident).where(
            CyberIncident.id == incident_id, CyberIncident.id.in_(_parts(ctx))
        )
    )


def incident_view(ctx: Ctx, incident_id: str) -> IncidentView | None:
    inc = get_incident(ctx, incident_id)
    if inc is None:
        return None
    parts = list(ctx.db.scalars(select(CyberIncidentPart).where(CyberIncidentPart.incident_id == inc.id)
                                .order_by(CyberIncidentPart.ministry)))  # fmt: skip
    mine = my_ministries(ctx)
    seen = [p for p in parts if mine is None or p.ministry in mine]
    notes = list(
        ctx.db.scalars(
            select(CyberIncidentNote)
            .where(CyberIncidentNote.incident_id == inc.id)
            .order_by(CyberIncidentNote.id)
        )
    )
    alerts = list(
        ctx.db.scalars(
            select(CyberAlert).where(CyberAlert.incident_id == inc.id).order_by(CyberAlert.at)
        )
    )
    ctx.audit("cyber.view_incident", target_type="cyber_incident", target_id=inc.id)
    return IncidentView(inc, seen, len(parts) - len(seen), notes, alerts)


def _acting(ctx: Ctx, incident_id: str) -> CyberIncident:
    if not ctx.principal.can(TRIAGE):
        raise PermissionError("사고를 처리할 권한이 없습니다")
    inc = get_incident(ctx, incident_id)
    if inc is None:
        raise TriageError("사고가 없습니다")
    return inc


def assign(ctx: Ctx, incident_id: str, assignee: str) -> CyberIncident:
    inc = _acting(ctx, incident_id)
    who = assignee.strip()[:100] or None
    inc.assignee = who
    ctx.db.add(CyberIncidentNote(incident_id=inc.id, at=utc_now(), actor=ctx.principal.display_name, kind="assigned",
                                 text=f"담당: {who or '없음'}"))  # fmt: skip
    ctx.audit("cyber.assign_incident", target_type="cyber_incident", target_id=inc.id)
    return inc


def set_status(ctx: Ctx, incident_id: str, status: str, note: str = "") -> CyberIncident:
    inc = _acting(ctx, incident_id)
    if status not in INCIDENT_STATUSES:
        raise TriageError("알 수 없는 상태입니다")
    if status.startswith("closed") and not note.strip():
        raise TriageError("종결하려면 판단 근거를 적으세요")
    inc.status = status
    ctx.db.add(CyberIncidentNote(incident_id=inc.id, at=utc_now(), actor=ctx.principal.display_name, kind="status",
                                 text=f"{status}: {note.strip()}"[:2000]))  # fmt: skip
    ctx.audit(
        "cyber.incident_status",
        target_type="cyber_incident",
        target_id=inc.id,
        detail={"status": status},
    )
    return inc


def add_note(ctx: Ctx, incident_id: str, text: str) -> None:
    inc = _acting(ctx, incident_id)
    if not text.strip():
        raise TriageError("메모를 입력하세요")
    ctx.db.add(CyberIncidentNote(incident_id=inc.id, at=utc_now(), actor=ctx.principal.display_name, kind="note",
                                 text=text.strip()[:2000]))  # fmt: skip
    ctx.audit("cyber.incident_note", target_type="cyber_incident", target_id=inc.id)


@dataclass(frozen=True)
class AlertView:
    """An alert as the caller may see it: a member's staff see their own ministry among its
    ministries and how many others there are, not which."""

    id: int
    at: dt.datetime
    rule_id: str
    title: str
    level: str
    incident_id: str
    ministries: list[str]
    others: int
    sources: list[str]
    events: int


def recent_alerts(ctx: Ctx, after: int = 0, limit: int = 50) -> list[AlertView]:
    stmt = select(CyberAlert).where(CyberAlert.incident_id.in_(_parts(ctx)))
    if after:
        stmt = stmt.where(CyberAlert.id > after)
    mine = my_ministries(ctx)
    out = []
    for a in ctx.db.scalars(stmt.order_by(CyberAlert.id.desc()).limit(limit)):
        shown = list(a.ministries) if mine is None else [m for m in a.ministries if m in mine]
        out.append(AlertView(a.id, a.at, a.rule_id, a.title, a.level, a.incident_id, shown,
                             len(a.ministries) - len(shown), list(a.sources), a.events))  # fmt: skip
    return out


def rule_stats(ctx: Ctx) -> list[CyberRuleStat]:
    if not ctx.principal.can(EVENTS):
        return []
    return list(
        ctx.db.scalars(
            select(CyberRuleStat).order_by(CyberRuleStat.hits.desc(), CyberRuleStat.title)
        )
    )


def collector_status(ctx: Ctx) -> list[CyberCollectorStatus]:
    if not whole(ctx):
        return []
    return list(ctx.db.scalars(select(CyberCollectorStatus).order_by(CyberCollectorStatus.name)))


def per_ministry(ctx: Ctx) -> list[dict[str, Any]]:
    """Open incidents and alerts of the last 24 hours by ministry (the caller's)."""
    since = utc_now() - dt.timedelta(hours=24)
    mine = my_ministries(ctx)
    own = (
        [] if mine is None else [CyberIncidentPart.ministry.in_(mine)]
    )  # a member: its own row only
    stmt = (select(CyberIncidentPart.ministry, func.count(func.distinct(CyberIncidentPart.incident_id)),
                   func.sum(CyberIncidentPart.events))
            .join(CyberIncident, CyberIncident.id == CyberIncidentPart.incident_id)
            .where(CyberIncident.status.in_(("new", "investigating", "contained")), CyberIncidentPart.incident_id.in_(_parts(ctx)), *own)
            .group_by(CyberIncidentPart.ministry))  # fmt: skip
    open_ = {m: (int(n), int(e or 0)) for m, n, e in ctx.db.execute(stmt)}
    recent = dict(
        ctx.db.execute(
            select(
                CyberIncidentPart.ministry, func.count(func.distinct(CyberIncidentPart.incident_id))
            )
            .join(CyberIncident, CyberIncident.id == CyberIncidentPart.incident_id)
            .where(
                CyberIncident.last_at >= since, CyberIncidentPart.incident_id.in_(_parts(ctx)), *own
            )
            .group_by(CyberIncidentPart.ministry)
        ).all()  # fmt: skip
    )
    names = {str(c): str(n) for c, n in ctx.db.execute(select(Agency.code, Agency.name_ko))}
    ministries = sorted(set(open_) | set(recent) | set(mine or []))
    return [{"ministry": m, "name": names.get(m, m), "open": open_.get(m, (0, 0))[0], "events": open_.get(m, (0, 0))[1],
             "recent": int(recent.get(m, 0))} for m in ministries]  # fmt: skip
