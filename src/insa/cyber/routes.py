"""The joint cyber safety centre's pages and API: the look-alike cases with their evidence
beside the official page, confirm / dismiss / request takedown / verify, the takedown
request (mail text and PDF), time to takedown per month, the scoring API; and the control
tower's — the live alert feed, incidents (triage, the events behind them), event search,
rules with their hits, the per-ministry view, ``POST /api/v1/cyber/events`` (the ministry is
the token's) and the feed as JSON. Routes parse, call the services (which scope and audit)
and render."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from insa.clock import KST, to_kst, utc_now
from insa.cyber import service, store, tower
from insa.cyber.models import (
    EVENT_LABELS,
    INCIDENT_LABELS,
    INCIDENT_STATUSES,
    LEVEL_LABELS,
    STATUS_LABELS,
    STATUSES,
)
from insa.web.deps import (
    ApiCtxDep,
    CtxDep,
    Forbidden,
    NavItem,
    NotFound,
    api_gate,
    csrf_protect,
    download,
    page_gate,
    render,
    see_other,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1/cyber", tags=["cyber"])
NAV = (
    NavItem("사칭 사이트", "/cyber/cases", lambda p: p.can(service.VIEW), order=69),
    NavItem("통합 관제", "/cyber/soc", lambda p: p.can(tower.EVENTS), order=68),
)
LABELS = {"status": STATUS_LABELS, "event": EVENT_LABELS}
MAX_DOMAINS = 10_000


def _officials() -> dict[str, Any]:
    from insa.cyber.cli import fingerprints_path
    from insa.cyber.evidence import load_fingerprints

    try:
        return load_fingerprints(fingerprints_path(None))
    except (OSError, ValueError):
        return {}


@router.get("/cyber/cases", response_class=HTMLResponse, dependencies=[page_gate(service.VIEW)])
def cases_page(request: Request, ctx: CtxDep, status: str = "", q: Annotated[str, Query(max_length=100)] = "",
               page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Response:  # fmt: skip
    result = service.list_cases(ctx, status=status, q=q, page=page)
    return render(request, "cyber/cases.html", result=result, status=status, q=q, statuses=STATUSES,
                  labels=LABELS, months=service.monthly(ctx))  # fmt: skip


@router.get("/cyber/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, ctx: CtxDep, case_id: str) -> Response:
    return _case(request, ctx, case_id)


def _case(request: Request, ctx: CtxDep, case_id: str, error: str | None = None) -> Response:
    view = service.case_view(ctx, case_id)
    if view is None:
        raise NotFound()
    req = None
    if view.case.status in ("confirmed", "takedown_requested", "verified_down"):
        from insa.cyber import takedown

        req = takedown.request(
            view.case, view.evidence[0] if view.evidence else None, view.agency, view.case.asset
        )
    return render(request, "cyber/case.html", status_code=422 if error else 200, v=view, labels=LABELS,
                  error=error, req=req, officials=_officials().get(view.case.asset, []),
                  can_act=ctx.principal.can(service.HANDLE))  # fmt: skip


@router.post("/cyber/cases/{case_id}", response_class=HTMLResponse)
def case_act(
    request: Request,
    ctx: CtxDep,
    case_id: str,
    action: Annotated[str, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
    registrar_abuse: Annotated[str, Form(max_length=200)] = "",
    host_abuse: Annotated[str, Form(max_length=200)] = "",
    registration: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:
    if service.get_case(ctx, case_id) is None:
        raise NotFound()
    try:
        if action == "confirm":
            service.confirm(ctx, case_id, note)
            said = "사칭으로 확인했습니다: 차단을 요청할 수 있습니다"
        elif action == "dismiss":
            service.dismiss(ctx, case_id, note)
            said = "오탐으로 처리했습니다"
        elif action == "takedown":
            service.request_takedown(ctx, case_id, registrar_abuse, host_abuse)
            said = "차단을 요청했습니다: 요청서(PDF)를 보내고, 내려가면 차단 확인을 누르세요"
        elif action == "contacts":
            got = service.set_contacts(ctx, case_id, registration)
            said = "신고 창구를 채웠습니다: " + ", ".join(
                x for x in (got.registrar, got.registrar_abuse, got.hosting, got.host_abuse) if x
            )
        elif action == "verify":
            gone = service.verify(ctx, case_id)
            said = "차단을 확인했습니다" if gone else "아직 열려 있습니다: 나중에 다시 확인하세요"
        else:
            return _case(request, ctx, case_id, "알 수 없는 처리입니다")
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    except service.CaseError as exc:
        return _case(request, ctx, case_id, str(exc))
    return see_other(f"/cyber/cases/{case_id}", said)


@router.get("/cyber/cases/{case_id}/request.pdf")
def case_pdf(ctx: CtxDep, case_id: str) -> Response:
    if service.get_case(ctx, case_id) is None:
        raise NotFound()
    _req, pdf = service.takedown_documents(ctx, case_id)
    return download(pdf, "application/pdf", f"takedown-{case_id}.pdf")


@router.get("/cyber/evidence/{evidence_id}/shot.png")
def evidence_shot(ctx: CtxDep, evidence_id: int) -> Response:
    from sqlalchemy import select

    from insa.cyber.models import CyberEvidence

    ev = ctx.db.scalar(select(CyberEvidence).where(CyberEvidence.id == evidence_id))
    if ev is None or ev.screenshot is None or service.get_case(ctx, ev.case_id) is None:
        raise NotFound()
    return Response(
        ev.screenshot, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/cyber/official/{asset}/{n}.png")
def official_shot(ctx: CtxDep, asset: str, n: int) -> Response:
    """The screenshot of an asset's official page taken with its fingerprint (the centre's
    and its members' security staff's; for anyone else there is none)."""
    from insa.cyber.cli import fingerprints_path

    if not ctx.principal.can(service.VIEW):
        raise NotFound()
    prints = _officials().get(asset, [])
    if not 0 <= n < len(prints) or not prints[n].shot:
        raise NotFound()
    path = fingerprints_path(None).parent / prints[n].shot
    if not path.is_file():
        raise NotFound()
    return Response(
        path.read_bytes(),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=3600"},
    )


class ScoreIn(BaseModel):
    assets: str = Field(
        ...,
        max_length=1_000_000,
        description="보호 자산 YAML (insa cyber scan의 --assets와 같은 형식)",
    )
    domains: list[str] = Field(..., max_length=MAX_DOMAINS, description="후보 도메인")


@api_router.post("/score", dependencies=[api_gate(service.SCAN)], name="cyber_score")
async def api_score(body: ScoreIn, ctx: ApiCtxDep) -> JSONResponse:
    """후보 도메인의 점수·판정·근거 (domain, asset, score, verdict, reasons) / Score candidates;
    422 with file:line when the assets are wrong."""
    found, findings = await run_in_threadpool(service.score_text, body.assets, body.domains)
    if not found.ok:
        return JSONResponse({"detail": [str(p) for p in found.problems]}, status_code=422)
    ctx.audit("cyber.scan", target_type="cyber_scan", detail={"domains": len(body.domains),
              "alerts": sum(1 for f in findings if f.verdict == "alert")})  # fmt: skip
    items: list[dict[str, Any]] = [
        {**f.row(), "score": f.score, "reasons": list(f.reasons)} for f in findings
    ]
    return JSONResponse({"findings": items})


# -- the control tower (issue 15) --------------------------------------------------------

TOWER_LABELS = {"status": INCIDENT_LABELS, "level": LEVEL_LABELS}
MAX_BATCH = 10_000
MAX_SPOOLED = 2_000  # pushed batches waiting before a push is answered 503 (the sender retries)


def _tower_paths() -> tuple[Any, Any, Any]:
    from insa.cyber.cli import tower_paths

    return tower_paths()


@router.get("/cyber/soc", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def soc_page(request: Request, ctx: CtxDep) -> Response:
    return render(request, "cyber/soc.html", alerts=tower.recent_alerts(ctx), labels=TOWER_LABELS,
                  ministries=tower.per_ministry(ctx), collectors=tower.collector_status(ctx),
                  open=tower.list_incidents(ctx, status="open", size=10), whole=tower.whole(ctx))  # fmt: skip


@router.get("/cyber/soc/feed", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def soc_feed(request: Request, ctx: CtxDep) -> Response:
    return render(
        request, "cyber/soc_feed.html", alerts=tower.recent_alerts(ctx), labels=TOWER_LABELS
    )


@router.get("/cyber/incidents", response_class=HTMLResponse, dependencies=[page_gate(tower.EVENTS)])
def incidents_page(request: Request, ctx: CtxDep, status: str = "open", joint: str = "",
                   ministry: Annotated[str, Query(max_length=16)] = "",
                   page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Response:  # fmt: skip
    result = tower.list_incidents(
        ctx, status=status, joint={"1": True, "0": False}.get(joint), ministry=ministry, page=page
    )
    return render(request, "cyber/incidents.html", result=result, status=status, joint=joint, ministry=ministry,
                  statuses=INCIDENT_STATUSES, labels=TOWER_LABELS, whole=tower.whole(ctx))  # fmt: skip


@router.get("/cyber/incidents/{tower_incident}", response_class=HTMLResponse)
def incident_page(request: Request, ctx: CtxDep, tower_incident: str) -> Response:
    return _incident(request, ctx, tower_incident)


def _incident(
    request: Request, ctx: CtxDep, incident_id: str, error: str | None = None
) -> Response:
    view = tower.incident_view(ctx, incident_id)
    if view is None:
        raise NotFound()
    events_dir = _tower_paths()[0]
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
    return render(request, "cyber/incident.html", status_code=422 if error else 200, v=view, events=found, labels=TOWER_LABELS,
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
            _tower_paths()[0],
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
    return render(request, "cyber/rules.html", rules=tower.rule_stats(ctx), labels=TOWER_LABELS)


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
        await run_in_threadpool(spool_batch, _tower_paths()[2], ministry[0], docs, MAX_SPOOLED)
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
              "incident": a.incident_id, "ministries": a.ministries, "other_ministries": a.others, "source.ip": a.sources,
              "events": a.events}
             for a in tower.recent_alerts(ctx, after=after, limit=200)]  # fmt: skip
    return JSONResponse({"alerts": items})


ROUTERS = (router, api_router)
