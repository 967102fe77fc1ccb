"""Working through double-claim findings in the web app: scope, resolution, audit."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from insa.allowance.models import Finding, VerificationRun
from insa.security.models import AuditLog

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
