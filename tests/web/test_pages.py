"""Pages and API behaviour: search, detail, dashboards, audit trail, errors."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from insa.clock import today_kst
from insa.db.engine import session_scope
from insa.security.models import AuditLog

from .conftest import World


@pytest.mark.parametrize(
    ("username", "marker"),
    [("hr-a", "직급별 인원"), ("fin-a", "월별 급여 지급 현황"), ("appr-a", "결재 대상 직원"),
     ("emp-a", "최근 급여"), ("admin", "기관별 인원"), ("sec", "공동 관제센터"), ("ops", "공동 관제센터")],
)  # fmt: skip
def test_each_role_has_a_dashboard(as_user, username: str, marker: str) -> None:  # type: ignore[no-untyped-def]
    r = as_user(username).get("/")
    assert r.status_code == 200 and marker in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers["x-frame-options"] == "DENY"


def test_search_by_name_prefix_number_and_unit_with_paging(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    target = world.emps_a[7]
    r = client.get("/api/v1/employees", params={"q": target.name[:1], "size": 5})
    body = r.json()
    assert body["total"] >= 1 and all(e["name"].startswith(target.name[:1]) for e in body["items"])
    names = [e["name"] for e in body["items"]]
    assert names == sorted(names)
    r = client.get("/api/v1/employees", params={"q": target.employee_no})
    assert [e["id"] for e in r.json()["items"]] == [target.id]
    unit = client.get("/api/v1/employees", params={"org_unit_id": target.org_unit_id}).json()
    assert target.id in [e["id"] for e in unit["items"]] or unit["total"] > 20
    page2 = client.get("/api/v1/employees", params={"size": 10, "page": 2}).json()
    page1 = client.get("/api/v1/employees", params={"size": 10, "page": 1}).json()
    assert page1["pages"] == page2["pages"] > 1 and not {e["id"] for e in page1["items"]} & {
        e["id"] for e in page2["items"]
    }
    assert (
        client.get("/api/v1/employees", params={"q": "%"}).json()["total"] == 0
    )  # wildcards are literal


def test_htmx_search_returns_a_fragment_and_empty_state_in_korean(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    r = client.get("/employees", params={"q": "없는사람"}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text
    assert "맞는 직원이 없습니다" in r.text
    full = client.get("/employees", params={"q": "김"})
    assert "<html" in full.text and 'hx-get="/employees"' in full.text and 'for="q"' in full.text


def test_detail_masks_rrn_and_shows_dependents_and_payroll(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    e = world.emps_a[2]
    r = client.get(f"/employees/{e.id}")
    assert r.status_code == 200
    rrn = world.cipher.decrypt(e.rrn_encrypted)
    assert rrn.masked() in r.text and rrn.reveal()[7:] not in r.text
    assert "부양가족" in r.text and "급여 내역 (2025년)" in r.text
    api = client.get(f"/api/v1/employees/{e.id}").json()
    assert api["rrn_masked"] == rrn.masked()
    pay = client.get(f"/api/v1/employees/{e.id}/payroll").json()
    assert pay and all(isinstance(p["net_pay"], int) for p in pay)
    deps = client.get(f"/api/v1/employees/{e.id}/dependents").json()
    assert all(d["rrn_masked"].endswith("******") for d in deps)


def test_reads_are_audited_with_actor_role_target_time_and_address(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    e = world.emps_a[3]
    client.get(f"/employees/{e.id}")
    with session_scope(world.engine) as db:
        row = db.scalar(
            select(AuditLog).where(
                AuditLog.action == "people.view_employee", AuditLog.target_id == str(e.id)
            )
        )
        assert row is not None
        assert (row.actor, row.actor_role, row.target_type, row.client_addr) == (
            "hr-a",
            "hr_officer",
            "employee",
            "testclient",
        )
        assert row.at is not None
        actions = set(db.scalars(select(AuditLog.action).where(AuditLog.actor == "hr-a")))
        assert {"auth.login", "people.view_dependents", "people.view_payroll"} <= actions


def test_central_admin_searches_the_audit_log(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    e = world.emps_a[4]
    client.get(f"/employees/{e.id}")
    admin = as_user("admin")
    today = today_kst().isoformat()  # the search's days are days in Korea
    r = admin.get(
        "/audit",
        params={"person": e.employee_no, "actor": "hr-a", "date_from": today, "date_to": today},
    )
    assert r.status_code == 200 and "people.view_employee" in r.text and "hr-a" in r.text
    api = admin.get("/api/v1/audit", params={"person": e.employee_no}).json()
    assert api["total"] >= 3 and {a["actor"] for a in api["items"]} == {"hr-a"}
    assert (
        admin.get(
            "/api/v1/audit", params={"person": e.employee_no, "date_to": "2000-01-01"}
        ).json()["total"]
        == 0
    )
    assert "날짜는 YYYY-MM-DD" in admin.get("/audit", params={"date_from": "어제"}).text
    hr = as_user("hr-a")
    assert hr.get("/audit").status_code == 403 and "중앙관리자만" in hr.get("/audit").text
    assert hr.get("/api/v1/audit").status_code == 403
    assert hr.get("/audit/export.csv").status_code == 403


def test_the_audit_page_speaks_korean_and_exports(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    """Actions in words (codes beside), people by name and number, Korea time, search by
    name, a reversed range explained, and the search as CSV and XLSX."""
    e = world.emps_a[7]
    as_user("hr-a").get(f"/employees/{e.id}")
    admin = as_user("admin")
    page = admin.get("/audit", params={"person": e.name, "actor": "hr-a"})
    assert page.status_code == 200 and "직원 정보 조회" in page.text  # people.view_employee
    assert f"{e.name} ({e.employee_no})" in page.text and "시각 (한국 시간)" in page.text
    logins = admin.get("/audit", params={"action": "auth.login"}).text
    assert "로그인" in logins and "인사담당자" in logins  # the role of a log-in is shown
    reversed_ = admin.get("/audit", params={"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert "시작일이 종료일보다 늦습니다" in reversed_.text
    assert (
        admin.get(
            "/api/v1/audit", params={"date_from": "2026-12-31", "date_to": "2026-01-01"}
        ).status_code
        == 422
    )
    csv_ = admin.get("/audit/export.csv", params={"person": e.employee_no})
    assert csv_.status_code == 200 and csv_.text.startswith("\ufeff시각 (한국 시간),행위자")
    assert "직원 정보 조회,people.view_employee" in csv_.text and e.employee_no in csv_.text
    xlsx = admin.get("/audit/export.xlsx", params={"person": e.employee_no})
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(xlsx.content)).active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "시각 (한국 시간)" and any(
        r[4] == "people.view_employee" for r in rows[1:]
    )
    assert "security.export_audit" in admin.get("/audit", params={"action": "security.export"}).text


def test_errors_are_plain_korean(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("hr-a")
    r = client.get("/employees/999999")
    assert r.status_code == 404 and "찾을 수 없습니다" in r.text
    r = client.get("/no-such-page")
    assert r.status_code == 404 and "주소가 올바른지" in r.text
    r = client.get("/employees/abc")
    assert r.status_code == 422 and "입력값을 확인하세요" in r.text


def test_openapi_document_lists_the_api(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/employees", "/api/v1/employees/{employee_id}", "/api/v1/audit"} <= set(
        doc["paths"]
    )
    assert not any(
        p.startswith("/employees") for p in doc["paths"]
    )  # pages stay out of the API document


def test_counting_stops_at_the_cap(as_user, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("insa.people.service.COUNT_CAP", 50)
    client = as_user("admin")
    body = client.get("/api/v1/employees").json()
    assert body["total"] == 50 and body["total_is_lower_bound"] is True and body["pages"] == 3
    assert "50명 이상" in client.get("/employees").text
    few = client.get("/api/v1/employees", params={"q": "없는사람"}).json()
    assert few["total"] == 0 and few["total_is_lower_bound"] is False


def test_each_role_sees_its_work_waiting_on_its_home_page(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    """Counts of what waits, linking to the lists: trips to approve, to pay (with the total),
    to settle; findings to resolve; a year-end settlement not yet run."""
    import re

    from .test_allowance import add_finding
    from .test_travel_receipts import make_trip

    make_trip(world, index=0, state="requested")  # appr-a is assigned emps_a[:3]
    make_trip(world, index=1, state="approved")  # over (2025): emp-a's? no: emps_a[1]
    mine, _ = make_trip(world, index=0, state="approved")  # emp-a's, over: to settle
    with world.engine.begin() as conn:
        from sqlalchemy import update

        from insa.travel.models import TravelTrip

        conn.execute(
            update(TravelTrip)
            .where(TravelTrip.id == mine - 1)
            .values(state="settled", total=120_000)
        )
    add_finding(world, "f0000000000000a1", "KNPA", "LG-SEOUL", "KNPA", 300_000)

    def work(user: str) -> dict[str, str]:
        home = as_user(user).get("/")
        assert home.status_code == 200
        return dict(
            re.findall(
                r'<li><a href="([^"]+)">[^<]+</a>\s*(?:<span class="num strong">([\d,]+)건</span>)?',
                home.text,
            )
        )

    assert work("appr-a")["/travel/approvals"] == "1"
    fin = as_user("fin-a").get("/").text
    assert 'href="/travel/finance">지급할 출장</a>' in fin and "120,000원" in fin
    assert work("emp-a")["/travel"] == "1"
    hr = work("hr-a")
    assert hr["/allowance/findings?status=open"] == "1"
    assert any(h.startswith("/yearend?year=") for h in hr)  # not yet run: it says so
    assert "아직 실행 전" in as_user("hr-a").get("/").text


def test_agency_pickers_offer_the_agencies_in_force_with_their_former_names(world: World) -> None:
    import datetime as dt

    from insa.people import service
    from insa.security.context import Ctx

    with session_scope(world.engine) as db:
        ctx = Ctx.command_line(db)
        today = {label: i for i, label in service.agency_picker(ctx, dt.date(2026, 12, 1))}
        before = {label: i for i, label in service.agency_picker(ctx, dt.date(2025, 6, 1))}
    assert "기후에너지환경부 (옛 환경부)" in today and "환경부" not in today
    assert "기획예산처 (옛 기획재정부)" in today and "재정경제부 (옛 기획재정부)" in today
    assert "기획재정부" not in today and "기획재정부" in before and "환경부" in before


def test_the_unit_filter_is_two_short_lists(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    """Bureaus and divisions first, then the teams of the one chosen; a team's employees are
    found through either list; the partial answer brings the lists along."""
    from insa.people.models import Employee, OrgUnit

    client = as_user("hr-a")
    with session_scope(world.engine) as db:
        team = db.get(OrgUnit, world.emps_a[3].org_unit_id)
        assert team is not None
        while team.level < 3:  # someone in a team (a unit of the third level)
            emp = db.scalar(select(Employee).join(OrgUnit, OrgUnit.id == Employee.org_unit_id)
                            .where(Employee.agency_id == world.agency_a, OrgUnit.level == 3))  # fmt: skip
            assert emp is not None
            team = db.get(OrgUnit, emp.org_unit_id)
            assert team is not None
        division, team_id, deep = team.parent_id, team.id, team.name
        levels = dict(db.execute(select(OrgUnit.id, OrgUnit.level)
                                 .where(OrgUnit.agency_id == world.agency_a)).all())  # fmt: skip
    page = client.get("/employees").text
    listed = [int(x) for x in re.findall(r'<option value="(\d+)"', page.split('id="team_id"')[0])]
    assert listed and all(levels[i] <= 2 for i in listed) and division in listed
    assert 'id="team_id"' not in page  # no division chosen yet
    page = client.get("/employees", params={"org_unit_id": division}).text
    assert 'id="team_id"' in page and f'<option value="{team_id}">{deep}</option>' in page
    part = client.get("/employees", params={"org_unit_id": division, "team_id": team_id},
                      headers={"HX-Request": "true", "HX-Trigger": "team_id"}).text  # fmt: skip
    assert 'hx-swap-oob="true"' in part and f'value="{team_id}" selected' in part
    assert "<html" not in part
    typing = client.get("/employees", params={"q": "김", "org_unit_id": division},
                        headers={"HX-Request": "true", "HX-Trigger": "q"}).text  # fmt: skip
    assert "hx-swap-oob" not in typing  # typing a name leaves the lists alone
    # a team given as the unit (the pager's links): its division and the team chosen
    again = client.get("/employees", params={"org_unit_id": team_id}).text
    assert f'value="{division}" selected' in again and f'value="{team_id}" selected' in again
