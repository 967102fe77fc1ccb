"""Working through double-claim findings in the web app: scope, resolution, audit."""

from __future__ import annotations

import datetime as dt
import re

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from insa.allowance.models import Finding, VerificationRun
from insa.security.models import AuditLog
from insa.security.names import mask_name

from .conftest import World, csrf_of


def add_finding(world: World, fid: str, org_a: str, org_b: str, recover: str, amount: int) -> str:
    """One stored finding between two organisations (insa agency codes link to agencies)."""
    from insa.people.models import Agency

    with world.engine.begin() as conn:
        codes = dict(conn.execute(select(Agency.code, Agency.id)).all())
        run = conn.scalar(select(VerificationRun.id).limit(1))
        if run is None:
            run = conn.execute(
                insert(VerificationRun).values(
                    as_of="2025-06", files=2, claims=10, findings=1, new_findings=1, actor="t",
                    at=dt.datetime.now(dt.UTC),
                )
            ).inserted_primary_key[0]  # type: ignore[index]  # fmt: skip
        conn.execute(
            insert(Finding).values(
                finding_id=fid, kind="double_claim", match="exact", probability=1.0,
                claim_a=f"{org_a}:a-{fid}", claim_b=f"{org_b}:b-{fid}", org_a=org_a, org_b=org_b,
                agency_a_id=codes.get(org_a), agency_b_id=codes.get(org_b), dependent_key="ab" * 32,
                dependent_name="김민준", relation="child", overlap_start="2024-07",
                overlap_end="2025-06", overlap_months=12, overpaid_amount=amount,
                recover_from=f"{recover}:{'a' if recover == org_a else 'b'}-{fid}", recover_org=recover,
                status="open",
                first_seen_run=run, last_seen_run=run,
            )
        )  # fmt: skip
    return fid


def test_an_officer_sees_and_resolves_only_the_agencys_findings(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    mine = add_finding(world, "f000000000000001", "KNPA", "LG-SEOUL", "KNPA", 960_000)
    theirs = add_finding(world, "f000000000000002", "KNPA", "MSIT", "MSIT", 240_000)
    other = add_finding(world, "f000000000000003", "MSIT", "EDU-BUSAN", "MSIT", 120_000)
    client: TestClient = as_user("hr-a")
    page = client.get("/allowance/findings")
    assert page.status_code == 200
    assert mine in page.text and theirs in page.text and other not in page.text
    assert client.get(f"/allowance/findings/{other}").status_code == 404
    detail = client.get(f"/allowance/findings/{mine}")
    token = csrf_of(detail.text)
    r = client.post(
        f"/allowance/findings/{mine}", data={"csrf_token": token, "action": "dismissed"}
    )
    assert r.status_code == 422 and "사유를 적어" in r.text
    r = client.post(
        f"/allowance/findings/{mine}",
        data={"csrf_token": token, "action": "recovered", "amount": "2,000,000"},
    )
    assert r.status_code == 422 and "과지급액(960,000원)보다 많습니다" in r.text
    r = client.post(
        f"/allowance/findings/{mine}",
        data={"csrf_token": token, "action": "recovered", "amount": "960,000"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "환수 완료" in client.get(f"/allowance/findings/{mine}").text
    # the other agency recovers its own claim: this officer may confirm but not mark recovered
    r = client.post(
        f"/allowance/findings/{theirs}",
        data={"csrf_token": token, "action": "recovered", "amount": "240000"},
    )
    assert r.status_code == 422 and "환수 대상 기관이" in r.text
    r = client.post(
        f"/allowance/findings/{theirs}",
        data={"csrf_token": token, "action": "confirmed"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert client.post(f"/allowance/findings/{mine}", data={"action": "open"}).status_code == 403
    with world.engine.connect() as conn:
        got = dict(conn.execute(select(Finding.finding_id, Finding.status)).all())
        actions = conn.scalars(select(AuditLog.action)).all()
    assert got == {mine: "recovered", theirs: "confirmed", other: "open"}
    assert actions.count("allowance.resolve_finding") == 2
    api = client.get("/api/v1/allowance/findings").json()
    assert {f["finding_id"] for f in api["items"]} == {mine, theirs}
    assert api["totals"]["recovered"]["recovered"] == 960_000


def test_finance_reads_admin_sees_everything_with_totals(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    a = add_finding(world, "f000000000000011", "KNPA", "LG-SEOUL", "LG-SEOUL", 500_000)
    b = add_finding(world, "f000000000000012", "MSIT", "EDU-BUSAN", "MSIT", 120_000)
    client: TestClient = as_user("fin-a")
    page = client.get(f"/allowance/findings/{a}")
    assert page.status_code == 200 and '<form method="post"' not in page.text.split("<main")[1]
    r = client.post(
        f"/allowance/findings/{a}", data={"csrf_token": csrf_of(page.text), "action": "confirmed"}
    )
    assert r.status_code == 403
    client = as_user("admin")
    page = client.get("/allowance/findings")
    assert a in page.text and b in page.text
    assert "환수 대상 기관별" in page.text and "<td>서울특별시</td>" in page.text
    # a dismissed finding leaves the table of money to recover
    detail = client.get(f"/allowance/findings/{a}")
    r = client.post(f"/allowance/findings/{a}", data={"csrf_token": csrf_of(detail.text),
                    "action": "dismissed", "reason": "같은 사람이 아님"})  # fmt: skip
    assert "처리 상태를 바꿨습니다: 해당 없음" in r.text
    assert "<td>서울특별시</td>" not in client.get("/allowance/findings").text
    client = as_user("emp-a")
    assert client.get("/allowance/findings").status_code == 403


def test_a_finding_shows_its_claimants_masked_and_its_history(as_user, world: World) -> None:  # type: ignore[no-untyped-def]
    mine = add_finding(world, "f000000000000009", "KNPA", "LG-SEOUL", "KNPA", 480_000)
    emp = world.emps_a[0]
    with world.engine.begin() as conn:
        conn.execute(
            update(Finding).where(Finding.finding_id == mine)
            .values(claim_a=f"KNPA:{emp.employee_no}-77", recover_from=f"KNPA:{emp.employee_no}-77",
                    claimant_a_name=mask_name(emp.name), claimant_b_name=mask_name("남궁민수"))
        )  # fmt: skip
    client: TestClient = as_user("hr-a")
    listing = client.get("/allowance/findings").text
    assert "남**수" in listing and "서울특별시" in listing and "LG-SEOUL" not in listing
    page = client.get(f"/allowance/findings/{mine}").text
    assert emp.name not in page and mask_name(emp.name) in page
    assert f'<a href="/employees/{emp.id}">직원 정보</a>' in page  # the agency's own claimant
    token = csrf_of(page)
    for form in ({"action": "confirmed"}, {"action": "dismissed", "reason": "이혼으로 부양 종료"},
                 {"action": "open"}):  # fmt: skip
        r = client.post(f"/allowance/findings/{mine}", data={"csrf_token": token, **form},
                        follow_redirects=False)  # fmt: skip
        assert r.status_code == 303
    page = client.get(f"/allowance/findings/{mine}").text
    steps = re.findall(
        r"<strong>([^<]+)</strong>", page.split('data-testid="history"')[1].split("</ol>")[0]
    )
    assert steps == ["미처리 → 확인", "확인 → 해당 없음", "해당 없음 → 미처리"]
    assert "이혼으로 부양 종료" in page and "hr-a (인사담당자)" in page
    # the recovery table leaves out the dismissed, and takes the finding back when reopened
    admin = as_user("admin")
    assert (
        "480,000"
        in admin.get("/allowance/findings").text.split('id="org-h"')[1].split("</table>")[0]
    )


def test_the_history_migration_rebuilds_it_from_the_runs_and_the_audit_log(
    as_user, world: World
) -> None:  # type: ignore[no-untyped-def]
    from insa.allowance.models import FindingEvent
    from insa.db.migrate import downgrade, upgrade

    fid = add_finding(world, "f00000000000000a", "KNPA", "MSIT", "KNPA", 120_000)
    client: TestClient = as_user("hr-a")
    token = csrf_of(client.get(f"/allowance/findings/{fid}").text)
    for form in ({"action": "confirmed"}, {"action": "recovered", "amount": "120,000"}):
        client.post(f"/allowance/findings/{fid}", data={"csrf_token": token, **form})
    cols = (FindingEvent.status_from, FindingEvent.status_to, FindingEvent.actor,
            FindingEvent.reason, FindingEvent.amount)  # fmt: skip
    with world.engine.connect() as conn:
        before = conn.execute(select(*cols).order_by(FindingEvent.id)).all()
    assert before == [("open", "confirmed", "hr-a", None, None),
                      ("confirmed", "recovered", "hr-a", None, 120_000)]  # fmt: skip
    downgrade(world.engine, "0010")  # a database from before the history ...
    upgrade(world.engine)  # ... upgraded: found by its run, then the resolutions audited
    with world.engine.connect() as conn:
        after = conn.execute(select(*cols).order_by(FindingEvent.id)).all()
    assert after == [(None, "open", "t", None, None), *before]


def test_an_entitlement_finding_is_resolved_with_its_recoverable_part(
    as_user, world: World
) -> None:  # type: ignore[no-untyped-def]
    fid = add_finding(world, "e000000000000001", "KNPA", "", "KNPA", 2_880_000)
    with world.engine.begin() as conn:
        conn.execute(update(Finding).where(Finding.finding_id == fid).values(
            kind="income", match="rules", claim_b="", org_b="", agency_b_id=None, overlap_start="2020-01",
            overlap_end="2025-12", overlap_months=72, recoverable_amount=2_400_000, time_barred_amount=480_000))  # fmt: skip
    client: TestClient = as_user("hr-a")
    listing = client.get("/allowance/findings")
    assert fid in listing.text and "소득 기준 초과" in listing.text
    page = client.get(f"/allowance/findings/{fid}")
    assert page.status_code == 200 and 'data-testid="claim-b"' not in page.text
    assert "2020-01" in page.text.split('data-testid="stop-month"')[1].split("</dd>")[0]
    assert (
        "2,400,000" in page.text.split('data-testid="recoverable"')[1].split("</dd>")[0]
        and "제96조" in page.text
    )
    token = csrf_of(page.text)
    too_much = client.post(
        f"/allowance/findings/{fid}",
        data={"csrf_token": token, "action": "recovered", "amount": "2,500,000"},
    )
    assert too_much.status_code == 422 and "소멸시효" in too_much.text
    ok = client.post(
        f"/allowance/findings/{fid}",
        data={"csrf_token": token, "action": "recovered", "amount": "2,400,000"},
    )
    assert ok.status_code in (200, 303)
    with world.engine.connect() as conn:
        row = conn.execute(
            select(Finding.status, Finding.recovered_amount).where(Finding.finding_id == fid)
        ).one()
    assert tuple(row) == ("recovered", 2_400_000)
