"""Agency scoping: every list and detail endpoint and page, walked as agency A's officers
against agency B's records. Nothing of B may show; B's records are 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from insa import domains
from insa.web.app import create_app

from .conftest import World

# a value of B for every path parameter a GET route may have; a new parameter fails the walk
PARAMS = {
    "employee_id": lambda w: w.emps_b[0].id,
    "token_id": lambda w: 10_000,
    "job_id": lambda w: _b_job(w),
    "finding_id": lambda w: _b_finding(w),
    "trip_id": lambda w: _b_trip(w),
    "receipt_id": lambda w: _b_receipt(w),
    "code": lambda w: "WATCH",  # a shared centre: none of an agency officer's business
    "incident_id": lambda w: _b_incident(w),
    "case_id": lambda w: _b_case(w)[0],
    "evidence_id": lambda w: _b_case(w)[1],
    "tower_incident": lambda w: _b_tower_incident(w),
    "asset": lambda w: "gosi",  # an official page's picture: the centre's, not an agency officer's
    "n": lambda w: 0,
}


def _b_tower_incident(world: World) -> str:
    """A control-tower incident whose only part is agency B's."""
    import datetime as dt

    from sqlalchemy import insert, select

    from insa.cyber.models import CyberIncident, CyberIncidentPart

    now = dt.datetime.now(dt.UTC)
    with world.engine.begin() as conn:
        if (
            conn.scalar(select(CyberIncident.id).where(CyberIncident.id == "INC-b000000000"))
            is None
        ):
            conn.execute(insert(CyberIncident).values(id="INC-b000000000", status="new", level="high", title="b", rules=[],
                                                      titles=["b"], tags=[], ministries=["B"], sources=[], joint=False,
                                                      first_at=now, last_at=now, events=1, alerts=1, created_at=now))  # fmt: skip
            conn.execute(insert(CyberIncidentPart).values(incident_id="INC-b000000000", ministry="B", agency_id=world.agency_b,
                                                          events=1, event_ids=[], sources=[], first_at=now, last_at=now))  # fmt: skip
    return "INC-b000000000"


def _b_case(world: World) -> tuple[str, int]:
    """A look-alike case of a service of agency B, with a screenshot in its evidence."""
    import datetime as dt

    from sqlalchemy import insert, select

    from insa.cyber.models import CyberCase, CyberEvidence

    now = dt.datetime.now(dt.UTC)
    with world.engine.begin() as conn:
        if conn.scalar(select(CyberCase.id).where(CyberCase.id == "b0000000case")) is None:
            conn.execute(
                insert(CyberCase).values(
                    id="b0000000case",
                    domain="msit-login.example",
                    asset="msit",
                    ministry="MSIT",
                    agency_id=world.agency_b,
                    status="new",
                    score=90,
                    reasons="brand:msit",
                    first_seen_at=now,
                    alerted_at=now,
                    last_seen_at=now,
                )
            )
            conn.execute(
                insert(CyberEvidence).values(
                    case_id="b0000000case",
                    at=now,
                    url="http://x/",
                    status=200,
                    redirects=[],
                    headers={},
                    addresses=[],
                    screenshot=b"png",
                )
            )
        ev = conn.scalar(select(CyberEvidence.id).where(CyberEvidence.case_id == "b0000000case"))
    assert ev is not None
    return "b0000000case", int(ev)


def _b_incident(world: World) -> str:
    """An incident of a service of agency B at the failure-detection centre."""
    import datetime as dt

    from sqlalchemy import insert

    from insa.watch.models import WatchIncident

    with world.engine.begin() as conn:
        conn.execute(insert(WatchIncident).values(
            id="b00000000001", monitor="b-service", ministry="MSIT", agency_id=world.agency_b,
            opened_at=dt.datetime.now(dt.UTC), cause="x", affected=[], reminders=0))  # fmt: skip
    return "b00000000001"


def _b_receipt(world: World) -> int:
    """A confirmed receipt on a trip of agency B."""
    import datetime as dt

    from sqlalchemy import insert

    from insa.travel.models import TravelReceipt

    with world.engine.begin() as conn:
        key = conn.execute(insert(TravelReceipt).values(
            trip_id=_b_trip(world), kind="taxi", filename="b.png", content_type="image/png",
            sha256="b" * 64, original=b"\x89PNG\r\n\x1a\n", ocr="{}", confirmed=True,
            created_at=dt.datetime.now(dt.UTC),
        )).inserted_primary_key  # fmt: skip
    assert key is not None
    return int(key[0])


def _b_trip(world: World) -> int:
    from .test_travel import add_trip

    return add_trip(world, agency="b")


def _b_finding(world: World) -> str:
    """A double-claim finding between agency B and an organisation outside insa."""
    from .test_allowance import add_finding

    return add_finding(world, "b0000000000000ff", "MSIT", "EDU-BUSAN", "MSIT", 100_000)


def _b_job(world: World) -> str:
    """A settlement job started by agency B's officer (registered without running it)."""
    from insa.yearend import jobs

    job = jobs.Job("b-job", 2025, world.agency_b, "hr-b", status="done")
    jobs._jobs[job.id] = job
    return job.id


LIST_QUERIES = ["", "?q={b_no}", "?agency_id={b_agency}", "?org_unit_id={b_unit}", "?q={b_name}"]


def _flatten(routes: list[Any]) -> list[Any]:
    """FastAPI ≥ 0.16x keeps an included router as one lazy entry: open it up."""
    out: list[Any] = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        out.extend(_flatten(list(inner.routes)) if inner is not None else [r])
    return out


def get_routes() -> list[APIRoute]:
    """Every GET route of the app: its own and those of every router it includes."""
    own = [r for p in domains.PACKAGES for router in p.routers for r in router.routes]
    routes = _flatten([*create_app().routes, *own])
    unique = {(r.path, tuple(sorted(r.methods))): r for r in routes if isinstance(r, APIRoute)}
    return [r for r in unique.values() if "GET" in r.methods]


def test_the_walk_reaches_every_domain() -> None:
    paths = {r.path for r in get_routes()}
    for prefix in ("/yearend", "/api/v1/yearend", "/allowance", "/api/v1/allowance", "/travel"):
        assert any(p.startswith(prefix) for p in paths), prefix


def _b_values(world: World) -> dict[str, Any]:
    b = world.emps_b[0]
    return {
        "b_no": b.employee_no,
        "b_agency": world.agency_b,
        "b_unit": b.org_unit_id,
        "b_name": b.name,
    }


@pytest.mark.parametrize("username", ["hr-a", "fin-a", "appr-a", "emp-a"])
def test_agency_a_never_sees_agency_b(as_user, world: World, username: str) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user(username)
    b_numbers = {e.employee_no for e in world.emps_b}
    b_ids = {e.id for e in world.emps_b}
    values = _b_values(world)
    made: dict[str, Any] = {}
    walked = 0
    for route in get_routes():
        names = re.findall(r"{(\w+)}", route.path)
        if route.path.startswith(
            ("/login", "/static", "/api/docs", "/healthz")
        ) or route.path.endswith("openapi.json"):
            continue
        if names:
            unknown = [n for n in names if n not in PARAMS]
            assert not unknown, f"add a B value for {unknown} in {route.path}"
            path = route.path
            for n in names:
                if n not in made:  # one B object per parameter, made on first use
                    made[n] = PARAMS[n](world)
                path = path.replace("{" + n + "}", str(made[n]))
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 404, (username, path, r.status_code)
            walked += 1
        else:
            for q in LIST_QUERIES:
                path = route.path + q.format(**values)
                r = client.get(path, follow_redirects=True)
                assert r.status_code in (200, 401, 403, 404), (path, r.status_code)  # 401: /metrics
                # B's numbers (apart from the one echoed back as the query) and links to B
                leaked = [n for n in b_numbers if n in r.text and n not in path]
                leaked += [i for i in b_ids if f'/employees/{i}"' in r.text]
                assert not leaked, (username, path, leaked[:3])
                walked += 1
    assert walked > 20


def test_api_lists_are_scoped(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    r = client.get("/api/v1/employees", params={"size": 100})
    body = r.json()
    assert r.status_code == 200 and body["total"] == len(world.emps_a)
    assert (
        client.get("/api/v1/employees", params={"agency_id": world.agency_b}).json()["total"] == 0
    )
    assert client.get(f"/api/v1/employees/{world.emps_a[0].id}").status_code == 200


def test_approver_sees_only_assigned_people(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("appr-a")
    body = client.get("/api/v1/employees", params={"size": 100}).json()
    assert {e["id"] for e in body["items"]} == {e.id for e in world.emps_a[:3]}
    assert client.get(f"/employees/{world.emps_a[5].id}").status_code == 404
    assert (
        client.get(f"/api/v1/employees/{world.emps_a[1].id}/payroll").status_code == 404
    )  # no payroll right


def test_employee_sees_only_themself(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("emp-a")
    me = world.emps_a[0]
    assert client.get(f"/employees/{me.id}").status_code == 200
    assert client.get(f"/employees/{world.emps_a[1].id}").status_code == 404
    assert client.get("/api/v1/employees").status_code == 403
    assert client.get(f"/api/v1/employees/{me.id}/dependents").status_code == 200


@pytest.mark.parametrize("username", ["sec", "ops"])
def test_centre_operators_see_no_personal_data(as_user, world: World, username: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    assert client.get(f"/employees/{world.emps_a[0].id}").status_code == 404
    assert client.get("/employees").status_code == 403
    assert client.get("/api/v1/employees").status_code == 403


def test_central_admin_sees_every_agency(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("admin")
    for e in (world.emps_a[0], world.emps_b[0]):
        assert client.get(f"/employees/{e.id}").status_code == 200
    total = client.get("/api/v1/employees").json()["total"]
    assert total == 400
