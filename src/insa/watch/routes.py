"""The failure-detection centre's pages and API: monitors with their state, incidents,
silences and maintenance, monitors added in the web app, the configuration check, the push
endpoint, and the ministries' public status pages (no log-in). Routes parse, call the
service (which scopes and audits) and render."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from insa.clock import local_to_utc
from insa.watch import service
from insa.watch import silences as sil
from insa.watch.models import NOTE_KINDS, STATE_LABELS, STATES
from insa.watch.schemas import SEVERITY_LABELS, Config
from insa.web.deps import (
    ApiCtxDep,
    CtxDep,
    DbDep,
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
api_router = APIRouter(prefix="/api/v1", tags=["v1"])
public_router = APIRouter(include_in_schema=False)  # the status pages: no log-in
ROUTERS = (router, api_router, public_router)
NAV = (
    NavItem("장애 관제", "/watch", lambda p: p.can(service.VIEW), order=68),
    NavItem("점검 설정 검사", "/watch/validate", lambda p: p.can(service.VALIDATE), order=70),
)
LABELS = {"state": STATE_LABELS, "note": NOTE_KINDS, "labels": sil.LABEL_NAMES}


def _report(found: Config) -> dict[str, Any]:
    kinds: dict[str, int] = {}
    for m in found.monitors:
        kinds[m.kind] = kinds.get(m.kind, 0) + 1
    return {
        "ok": found.ok,
        "monitors": [
            {
                "key": m.key,
                "kind": m.kind,
                "ministry": m.ministry or None,
                "interval_ms": m.interval_ms,
                "depends_on": list(m.depends_on),
                "line": m.where.line,
            }
            for m in found.monitors
        ],  # fmt: skip
        "kinds": kinds,
        "notifiers": sorted(found.notifiers),
        "problems": [
            {
                "file": p.where.file,
                "line": p.where.line,
                "severity": p.severity,
                "message": p.message,
            }
            for p in found.problems
        ],  # fmt: skip
    }


def spark_points(
    points: list[tuple[int, bool]], width: int = 120, height: int = 28
) -> dict[str, Any]:
    """A sparkline's polyline and its failed checks' dots (SVG coordinates)."""
    if not points:
        return {"line": "", "dots": [], "top": 0}
    top = max(1, max(ms for ms, _ in points))
    step = width / max(1, len(points) - 1)
    xy = [
        (round(i * step, 1), round(height - 2 - (ms / top) * (height - 4), 1))
        for i, (ms, _) in enumerate(points)
    ]
    return {"line": " ".join(f"{x},{y}" for x, y in xy),
            "dots": [xy[i] for i, (_, ok) in enumerate(points) if not ok], "top": top}  # fmt: skip


def _key_url(path: str, key: str) -> str:
    return f"{path}?key={quote(key, safe='')}"


# ------------------------------------------------------------------ monitors


@router.get("/watch", response_class=HTMLResponse, dependencies=[page_gate(service.VIEW)])
def monitors_page(
    request: Request,
    ctx: CtxDep,
    q: Annotated[str, Query(max_length=100)] = "",
    state: str = "",
    ministry: Annotated[str, Query(max_length=16)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    result = service.list_monitors(ctx, q=q, state=state, ministry=ministry, page=page)
    open_ = service.list_incidents(ctx, status="open", size=5)
    return render(request, "watch/monitors.html", result=result, q=q, state=state, ministry=ministry,
                  states=STATES, labels=LABELS, spark=spark_points, key_url=_key_url, incidents=open_,
                  ministries=service.ministries_in_scope(ctx), can_edit=ctx.principal.can(service.EDIT))  # fmt: skip


@router.get("/watch/monitor", response_class=HTMLResponse, dependencies=[page_gate(service.VIEW)])
def monitor_page(
    request: Request, ctx: CtxDep, key: Annotated[str, Query(max_length=300)]
) -> Response:
    found = service.monitor_detail(ctx, key)
    if found is None:
        raise NotFound()
    return render(request, "watch/monitor.html", d=found, labels=LABELS, key_url=_key_url,
                  can_edit=ctx.principal.can(service.EDIT) and found.row.source == "web")  # fmt: skip


def _form_page(
    request: Request, form: service.MonitorForm, key: str | None, error: str | None = None
) -> Response:
    return render(request, "watch/monitor_form.html", status_code=422 if error else 200, form=form,
                  key=key, error=error, key_url=_key_url)  # fmt: skip


@router.get(
    "/watch/monitor/new", response_class=HTMLResponse, dependencies=[page_gate(service.EDIT)]
)
def monitor_new(request: Request, ctx: CtxDep) -> Response:
    return _form_page(request, service.MonitorForm(), None)


@router.get(
    "/watch/monitor/edit", response_class=HTMLResponse, dependencies=[page_gate(service.EDIT)]
)
def monitor_edit(
    request: Request, ctx: CtxDep, key: Annotated[str, Query(max_length=300)]
) -> Response:
    row = service.get_monitor(ctx, key, service.EDIT)
    if row is None:
        raise NotFound()
    if row.source != "web":
        return see_other(
            _key_url("/watch/monitor", key),
            f"이 점검은 설정 파일 {row.source}에서 고칩니다",
            "warn",
        )
    return _form_page(request, service.MonitorForm.of(row), key)


@router.post(
    "/watch/monitor/save", response_class=HTMLResponse, dependencies=[page_gate(service.EDIT)]
)
def monitor_save(
    request: Request,
    ctx: CtxDep,
    name: Annotated[str, Form(max_length=200)],
    url: Annotated[str, Form(max_length=1000)] = "",
    group: Annotated[str, Form(max_length=200)] = "",
    ministry: Annotated[str, Form(max_length=16)] = "",
    method: Annotated[str, Form(max_length=10)] = "GET",
    interval: Annotated[str, Form(max_length=20)] = "60s",
    timeout: Annotated[str, Form(max_length=20)] = "10s",
    conditions: Annotated[str, Form(max_length=5000)] = "",
    depends_on: Annotated[str, Form(max_length=2000)] = "",
    failure_threshold: Annotated[str, Form(max_length=5)] = "",
    success_threshold: Annotated[str, Form(max_length=5)] = "",
    dns_query_name: Annotated[str, Form(max_length=255)] = "",
    dns_query_type: Annotated[str, Form(max_length=10)] = "",
    public: Annotated[str, Form()] = "",
    key: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    form = service.MonitorForm(name, group, ministry, url, method, interval, timeout, conditions, depends_on,
                               failure_threshold, success_threshold, dns_query_name, dns_query_type,
                               public=bool(public))  # fmt: skip
    try:
        row = service.save_monitor(ctx, form, key or None)
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    except LookupError:
        raise NotFound() from None
    except service.WatchError as exc:
        return _form_page(request, form, key or None, str(exc))
    return see_other(
        _key_url("/watch/monitor", row.key),
        f"저장했습니다: {row.key} (점검기가 곧 점검을 시작합니다)",
    )


@router.post(
    "/watch/monitor/remove", response_class=HTMLResponse, dependencies=[page_gate(service.EDIT)]
)
def monitor_remove(
    request: Request, ctx: CtxDep, key: Annotated[str, Form(max_length=300)]
) -> Response:
    try:
        row = service.remove_monitor(ctx, key)
    except LookupError:
        raise NotFound() from None
    except service.WatchError as exc:
        return see_other(_key_url("/watch/monitor", key), str(exc), "warn")
    return see_other("/watch", f"점검 대상에서 뺐습니다: {row.key} (기록은 남습니다)")


# ------------------------------------------------------------------ incidents


@router.get("/watch/incidents", response_class=HTMLResponse, dependencies=[page_gate(service.VIEW)])
def incidents_page(request: Request, ctx: CtxDep, status: str = "",
                   page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> Response:  # fmt: skip
    result = service.list_incidents(ctx, status=status, page=page)
    return render(
        request,
        "watch/incidents.html",
        result=result,
        status=status,
        labels=LABELS,
        key_url=_key_url,
    )


@router.get("/watch/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, ctx: CtxDep, incident_id: str) -> Response:
    inc = service.get_incident(ctx, incident_id)
    if inc is None:
        raise NotFound()
    return _incident(request, ctx, inc)


def _incident(request: Request, ctx: CtxDep, inc: Any, error: str | None = None) -> Response:
    return render(request, "watch/incident.html", status_code=422 if error else 200, inc=inc,
                  notes=service.timeline(ctx.db, inc.id), labels=LABELS, error=error, key_url=_key_url,
                  can_act=ctx.principal.can(service.OPERATE))  # fmt: skip


@router.post("/watch/incidents/{incident_id}", response_class=HTMLResponse)
def incident_act(
    request: Request,
    ctx: CtxDep,
    incident_id: str,
    action: Annotated[str, Form()],
    text: Annotated[str, Form(max_length=service.MAX_NOTE)] = "",
    public: Annotated[str, Form()] = "",
) -> Response:
    inc = service.get_incident(ctx, incident_id)
    if inc is None:
        raise NotFound()
    done = {"acknowledge": "확인했습니다: 상위 보고가 멈춥니다", "note": "메모를 남겼습니다",
            "resolve": "장애를 종료했습니다"}  # fmt: skip
    try:
        if action == "acknowledge":
            service.acknowledge(ctx, incident_id)
        elif action == "note":
            service.add_note(ctx, incident_id, text, bool(public))
        elif action == "resolve":
            service.resolve(ctx, incident_id, text, bool(public))
        else:
            return _incident(request, ctx, inc, "알 수 없는 처리입니다")
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    except service.WatchError as exc:
        return _incident(request, ctx, inc, str(exc))
    return see_other(f"/watch/incidents/{incident_id}", done[action])


# ------------------------------------------------------------------ silences


def _silences(request: Request, ctx: CtxDep, error: str | None = None, **form: Any) -> Response:
    rows = service.list_silences(ctx, include_expired=True)
    now = dt.datetime.now(dt.UTC)
    return render(request, "watch/silences.html", status_code=422 if error else 200, rows=rows, now=now,
                  error=error, form=form, labels=LABELS, can_silence=ctx.principal.can(service.SILENCE),
                  matchers=lambda r: ", ".join(str(m) for m in sil.of_lists(r.matchers)))  # fmt: skip


@router.get("/watch/silences", response_class=HTMLResponse, dependencies=[page_gate(service.VIEW)])
def silences_page(
    request: Request, ctx: CtxDep, matchers: Annotated[str, Query(max_length=500)] = ""
) -> Response:
    return _silences(request, ctx, matchers=matchers)


@router.post(
    "/watch/silences", response_class=HTMLResponse, dependencies=[page_gate(service.SILENCE)]
)
def silence_create(
    request: Request,
    ctx: CtxDep,
    matchers: Annotated[str, Form(max_length=500)],
    comment: Annotated[str, Form(max_length=service.MAX_NOTE)] = "",
    kind: Annotated[str, Form()] = "silence",
    starts: Annotated[str, Form(max_length=20)] = "",
    hours: Annotated[str, Form(max_length=6)] = "",
    ends: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form = {
        "matchers": matchers,
        "comment": comment,
        "kind": kind,
        "starts": starts,
        "hours": hours,
        "ends": ends,
    }
    try:
        start = local_to_utc(dt.datetime.fromisoformat(starts)) if starts.strip() else None
        if ends.strip():
            end = local_to_utc(dt.datetime.fromisoformat(ends))
        elif hours.strip():
            end = (start or dt.datetime.now(dt.UTC)) + dt.timedelta(hours=float(hours))
        else:
            raise service.WatchError("끝나는 시각이나 시간(시간 단위)을 입력하세요")
        row = service.create_silence(
            ctx, matchers=matchers, starts_at=start, ends_at=end, comment=comment, kind=kind
        )
    except ValueError as exc:  # WatchError too
        text = (
            str(exc)
            if isinstance(exc, service.WatchError)
            else "시각은 2026-12-02T14:00 형식으로 입력하세요"
        )
        return _silences(request, ctx, text, **form)
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    n, _ = service.matching_monitors(ctx, sil.of_lists(row.matchers))
    return see_other("/watch/silences", f"등록했습니다: 점검 {n}개의 알림이 멈춥니다")


@router.post("/watch/silences/{silence_id}/expire", response_class=HTMLResponse,
             dependencies=[page_gate(service.SILENCE)])  # fmt: skip
def silence_expire(request: Request, ctx: CtxDep, silence_id: str) -> Response:
    try:
        service.expire_silence(ctx, silence_id)
    except LookupError:
        raise NotFound() from None
    except service.WatchError as exc:
        return see_other("/watch/silences", str(exc), "warn")
    return see_other("/watch/silences", "알림 중지를 해제했습니다")


# ------------------------------------------------------------------ the configuration check


@router.get("/watch/validate", response_class=HTMLResponse,
            dependencies=[page_gate(service.VALIDATE)])  # fmt: skip
def validate_page(request: Request, ctx: CtxDep) -> Response:
    return render(request, "watch/validate.html", text="", report=None, labels=SEVERITY_LABELS)


@router.post("/watch/validate", response_class=HTMLResponse,
             dependencies=[page_gate(service.VALIDATE)])  # fmt: skip
async def validate_submit(
    request: Request, ctx: CtxDep, text: Annotated[str, Form(max_length=service.MAX_TEXT)] = ""
) -> Response:
    found = await run_in_threadpool(service.validate_text, text)
    return render(
        request, "watch/validate.html", text=text, report=_report(found), labels=SEVERITY_LABELS
    )


@api_router.post(
    "/watch/validate", dependencies=[api_gate(service.VALIDATE)], name="watch_validate"
)
async def api_validate(request: Request, ctx: ApiCtxDep) -> JSONResponse:
    """Gatus 설정(YAML 본문)을 검사합니다. 200: 검사 결과(`ok`, `problems`의 file·line), 413: 너무 긴 본문."""
    raw = await request.body()
    if len(raw) > service.MAX_TEXT * 4:
        return JSONResponse({"detail": "설정이 너무 깁니다"}, status_code=413)
    try:
        text = raw.decode("utf-8")
        found = await run_in_threadpool(service.validate_text, text)
    except (UnicodeDecodeError, ValueError) as exc:
        return JSONResponse({"detail": f"읽을 수 없는 설정입니다: {exc}"}, status_code=422)
    return JSONResponse(_report(found))


@api_router.get("/watch/monitors", dependencies=[api_gate(service.VIEW)], name="watch_monitors")
def api_monitors(ctx: ApiCtxDep, q: str = "", state: str = "", ministry: str = "",
                 page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> JSONResponse:  # fmt: skip
    """점검 대상 목록 (범위 안, 장애 먼저) / The monitors in scope with state and uptime."""
    result = service.list_monitors(ctx, q=q, state=state, ministry=ministry, page=page)
    return JSONResponse({
        "total": result.total, "page": result.page, "pages": result.pages, "states": result.totals["states"],
        "items": [{"key": v.row.key, "name": v.row.name, "group": v.row.group, "ministry": v.row.ministry,
                   "kind": v.row.kind, "state": v.row.state, "last_latency_ms": v.row.last_latency_ms,
                   "uptime": v.uptime} for v in result.items],
    })  # fmt: skip


@api_router.post("/watch/push/{token}", name="watch_push")
async def api_push(token: str, db: DbDep, success: bool = True, error: str = "") -> JSONResponse:
    """배치 작업의 푸시 점검 호출 (토큰이 곧 인증). `success=false&error=…`로 실패를 알립니다.
    / A batch job's call for its push monitor (the token authenticates)."""
    found = await run_in_threadpool(service.record_push, db, token, success, error)
    if not found:
        return JSONResponse({"detail": "등록되지 않은 토큰입니다"}, status_code=404)
    return JSONResponse({"ok": True})


# ------------------------------------------------------------------ public status pages


LOOPBACK = ("127.0.0.1", "::1")


@public_router.get("/metrics")
async def metrics(request: Request, db: DbDep) -> Response:
    """Prometheus 형식 지표: 웹 요청·응답 시간(경로별)과 점검 상태. 이 서버 안에서, 또는
    점검 대상 조회 권한이 있는 API 토큰으로 / Prometheus metrics: loopback or an API token."""
    from fastapi.responses import PlainTextResponse
    from prometheus_client import CONTENT_TYPE_LATEST

    from insa.security import auth
    from insa.watch.metrics import StateCollector
    from insa.web.metrics import exposition

    header = request.headers.get("authorization", "")
    client = request.client.host if request.client else ""
    if client not in LOOPBACK:
        user = (
            auth.user_for_api_token(db, header[7:].strip())
            if header.lower().startswith("bearer ")
            else None
        )
        principal = auth.principal_for(db, user, client) if user is not None else None
        if principal is None or not principal.can(service.VIEW):
            return PlainTextResponse(
                "지표는 이 서버 안에서나 API 토큰으로 볼 수 있습니다\n", status_code=401
            )
    body = await run_in_threadpool(exposition, StateCollector(db))
    return Response(body, media_type=CONTENT_TYPE_LATEST)


@public_router.get("/status", response_class=HTMLResponse)
def status_index(request: Request, db: DbDep) -> Response:
    return render(
        request, "watch/status_index.html", ministries=service.status_ministries(db), principal=None
    )


@public_router.get("/status/{code}", response_class=HTMLResponse)
def status_page(request: Request, db: DbDep, code: str) -> Response:
    found = service.public_status(db, code[:16])
    if found is None:
        raise NotFound()
    response = render(request, "watch/status.html", s=found, labels=LABELS, principal=None)
    response.headers["Cache-Control"] = "public, max-age=30"
    return response
