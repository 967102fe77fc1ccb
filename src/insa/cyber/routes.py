"""The joint cyber safety centre's API: candidate domains scored against protected assets
given with the request (the same assets YAML and findings as ``insa cyber scan``). The
centre's pages (cases, evidence, takedowns) come with the rest of issue 14."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from insa.cyber import service
from insa.web.deps import ApiCtxDep, api_gate

api_router = APIRouter(prefix="/api/v1/cyber", tags=["cyber"])
ROUTERS = (api_router,)
NAV = ()
MAX_DOMAINS = 10_000


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
