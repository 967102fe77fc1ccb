"""Verification findings in the web app: each agency works through its own; central
administrators see everything and the totals. Routes parse, call and render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from insa.allowance import scoped
from insa.allowance.models import (
    KIND_LABELS,
    MATCH_LABELS,
    RELATION_LABELS,
    STATUS_LABELS,
    STATUSES,
)
from insa.web.deps import ApiCtxDep, CtxDep, Forbidden, NavItem, NotFound, csrf_protect, render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
NAV = (NavItem("이중수급 검증", "/allowance/findings", lambda p: p.can(scoped.VIEW), order=60),)
LABELS = {
    "kind": KIND_LABELS,
    "match": MATCH_LABELS,
    "status": STATUS_LABELS,
    "relation": RELATION_LABELS,
}


@router.get("/allowance/findings", response_class=HTMLResponse)
def findings(
    request: Request,
    ctx: CtxDep,
    status: str = "",
    kind: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
) -> Response:
    p = ctx.principal
    if not p.can(scoped.VIEW):
        raise Forbidden()
    result = scoped.list_findings(ctx, status=status, kind=kind, page=page)
    return render(
        request,
        "allowance/findings.html",
        result=result,
        status=status,
        kind=kind,
        statuses=STATUSES,
        labels=LABELS,
        by_org=scoped.by_organisation(ctx) if p.sees_all else [],
    )


@router.get("/allowance/findings/{finding_id}", response_class=HTMLResponse)
def finding_detail(request: Request, ctx: CtxDep, finding_id: str) -> Response:
    f = scoped.get_finding(ctx, finding_id)
    if f is None:
        raise NotFound()
    return render(
        request,
        "allowance/finding.html",
        f=f,
        labels=LABELS,
        error=None,
        can_resolve=ctx.principal.can(scoped.RESOLVE),
    )


@router.post("/allowance/findings/{finding_id}", response_class=HTMLResponse)
def finding_resolve(
    request: Request,
    ctx: CtxDep,
    finding_id: str,
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
) -> Response:
    f = scoped.get_finding(ctx, finding_id)
    if f is None:
        raise NotFound()
    try:
        scoped.resolve(ctx, f, action, reason=reason, amount=amount)
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    except scoped.ResolutionError as exc:
        ctx.db.rollback()
        f = scoped.get_finding(ctx, finding_id)
        return render(
            request,
            "allowance/finding.html",
            status_code=422,
            f=f,
            labels=LABELS,
            error=str(exc),
            can_resolve=True,
        )
    return RedirectResponse(f"/allowance/findings/{finding_id}", status_code=303)


api_router = APIRouter(prefix="/api/v1/allowance", tags=["allowance"])


class FindingOut(BaseModel):
    finding_id: str
    kind: str
    match: str
    probability: float
    claim_a: str
    claim_b: str
    dependent_key: str
    overlap_start: str
    overlap_end: str
    overlap_months: int
    overpaid_amount: int
    recover_from: str
    status: str
    reason: str | None
    recovered_amount: int | None


class FindingPageOut(BaseModel):
    items: list[FindingOut]
    total: int
    page: int
    pages: int
    totals: dict[str, dict[str, int]]


@api_router.get("/findings", response_model=FindingPageOut)
def api_findings(
    ctx: ApiCtxDep,
    status: str = "",
    kind: str = "",
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FindingPageOut:
    """Findings in the caller's scope (either claim at the caller's agency), largest first."""
    if not ctx.principal.can(scoped.VIEW):
        raise Forbidden()
    res = scoped.list_findings(ctx, status=status, kind=kind, page=page, size=size)
    return FindingPageOut(
        items=[FindingOut.model_validate(f, from_attributes=True) for f in res.items],
        total=res.total,
        page=res.page,
        pages=res.pages,
        totals=res.totals,
    )


@api_router.get("/findings/{finding_id}", response_model=FindingOut)
def api_finding(ctx: ApiCtxDep, finding_id: str) -> FindingOut:
    f = scoped.get_finding(ctx, finding_id)
    if f is None:
        raise NotFound()
    return FindingOut.model_validate(f, from_attributes=True)


ROUTERS = (router, api_router)
