"""Year-end in the web app: one click with progress, results, 내 연말정산, what-if, receipt."""

from __future__ import annotations

import re
import time
from urllib.parse import unquote

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from insa.people.models import Employee, Payroll
from insa.security.models import AuditLog
from insa.security.principal import Principal
from insa.yearend import jobs
from insa.yearend.models import results_table as rt

from .conftest import World, csrf_of


def _run(client: TestClient, year: int = 2025, agency_id: str = "") -> str:
    page = client.get(f"/yearend?year={year}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_of(page.text), "year": str(year)}
    if agency_id:
        data["agency_id"] = agency_id
    r = client.post("/yearend/run", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    job_url = r.headers["location"]
    for _ in range(300):
        frag = client.get(job_url, headers={"HX-Request": "true"})
        assert frag.status_code == 200
        if "HX-Redirect" in frag.headers:  # done: the page reloads with the new results
            assert frag.headers["HX-Redirect"].startswith(f"/yearend?year={year}")
            assert "정산을 마쳤습니다" in unquote(frag.cookies.get("insa_flash", ""))
            return client.get(job_url).text  # the job page itself says it too
        status = re.search(r'data-status="(\w+)"', frag.text)
        assert status
        if status.group(1) != "running":
            assert status.group(1) == "done", frag.text
            assert "정산을 마쳤습니다" in frag.text
            return frag.text
        assert "<progress" in frag.text and 'hx-trigger="every 1s"' in frag.text
        time.sleep(0.1)
    raise AssertionError("the run did not finish")


def test_hr_officer_settles_the_agency_with_one_click(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("hr-a")
    home = client.get("/yearend")
    early = client.post("/yearend/filing", data={"csrf_token": csrf_of(home.text), "year": "2025"})
    assert early.status_code == 409 and "run it first" in early.text
    assert client.get("/yearend/filing?year=2025").status_code == 405  # never by a plain link
    assert "2025년 연말정산 실행" in home.text and "아직 실행하지 않았습니다" in home.text
    _run(client)
    with world.engine.connect() as conn:
        stored = conn.execute(select(rt.c.employee_id, rt.c.agency_id)).all()
        paid_a = conn.scalar(
            select(func.count(func.distinct(Payroll.employee_id))).where(
                Payroll.agency_id == world.agency_a, Payroll.year == 2025
            )
        )
        actions = conn.scalars(select(AuditLog.action)).all()
    assert stored and {a for _, a in stored} == {world.agency_a}  # only the officer's agency
    assert len(stored) == paid_a
    assert "yearend.run" in actions
    home = client.get("/yearend")
    assert "v1" in home.text and "정산 인원" in home.text
    a_names = {e.name for e in world.emps_a}
    assert any(n in home.text for n in a_names)
    assert not any(f"/yearend/employees/{e.id}?" in home.text for e in world.emps_b)
    filing = client.post("/yearend/filing", data={"csrf_token": csrf_of(home.text), "year": "2025"})
    assert filing.status_code == 200
    assert filing.headers["content-type"] == "application/octet-stream"
    assert filing.content.startswith(b"A20") and len(filing.content) % 2012 == 0
    api = client.get("/api/v1/yearend/results?year=2025&size=200").json()
    assert api["total"] == paid_a and api["summary"]["employees"] == paid_a
    assert {r["id"] for r in api["items"]} <= {e.id for e in world.emps_a}
    one = client.get(f"/api/v1/yearend/employees/{world.emps_a[0].id}?year=2025").json()
    assert one["stored_version"] == 1 and not one["stale"]
    assert one["lines"][0]["item"] == "총급여" and one["result"]["determined_tax"] >= 0
    assert client.get(f"/api/v1/yearend/employees/{world.emps_b[0].id}").status_code == 404
    # a second click is a re-run: version 2 replaces version 1
    _run(client)
    with world.engine.connect() as conn:
        assert set(conn.scalars(select(rt.c.version))) == {2}


def test_employee_sees_own_breakdown_why_and_a_what_if(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    _run(as_user("hr-a"))
    client: TestClient = as_user("emp-a")
    me = world.emps_a[0]
    r = client.get("/yearend/me", follow_redirects=True)
    assert r.status_code == 200 and r.url.path == f"/yearend/employees/{me.id}"
    assert "내 연말정산" in r.text and "왜 이 금액인가요?" in r.text
    assert "기관 정산 결과(v1)와 같습니다" in r.text
    why = re.search(r'data-testid="why">([^<]+)<', r.text)
    assert why and "선택" in why.group(1)
    assert "소득세법 제47조" in r.text  # every line names its legal source
    # another employee's settlement is not found
    assert client.get(f"/yearend/employees/{world.emps_a[1].id}").status_code == 404
    # what-if: a large IRP contribution lowers the tax; nothing is stored
    r2 = client.post(
        f"/yearend/employees/{me.id}/what-if?year=2025",
        data={"csrf_token": csrf_of(r.text), "pension_account.irp": "9000000"},
        headers={"HX-Request": "true"},
    )
    assert r2.status_code == 200 and 'data-testid="what-if"' in r2.text
    assert "퇴직연금(IRP) 납입액 0 → 9,000,000원" in r2.text
    row = re.search(
        r"<td>결정세액</td><td class=\"num\">([\d,]+)</td><td class=\"num\">([\d,]+)</td>", r2.text
    )
    assert row
    before, after = (int(x.replace(",", "")) for x in row.groups())
    assert before > 0 and after < before
    with world.engine.connect() as conn:
        assert conn.scalar(select(rt.c.version).where(rt.c.employee_id == me.id)) == 1
    bad = client.post(
        f"/yearend/employees/{me.id}/what-if?year=2025",
        data={"csrf_token": csrf_of(r.text), "monthly_rent": "-5"},
    )
    assert bad.status_code == 200 and 'role="alert"' in bad.text
    assert "0 이상의 원 단위 정수(13자리까지)로 입력하세요" in bad.text
    odd = client.post(
        f"/yearend/employees/{me.id}/what-if?year=2025",
        data={"csrf_token": csrf_of(r.text), "monthly_rent": "²"},
    )
    assert odd.status_code == 200 and 'role="alert"' in odd.text
    # the receipt, as a PDF, with the masked number only
    pdf = client.get(f"/yearend/employees/{me.id}/receipt.pdf?year=2025")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # without the Korean font: a clear Korean message, not a PDF of empty boxes
    import insa.yearend.receipt as receipt

    fonts = receipt._korean_fonts
    receipt._korean_fonts = lambda: frozenset()  # type: ignore[assignment]
    try:
        no_font = client.get(f"/yearend/employees/{me.id}/receipt.pdf?year=2025")
    finally:
        receipt._korean_fonts = fonts  # type: ignore[assignment]
    assert no_font.status_code == 409 and "한글 글꼴" in no_font.text
    # after the data changes, the receipt waits for a new run instead of showing new amounts
    with world.engine.begin() as conn:
        conn.execute(
            update(Payroll)
            .where(Payroll.employee_id == me.id, Payroll.month == 5)
            .values(income_tax=Payroll.income_tax + 10_000)
        )
    stale = client.get(f"/yearend/employees/{me.id}/receipt.pdf?year=2025")
    assert stale.status_code == 409 and "run the settlement again" in stale.text
    page = client.get(f"/yearend/employees/{me.id}?year=2025")
    assert "바뀌었습니다" in page.text
    assert client.get(f"/yearend/employees/{me.id}?year=1999").status_code == 404


def test_roles_csrf_and_scope(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("fin-a")
    page = client.get("/yearend")
    assert page.status_code == 200 and "연말정산 실행" not in page.text
    r = client.post("/yearend/run", data={"csrf_token": csrf_of(page.text), "year": "2025"})
    assert r.status_code == 403
    client = as_user("hr-a")
    assert client.post("/yearend/run", data={"year": "2025"}).status_code == 403  # no CSRF token
    # an officer's run is always their own agency, whatever the form says
    page = client.get("/yearend")
    r = client.post(
        "/yearend/run",
        data={"csrf_token": csrf_of(page.text), "year": "2025", "agency_id": str(world.agency_b)},
    )
    assert r.status_code == 200
    job = jobs.get(r.url.path.rsplit("/", 1)[-1])
    assert job is not None and job.agency_id == world.agency_a
    for _ in range(300):
        if job.status != "running":
            break
        time.sleep(0.05)
    with world.engine.connect() as conn:
        assert set(conn.scalars(select(rt.c.agency_id).distinct())) == {world.agency_a}
    client = as_user("hr-b")
    assert client.get(f"/yearend/employees/{world.emps_a[0].id}").status_code == 404
    assert client.get(f"/yearend/employees/{world.emps_a[0].id}/receipt.pdf").status_code == 404
    client = as_user("emp-a")
    assert client.get("/yearend", follow_redirects=False).status_code == 303


def test_central_admin_settles_every_agency(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("admin")
    _run(client)
    with world.engine.connect() as conn:
        agencies = set(conn.scalars(select(rt.c.agency_id).distinct()))
        employees = conn.scalar(select(func.count()).select_from(Employee))
        stored = conn.scalar(select(func.count()).select_from(rt))
    assert {world.agency_a, world.agency_b} <= agencies
    assert stored and employees and stored >= employees * 0.9
    home = client.get("/yearend")
    assert "전 기관" in home.text


def test_a_colleague_sees_the_running_job_and_overlapping_runs_share_one(world: World) -> None:
    def who(name: str, role: str, agency: int | None) -> Principal:
        return Principal(1, name, name, role, agency, None)

    job = jobs.Job("j1", 2025, world.agency_a, "hr-a")
    assert jobs.visible(job, who("hr-a2", "hr_officer", world.agency_a))  # a colleague
    assert not jobs.visible(job, who("hr-b", "hr_officer", world.agency_b))
    assert jobs.visible(job, who("admin", "central_admin", None))
    everyone = jobs.Job("j2", 2025, None, "admin")
    assert not jobs.visible(everyone, who("hr-a", "hr_officer", world.agency_a))
    assert jobs._overlaps(everyone, 2025, world.agency_a)
    assert jobs._overlaps(job, 2025, None) and not jobs._overlaps(job, 2024, world.agency_a)
    assert not jobs._overlaps(job, 2025, world.agency_b)


def test_a_receipt_download_names_any_employee_number_safely(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    """Numbers stored before they were validated: the download's name is encoded (RFC 6266),
    no quote reaches the header, no Korean breaks it."""
    _run(as_user("hr-a"))
    client: TestClient = as_user("emp-a")
    me = world.emps_a[0]
    for number, shown in (
        ('XQ"; x=y', "XQ_x_y"),
        ("가나다라마바", "가나다라마바"),
        ("../../pwn", "_pwn"),
    ):
        with world.engine.begin() as conn:
            conn.execute(update(Employee).where(Employee.id == me.id).values(employee_no=number))
        pdf = client.get(f"/yearend/employees/{me.id}/receipt.pdf?year=2025")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        header = pdf.headers["content-disposition"]
        assert header.count('"') == 2 and "x=y" not in header and "/" not in header
        fallback = re.search(r'filename="([^"]*)"', header)
        real = re.search(r"filename\*=UTF-8''(\S+)$", header)
        assert fallback and fallback.group(1).isascii()
        assert real and unquote(real.group(1)) == f"receipt-2025-{shown}.pdf"
