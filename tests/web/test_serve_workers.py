"""`insa serve --workers 2`: two worker processes serve one app; a log-in made through one
is honoured by the other (sessions live in the database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx2 as httpx
from sqlalchemy import Engine

from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.users import create_user

from .conftest import PASSWORD, csrf_of


def test_two_workers_share_sessions(migrated: Engine) -> None:
    with session_scope(migrated) as db:
        create_user(Ctx.command_line(db), username="hr-w", role="hr_officer", password=PASSWORD,
                    agency_code="MPM")  # fmt: skip
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "insa.cli", "serve", "--port", str(port),
                             "--workers", "2"], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        with httpx.Client(base_url=url, timeout=30) as c:
            page = c.get("/login")
            r = c.post("/login", data={"username": "hr-w", "password": PASSWORD,
                                       "csrf_token": csrf_of(page.text)})  # fmt: skip
            assert r.status_code in (200, 303)
            # many requests, new connections each time: whichever worker answers knows the session
            for _ in range(12):
                with httpx.Client(base_url=url, cookies=c.cookies, timeout=30) as fresh:
                    assert fresh.get("/", follow_redirects=False).status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)
