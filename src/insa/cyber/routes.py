"""The joint cyber safety centre's pages and API: the cases with their evidence beside the
official page, confirm / dismiss / request takedown / verify, the takedown request (mail
text and PDF), time to takedown per month; and the scoring API. Routes parse, call the
service (which scopes and audits) and render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from insa.cyber import service, tower_routes
from insa.cyber.models import EVENT_LABELS, STATUS_LABELS, STATUSES
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
    *tower_routes.NAV,
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


ROUTERS = (router, api_router, tower_routes.router, tower_routes.api_router)
