"""The takedown request of a confirmed case, from its evidence, in Korean and English: the
mail text (to the registrar's and the host's abuse contacts where they are known) and a PDF
(WeasyPrint, Nanum fonts), with the fields of a report to KISA (118, 한국인터넷진흥원)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources

from jinja2 import Environment, select_autoescape

from insa.clock import to_kst
from insa.cyber.models import CyberCase, CyberEvidence

CENTRE = "부처합동 사이버안전센터"
CENTRE_EN = "Joint Cyber Safety Centre of the Government of the Republic of Korea"


@dataclass(frozen=True)
class Request:
    to: tuple[str, ...]
    subject: str
    body: str
    kisa: dict[str, str]

    @property
    def mailto(self) -> str:
        """The request as a ``mailto:`` link (RFC 6068) for the operator's mail program."""
        from urllib.parse import quote

        return f"mailto:{','.join(quote(t, safe='@') for t in self.to)}?subject={quote(self.subject)}&body={quote(self.body)}"


def kisa_fields(
    case: CyberCase, ev: CyberEvidence | None, agency_name: str, official: str
) -> dict[str, str]:
    """The fields of a phishing report to KISA (118)."""
    return {
        "신고 유형": "피싱(정부기관 사칭) 사이트",
        "사칭 대상 기관": agency_name,
        "사칭 대상 서비스": official,
        "사칭 사이트 주소": f"http://{case.domain}/" if ev is None else ev.url,
        "최초 탐지 일시": f"{to_kst(case.first_seen_at):%Y-%m-%d %H:%M} (KST)",
        "접속 IP": ", ".join(ev.addresses) if ev and ev.addresses else "확인되지 않음",
        "증거": (f"HTML SHA-256 {ev.sha256}" if ev and ev.sha256 else "페이지 응답 없음")
        + (
            f", 공식 페이지와 유사도 {ev.similarity}%" if ev and ev.similarity is not None else ""
        ),  # fmt: skip
        "탐지 근거": case.reasons.replace(";", ", "),
        "등록기관": " · ".join(x for x in (case.registrar, case.registrar_abuse) if x)
        or "확인되지 않음",
        "호스팅": " · ".join(x for x in (case.hosting, case.host_abuse) if x) or "확인되지 않음",
        "신고 기관": CENTRE,
    }


def request(case: CyberCase, ev: CyberEvidence | None, agency_name: str, official: str) -> Request:
    to = tuple(x for x in (case.registrar_abuse, case.host_abuse) if x)
    subject = f"[Takedown request / 차단 요청] {case.domain} — phishing imitating {official}"
    redirect = (
        " → ".join(ev.redirects + [ev.url]) if ev and ev.redirects else (ev.url if ev else "")
    )
    lines = [
        "담당자께,",
        "",
        f"{CENTRE}는 아래 도메인이 {agency_name}의 공식 서비스 {official}을(를) 사칭하여 개인정보를 수집하는",
        "피싱 사이트임을 확인하였습니다. 귀사의 약관과 관련 법령에 따라 해당 도메인과 호스팅의 이용을 즉시",
        "중지하여 주시기 바랍니다.",
        "",
        f"- 도메인: {case.domain}",
        f"- 최초 탐지: {to_kst(case.first_seen_at):%Y-%m-%d %H:%M} (KST)",
        f"- 확인된 주소: {', '.join(ev.addresses) if ev and ev.addresses else '확인되지 않음'}",
        f"- 접속 경로: {redirect or '—'}",
        f"- 증거: HTML SHA-256 {ev.sha256 if ev and ev.sha256 else '—'}",
        f"- 탐지 근거: {case.reasons.replace(';', ', ')}",
        f"- 등록기관: {case.registrar or '확인되지 않음'} · 호스팅: {case.hosting or '확인되지 않음'}",
        "",
        "Dear abuse team,",
        "",
        f"The {CENTRE_EN} has confirmed that the domain below is a phishing site imitating",
        f"{official}, an official service of {agency_name}, to collect personal data. Please suspend the",
        "domain and its hosting under your terms of service and the applicable law without delay.",
        "",
        f"- Domain: {case.domain}",
        f"- First detected: {case.first_seen_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC",
        f"- Addresses: {', '.join(ev.addresses) if ev and ev.addresses else 'not resolved'}",
        f"- Redirect chain: {redirect or '—'}",
        f"- Evidence: SHA-256 of the HTML {ev.sha256 if ev and ev.sha256 else '—'}",
        f"- Registrar: {case.registrar or 'unknown'} · Hosting: {case.hosting or 'unknown'}",
        "",
        f"{CENTRE} / {CENTRE_EN}",
    ]
    return Request(to, subject, "\n".join(lines), kisa_fields(case, ev, agency_name, official))


def pdf(case: CyberCase, ev: CyberEvidence | None, req: Request) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]

    env = Environment(autoescape=select_autoescape(["html"]))
    template = env.from_string(resources.files("insa.cyber").joinpath("templates/takedown_pdf.html")
                               .read_text(encoding="utf-8"))  # fmt: skip
    html = template.render(case=case, ev=ev, req=req, centre=CENTRE, centre_en=CENTRE_EN,
                           now=to_kst(dt.datetime.now(dt.UTC)))  # fmt: skip
    out: bytes = HTML(string=html).write_pdf()
    return out
