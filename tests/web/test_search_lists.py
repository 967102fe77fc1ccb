"""The search page's kept lists: unit choices reused for a minute, reference names re-read
when a row names one the kept ones lack, nothing stale ever widening or narrowing a search."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, event, func, insert, select, update

from insa.people import service
from insa.people.models import Agency, Employee, OrgUnit
from tests.web.conftest import World


@pytest.fixture
def unit_reads() -> Iterator[list[str]]:
    """The statements that read a unit list, by any engine (the app has its own)."""
    seen: list[str] = []

    def spy(_c, _cur, sql, *_a) -> None:  # type: ignore[no-untyped-def]
        if "FROM org_units" in sql and "level <=" in sql:
            seen.append(sql)

    event.listen(Engine, "before_cursor_execute", spy)
    yield seen
    event.remove(Engine, "before_cursor_execute", spy)


def _top_unit(world: World) -> tuple[int, str]:
    with world.engine.connect() as conn:
        row = conn.execute(
            select(OrgUnit.id, OrgUnit.name)
            .where(OrgUnit.agency_id == world.agency_a, OrgUnit.level == 2)
            .order_by(OrgUnit.sort_order)
        ).first()
    assert row is not None
    return row[0], row[1]


def test_unit_list_is_kept_and_forgotten(as_user, world: World, unit_reads: list[str]) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    reads = unit_reads
    unit_id, name = _top_unit(world)
    assert f">· {name}</option>" in client.get("/employees").text
    assert len(reads) == 1
    with world.engine.begin() as conn:  # a reorganisation renames the unit
        conn.execute(update(OrgUnit).where(OrgUnit.id == unit_id).values(name="새이름과"))
    page = client.get("/employees").text
    assert len(reads) == 1 and f">· {name}</option>" in page  # the kept list, within the TTL
    service.forget_kept_lists()  # what the minute's end does
    page = client.get("/employees").text
    assert len(reads) == 2 and ">· 새이름과</option>" in page


def test_chosen_unit_is_marked_once(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    unit_id, _ = _top_unit(world)
    page = client.get("/employees", params={"org_unit_id": unit_id}).text
    assert page.count(" selected>") == 1
    assert f'<option value="{unit_id}" selected>' in page
    # the kept options are not changed by marking: the next page marks nothing
    assert (
        " selected>"
        not in client.get("/employees").text.split('id="unit-pickers"')[1].split("</div>")[0]
    )


def test_a_unit_gone_since_filters_nothing(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    client.get("/employees")  # the list is kept
    r = client.get("/employees", params={"org_unit_id": 987654321})  # not a unit (any more)
    assert r.status_code == 200
    with world.engine.connect() as conn:
        everyone = conn.scalar(
            select(func.count()).select_from(Employee).where(Employee.agency_id == world.agency_a)
        )
    assert f"검색 결과 {everyone:,}명" in r.text


def test_a_new_agency_is_named_at_once(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("admin")
    assert "검색 결과" in client.get("/employees", params={"q": world.emps_b[0].name}).text
    with world.engine.begin() as conn:  # an agency added after the names were kept
        new = conn.execute(
            insert(Agency)
            .values(code="ZZNEW", name_ko="새기관청", kind="central")
            .returning(Agency.id)
        ).scalar_one()
        conn.execute(
            update(Employee).where(Employee.id == world.emps_b[0].id).values(agency_id=new)
        )
    page = client.get("/employees", params={"q": world.emps_b[0].employee_no}).text
    assert "새기관청" in page
