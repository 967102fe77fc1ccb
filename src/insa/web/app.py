"""FastAPI app factory: every package's pages and /api/v1 (from the registry), static files,
error pages and security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from urllib.parse import quote

from anyio import CapacityLimiter
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select
from starlette.exceptions import HTTPException as StarletteHTTPException

from insa import __version__, domains
from insa.db.engine import get_engine
from insa.settings import get_settings
from insa.web.deps import (
    ApiUnauthorized,
    CsrfFailed,
    Forbidden,
    LoginRequired,
    MfaPending,
    NotFound,
    build_templates,
    templates,
)
from insa.web.metrics import RequestMetrics
from insa.web.middleware import BodyLimit, SecurityHeaders


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return templates(request).TemplateResponse(
        request,
        "error.html",
        {
            "title": title,
            "message": message,
            "principal": getattr(request.state, "principal", None),
            "csrf_token": "",
        },
        status_code=status,
    )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Each worker's database slots (:func:`insa.web.deps.get_db`), as many as
    ``INSA_WEB_THREADS``, made on the worker's event loop."""
    app.state.db_slots = CapacityLimiter(get_settings().web_threads)
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="insa",
        version=__version__,
        description="insa 인사·급여 자동화 API. 인증: `Authorization: Bearer <API 토큰>` (계정 화면에서 발급).",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.mount(
        "/static",
        StaticFiles(directory=str(resources.files("insa.web").joinpath("static"))),
        name="static",
    )
    domains.load_grants()  # before the first request: every worker thread finds them loaded
    for package in domains.PACKAGES:
        for router in package.routers:
            app.include_router(router)
    app.state.audit_labels = domains.audit_labels()
    app.state.pending_work = [w for p in domains.PACKAGES if (w := p.pending_work) is not None]
    app.state.templates = build_templates(
        ((p.name, p.templates) for p in domains.PACKAGES),
        (item for p in domains.PACKAGES for item in p.nav),
        app.state.audit_labels,
    )

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        with get_engine().connect() as conn:
            conn.execute(select(1))
        return {"status": "ok"}

    app.add_middleware(BodyLimit)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)  # outermost: every answer counted, errors included
    _add_error_pages(app)
    return app


def _add_error_pages(app: FastAPI) -> None:
    """Plain Korean error pages (JSON for the API); log-in and TOTP redirects."""

    @app.exception_handler(LoginRequired)
    def _login(request: Request, _exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "로그인이 필요합니다."}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.headers.get("hx-request"):
            return Response(
                status_code=401, headers={"HX-Redirect": f"/login?next={quote(target)}"}
            )
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(MfaPending)
    def _mfa(request: Request, _exc: MfaPending) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": "2단계 인증이 필요합니다."}, status_code=401)
        return RedirectResponse(f"/login/totp?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(ApiUnauthorized)
    def _api_unauth(request: Request, _exc: ApiUnauthorized) -> Response:
        return JSONResponse(
            {"detail": "유효한 API 토큰이 필요합니다 (Authorization: Bearer …)."},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(NotFound)
    def _not_found(request: Request, _exc: NotFound) -> Response:
        return _error_page(
            request, 404, "찾을 수 없습니다", "요청한 정보가 없거나 볼 수 있는 범위 밖에 있습니다."
        )

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, "권한이 없습니다", exc.message)

    @app.exception_handler(CsrfFailed)
    def _csrf(request: Request, _exc: CsrfFailed) -> Response:
        return _error_page(
            request,
            403,
            "요청을 처리할 수 없습니다",
            "보안 토큰이 맞지 않습니다. 화면을 새로 고친 뒤 다시 시도하세요.",
        )

    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error_page(request, 404, "찾을 수 없습니다", "주소가 올바른지 확인하세요.")
        return _error_page(request, exc.status_code, "오류", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        return _error_page(request, 422, "입력값을 확인하세요", "요청에 잘못된 값이 있습니다.")
