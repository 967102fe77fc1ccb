"""The monitors' configuration checked in the web app (the centre's operators paste a Gatus
file and see every problem with its line) and over the API (a CI job posts the file)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from insa.watch import service
from insa.watch.schemas import SEVERITY_LABELS, Config
from insa.web.deps import (
    ApiCtxDep,
    CtxDep,
    DbDep,
    NavItem,
    api_gate,
    csrf_protect,
    page_gate,
    render,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
api_router = APIRouter(prefix="/api/v1", tags=["v1"])
ROUTERS = (router, api_router)
NAV = (NavItem("점검 설정 검사", "/watch/validate", lambda p: p.can(service.VALIDATE), order=70),)


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


@api_router.post("/watch/push/{token}", name="watch_push")
async def api_push(token: str, db: DbDep, success: bool = True, error: str = "") -> JSONResponse:
    """배치 작업의 푸시 점검 호출 (토큰이 곧 인증). `success=false&error=…`로 실패를 알립니다.
    / A batch job's call for its push monitor (the token authenticates)."""
    found = await run_in_threadpool(service.record_push, db, token, success, error)
    if not found:
        return JSONResponse({"detail": "등록되지 않은 토큰입니다"}, status_code=404)
    return JSONResponse({"ok": True})
