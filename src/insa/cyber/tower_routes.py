"""The control tower's pages and API: the live alert feed, incidents (triage: assign, notes,
status; the events behind each one click away), event search, rules with their hits and
last match, the per-ministry view; ``POST /api/v1/cyber/events`` for a ministry's pushes
(the ministry is the token's) and the feed as JSON. Routes parse, call the service (which
scopes and audits) and render."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from insa.clock import KST, to_kst, utc_now
from insa.cyber import store, tower
from insa.cyber.models import INCIDENT_LABELS, INCIDENT_STATUSES, LEVEL_LABELS
from insa.web.deps import (
    ApiCtxDep,
    CtxDep,
    Forbidden,
    NavItem,
    NotFound,
    api_gate,
    csrf_protect,
    page_gate,
    render,
    see_other,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/cyber", tags=["cyber"])
NAV = (NavItem("통합 관제", "/cyber/soc", lambda p: p.can(tower.EVENTS), order=68),)
LABELS = {"status": INCIDENT_LABELS, "level": LEVEL_LABELS}
MAX_BATCH = 10_000
MAX_SPOOLED = 2_000  # pushed batches waiting before a push is answered 503 (the sender retries)


def _paths() -> tuple[Any, Any, Any]:
    from insa.cyber.cli import tower_paths

    return tower_paths()


@router.get("/cyber/soc", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def soc_page(request: Request, ctx: CtxDep) -> Response:
    return render(request, "cyber/soc.html", alerts=tower.recent_alerts(ctx), labels=LABELS,
                  ministries=tower.per_ministry(ctx), collectors=tower.collector_status(ctx),
                  open=tower.list_incidents(ctx, status="open", size=10))  # fmt: skip


@router.get("/cyber/soc/feed", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def soc_feed(request: Request, ctx: CtxDep) -> Response:
    return render(request, "cyber/soc_feed.html", alerts=tower.recent_alerts(ctx), labels=LABELS)


@router.get("/cyber/incidents", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def incidents_page(request: Request, ctx: CtxDep, status: str = "open", joint: str = "",
                   ministry: Annotated[str, Query(max_length=16)] = "",
                   page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Response:  # fmt: skip
    result = tower.list_incidents(
        ctx, status=status, joint={"1": True, "0": False}.get(joint), ministry=ministry, page=page
    )
    return render(request, "cyber/incidents.html", result=result, status=status, joint=joint, ministry=ministry,
                  statuses=INCIDENT_STATUSES, labels=LABELS, whole=tower.whole(ctx))  # fmt: skip


@router.get("/cyber/incidents/{tower_incident}", response_class=HTMLResponse)
def incident_page(request: Request, ctx: CtxDep, tower_incident: str) -> Response:
    return _incident(request, ctx, tower_incident)


def _incident(
    request: Request, ctx: CtxDep, incident_id: str, error: str | None = None
) -> Response:
    view = tower.incident_view(ctx, incident_id)
    if view is None:
        raise NotFound()
    events_dir = _paths()[0]
    ids = [i for p in view.parts for i in p.event_ids]
    span = (
        view.incident.first_at - dt.timedelta(minutes=1),
        view.incident.last_at + dt.timedelta(minutes=1),
    )
    try:
        found = store.search(
            events_dir, *span, ministries=[p.ministry for p in view.parts], ids=ids[:500], limit=100
        )
    except store.StoreError:
        found = store.Found([], 0)
    return render(request, "cyber/incident.html", status_code=422 if error else 200, v=view, events=found, labels=LABELS,
                  statuses=INCIDENT_STATUSES, error=error, can_act=ctx.principal.can(tower.TRIAGE),
                  whole=tower.whole(ctx))  # fmt: skip


@router.post("/cyber/incidents/{tower_incident}", response_class=HTMLResponse)
def incident_act(request: Request, ctx: CtxDep, tower_incident: str, action: Annotated[str, Form()],
                 assignee: Annotated[str, Form(max_length=100)] = "", status: Annotated[str, Form(max_length=16)] = "",
                 note: Annotated[str, Form(max_length=2000)] = "") -> Response:  # fmt: skip
    incident_id = tower_incident
    if tower.get_incident(ctx, incident_id) is None:
        raise NotFound()
    try:
        if action == "assign":
            tower.assign(ctx, incident_id, assignee)
            said = f"담당을 {assignee.strip() or '없음'}(으)로 정했습니다"
        elif action == "status":
            tower.set_status(ctx, incident_id, status, note)
            said = f"상태를 '{INCIDENT_LABELS.get(status, status)}'(으)로 바꿨습니다"
        elif action == "note":
            tower.add_note(ctx, incident_id, note)
            said = "메모를 남겼습니다"
        else:
            return _incident(request, ctx, incident_id, "알 수 없는 처리입니다")
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    except tower.TriageError as exc:
        return _incident(request, ctx, incident_id, str(exc))
    return see_other(f"/cyber/incidents/{tower_incident}", said)


def _when(text: str, default: dt.datetime) -> dt.datetime:
    """A time the page was given (``2026-12-02T09:30``, Korea time) in UTC."""
    if not text.strip():
        return default
    at = dt.datetime.fromisoformat(text.strip())
    return (at if at.tzinfo else at.replace(tzinfo=KST)).astimezone(dt.UTC)


@router.get("/cyber/events", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def events_page(request: Request, ctx: CtxDep, start: Annotated[str, Query(max_length=32)] = "",
                end: Annotated[str, Query(max_length=32)] = "", ministry: Annotated[str, Query(max_length=16)] = "",
                field: Annotated[str, Query(max_length=64)] = "", value: Annotated[str, Query(max_length=500)] = "",
                q: Annotated[str, Query(max_length=200)] = "", page: Annotated[int, Query(ge=1, le=1000)] = 1) -> Response:  # fmt: skip
    now = utc_now()
    error = None
    found = store.Found([], 0)
    mine = tower.my_ministries(ctx)
    try:
        t0, t1 = _when(start, now - dt.timedelta(hours=1)), _when(end, now)
        ministries = (
            mine if not ministry else ([ministry] if mine is None or ministry in mine else [])
        )
        fields = {field: value} if field and value else {}
        found = store.search(
            _paths()[0],
            t0,
            t1,
            ministries=ministries,
            fields=fields,
            text=q,
            limit=50,
            offset=(page - 1) * 50,
        )
        ctx.audit(
            "cyber.search_events",
            target_type="cyber_events",
            detail={"ministry": ministry, "field": field, "q": q[:100]},
        )
    except ValueError as exc:  # a time that is not one, a field that cannot be searched
        error = (
            str(exc)
            if isinstance(exc, store.StoreError)
            else "시각은 2026-12-02T09:30 꼴로 적으세요"
        )
        t0, t1 = now - dt.timedelta(hours=1), now
    return render(request, "cyber/events.html", status_code=422 if error else 200, found=found, error=error,
                  start=start or f"{to_kst(t0):%Y-%m-%dT%H:%M}", end=end or f"{to_kst(t1):%Y-%m-%dT%H:%M}", ministry=ministry,
                  field=field, value=value, q=q, page=page, fields=store.SEARCHABLE, mine=mine)  # fmt: skip


@router.get("/cyber/rules", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def rules_page(request: Request, ctx: CtxDep) -> Response:
    return render(request, "cyber/rules.html", rules=tower.rule_stats(ctx), labels=LABELS)


@api_router.post(
    "/events", dependencies=[api_gate(tower.SEND)], name="cyber_events", status_code=202
)
async def api_events(request: Request, ctx: ApiCtxDep) -> JSONResponse:
    """보안 이벤트 묶음 (JSON 배열 또는 JSON lines; ECS 필드 또는 log.format+message) / A batch of events;
    the ministry is the token's, never the body's. 202 once written whole; 503 with Retry-After
    when too much waits (send again later)."""
    import orjson

    from insa.cyber.collector import SpoolFull, spool_batch

    ministry = await run_in_threadpool(tower.my_ministries, ctx)
    if not ministry:
        raise Forbidden("부처 계정의 토큰만 이벤트를 보낼 수 있습니다")
    body = await request.body()
    if len(body) > 32 * 2**20:
        return JSONResponse({"detail": "한 번에 32 MB까지 보낼 수 있습니다"}, status_code=413)
    try:
        parsed = (
            orjson.loads(body)
            if body.lstrip()[:1] == b"["
            else [orjson.loads(x) for x in body.splitlines() if x.strip()]
        )
    except orjson.JSONDecodeError as exc:
        return JSONResponse({"detail": f"JSON을 읽지 못했습니다: {exc}"}, status_code=422)
    docs = [d for d in parsed if isinstance(d, dict)]
    if len(docs) != len(parsed):
        return JSONResponse({"detail": "이벤트는 JSON 객체여야 합니다"}, status_code=422)
    if len(docs) > MAX_BATCH:
        return JSONResponse(
            {"detail": f"한 번에 {MAX_BATCH:,}건까지 보낼 수 있습니다"}, status_code=413
        )
    try:
        await run_in_threadpool(spool_batch, _paths()[2], ministry[0], docs, MAX_SPOOLED)
    except SpoolFull:
        return JSONResponse(
            {"detail": "수집기가 밀려 있습니다: 잠시 뒤 다시 보내세요"},
            status_code=503,
            headers={"Retry-After": "2"},
        )
    return JSONResponse({"accepted": len(docs), "ministry": ministry[0]}, status_code=202)


@api_router.get("/alerts", dependencies=[api_gate(tower.EVENTS)], name="cyber_alerts")
def api_alerts(ctx: ApiCtxDep, after: Annotated[int, Query(ge=0)] = 0) -> JSONResponse:
    """새 경보 (after 이후) / Alerts after an id."""
    items = [{"id": a.id, "at": a.at.isoformat(), "rule": a.rule_id, "title": a.title, "level": a.level,
              "incident": a.incident_id, "ministries": a.ministries, "source.ip": a.sources, "events": a.events}
             for a in tower.recent_alerts(ctx, after=after, limit=200)]  # fmt: skip
    return JSONResponse({"alerts": items})
