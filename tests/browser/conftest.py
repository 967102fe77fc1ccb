"""Browser fixtures: a seeded embedded database served by uvicorn, and Debian's Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine, select

from insa.db.engine import session_scope
from insa.people.models import Agency, Employee
from insa.people.seed import seed
from insa.people.synth import SeedConfig
from insa.security.context import Ctx
from insa.security.crypto import RRNCipher
from insa.security.users import create_user
from insa.web.app import create_app

from ..conftest import serve

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
# tests write their screenshots under build/; `make screenshots` refreshes docs/screenshots/
SHOTS = Path(
    os.environ.get("INSA_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "build" / "screenshots"
)
SHOTS.mkdir(parents=True, exist_ok=True)
PASSWORD = "browser-test-2025!"


@pytest.fixture(params=["sqlite"])
def db(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    """The browser walk runs on the embedded database (the API and page tests cover both)."""
    from insa.db.engine import make_engine
    from insa.settings import reset_settings

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    monkeypatch.setenv("INSA_DATABASE_URL", url)
    reset_settings()
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def server(migrated: Engine, cipher: RRNCipher) -> Iterator[str]:
    seed(migrated, SeedConfig(employees=3000, seed=9), cipher)
    with session_scope(migrated) as db:
        create_user(
            Ctx.command_line(db),
            username="hr-police",
            role="hr_officer",
            password=PASSWORD,
            agency_code="KNPA",
        )
        police = db.scalar(select(Agency.id).where(Agency.code == "KNPA"))
        first = db.scalar(
            select(Employee.employee_no).where(Employee.agency_id == police).order_by(Employee.id)
        )
        create_user(
            Ctx.command_line(db),
            username="police-employee",
            role="employee",
            password=PASSWORD,
            employee_no=first,
        )
    with serve(create_app()) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()
