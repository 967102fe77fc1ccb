"""FastAPI app factory. Until the web issue lands this serves a Korean status page."""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select

from insa import __version__
from insa.db.engine import get_engine
from insa.people.models import Agency, Dependent, Employee, Payroll


def create_app() -> FastAPI:
    app = FastAPI(
        title="insa", version=__version__, docs_url="/api/docs", openapi_url="/api/v1/openapi.json"
    )
    templates = Jinja2Templates(directory=str(resources.files("insa.web").joinpath("templates")))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        with get_engine().connect() as conn:
            conn.execute(select(1))
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request) -> HTMLResponse:
        with get_engine().connect() as conn:
            counts = {
                "agencies": conn.scalar(select(func.count()).select_from(Agency)) or 0,
                "employees": conn.scalar(select(func.count()).select_from(Employee)) or 0,
                "dependents": conn.scalar(select(func.count()).select_from(Dependent)) or 0,
                "payroll": conn.scalar(select(func.count()).select_from(Payroll)) or 0,
            }
        return templates.TemplateResponse(
            request, "home.html", {"counts": counts, "version": __version__}
        )

    return app
