"""Verification findings in the web app: each agency works through its own; central
administrators see everything and the totals. Routes parse, call and render; the service
scopes and audits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from insa.allowance import service
from insa.allowance.models import (
    KIND_LABELS,
    MATCH_LABELS,
    RELATION_LABELS,
    STATUS_LABELS,
    STATUSES,
    Finding,
)
from insa.allowance.schemas import FindingOut, FindingPageOut, finding_out
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
api_router = APIRouter(prefix="/api/v1/allowance", tags=["allowance"])
ROUTERS = (router, api_router)
NAV = (NavItem("이중수급 검증", "/allowance/findings", lambda p: p.can(service.VIEW), order=60),)
LABELS = {
    "kind": KIND_LABELS,
    "match": MATCH_LABELS,
    "status": STATUS_LABELS,
    "relation": RELATION_LABELS,
}


@router.get(
    "/allowance/findings", response_class=HTMLResponse, dependencies=[page_gate(service.VIEW)]
)
def findings(
    request: Request,
    ctx: CtxDep,
    status: str = "",
    kind: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    result = service.list_findings(ctx, status=status, kind=kind, page=page)
    return render(
        request,
        "allowance/findings.html",
        result=result,
        status=status,
        kind=kind,
        statuses=STATUSES,
        labels=LABELS,
        by_org=service.by_organisation(ctx) if ctx.principal.sees_all else [],
    )


# A finding outside the caller's scope (or without the permission to view) is not found:
# the detail pages have no gate, so they answer 404, never 403.


@router.get("/allowance/findings/{finding_id}", response_class=HTMLResponse)
def finding_detail(request: Request, ctx: CtxDep, finding_id: str) -> Response:
    f = service.get_finding(ctx, finding_id)
    if f is None:
        raise NotFound()
    return _finding_page(request, ctx, f)


def _finding_page(request: Request, ctx: CtxDep, f: Finding, error: str | None = None) -> Response:
    return render(
        request, "allowance/finding.html", status_code=422 if error else 200, f=f,
        labels=LABELS, error=error, can_resolve=ctx.principal.can(service.RESOLVE),
        history=service.history(ctx, f), own=service.own_employees(ctx, f),
    )  # fmt: skip


@router.post("/allowance/findings/{finding_id}", response_class=HTMLResponse)
def finding_resolve(
    request: Request,
    ctx: CtxDep,
    finding_id: str,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
) -> Response:
    f = service.get_finding(ctx, finding_id)
    if f is None:
        raise NotFound()
    try:
        service.resolve(ctx, f, action, reason=reason, amount=amount)
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    except service.ResolutionError as exc:  # refused before the finding changed
        return _finding_page(request, ctx, f, str(exc))
    return see_other(f"/allowance/findings/{finding_id}",
                     f"처리 상태를 바꿨습니다: {LABELS['status'].get(action, action)}")  # fmt: skip


@api_router.get("/findings", response_model=FindingPageOut, dependencies=[api_gate(service.VIEW)])
def api_findings(
    ctx: ApiCtxDep,
    status: str = "",
    kind: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FindingPageOut:
    """Findings in the caller's scope (either claim at the caller's agency), largest first."""
    res = service.list_findings(ctx, status=status, kind=kind, page=page, size=size)
    return FindingPageOut(
        items=[finding_out(f) for f in res.items],
        total=res.total,
        page=res.page,
        pages=res.pages,
        totals=res.totals,
    )


@api_router.get("/findings/{finding_id}", response_model=FindingOut)
def api_finding(ctx: ApiCtxDep, finding_id: str) -> FindingOut:
    f = service.get_finding(ctx, finding_id)
    if f is None:
        raise NotFound()
    return finding_out(f)
