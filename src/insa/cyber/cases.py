"""Cases: every alert becomes one (a domain once: seen again, its case is updated), with
its evidence and timeline, then new → confirmed (or dismissed, with a reason) → takedown
requested → verified down once its page is gone. Plain functions over a session; the
service scopes and audits them."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from insa.clock import utc_now
from insa.cyber.models import CyberCase, CyberCaseEvent, CyberEvidence
from insa.cyber.pages import Fetched, Fingerprint, fingerprint_of, is_parked, similarity
from insa.cyber.schemas import Assets, Finding
from insa.people.models import Agency

SCANNER = "검사기"
MAX_HTML = 2 * 2**20


def addresses(domain: str) -> list[str]:
    """The domain's addresses as this machine resolves them (none when it does not)."""
    try:
        return sorted({str(i[4][0]) for i in socket.getaddrinfo(domain, None)})[:16]
    except (OSError, UnicodeError):
        return []


def evidence_of(case_id: str, page: Fetched, officials: Mapping[str, list[Fingerprint]], asset: str,
                shot: bytes | None = None) -> CyberEvidence:  # fmt: skip
    import ppdeep

    html = page.html[:MAX_HTML] if page.html else None
    sim = None
    title = tlsh = None
    if html:
        fp = fingerprint_of(page)
        title, tlsh = fp.title or None, fp.tlsh or None
        prints = officials.get(asset, [])
        sim = int(max((similarity(fp, o) for o in prints), default=0.0) * 100) if prints else None
    return CyberEvidence(case_id=case_id, at=utc_now(), url=(page.url or (page.tried[-1] if page.tried else ""))[:2000],
                         status=page.status, error=page.error or None, redirects=list(page.redirects),
                         headers=dict(page.headers), addresses=addresses(page.domain), html=html,
                         sha256=hashlib.sha256(html.encode()).hexdigest() if html else None,
                         ssdeep=ppdeep.hash(html)[:200] if html else None, title=title, similarity=sim,
                         tlsh=tlsh, images=list(page.images), screenshot=shot)  # fmt: skip


def event(db: Session, case_id: str, action: str, actor: str, note: str = "") -> None:
    db.add(
        CyberCaseEvent(case_id=case_id, at=utc_now(), action=action, actor=actor, note=note[:2000])
    )


def record(db: Session, findings: Iterable[Finding], assets: Assets, seen_at: dt.datetime | None = None,
           pages: Mapping[str, Fetched] | None = None, officials: Mapping[str, list[Fingerprint]] | None = None,
           shots: Mapping[str, bytes] | None = None) -> tuple[int, int]:  # fmt: skip
    """The alerts of a scan as cases: (opened, seen again). Re-running changes nothing but
    the times last seen."""
    owners = {a.id: a.ministry for a in assets.assets}
    services = {a.id: (a.names[0] if a.names else a.id) for a in assets.assets}
    codes = {str(c): int(i) for c, i in db.execute(select(Agency.code, Agency.id))}
    now = utc_now()
    seen = seen_at or now
    opened = again = 0
    for f in findings:
        if f.verdict != "alert" or not f.asset:
            continue
        case = db.scalar(select(CyberCase).where(CyberCase.domain == f.domain))
        page = (pages or {}).get(f.domain)
        if case is None:
            case = CyberCase(id=uuid.uuid4().hex[:12], domain=f.domain, asset=f.asset, service=services.get(f.asset, f.asset),
                             ministry=owners.get(f.asset, ""),
                             agency_id=codes.get(owners.get(f.asset, "")), status="new", score=f.score,
                             reasons=";".join(f.reasons), first_seen_at=seen, alerted_at=now, last_seen_at=now)  # fmt: skip
            db.add(case)
            db.flush()
            event(db, case.id, "detected", SCANNER, f"점수 {f.score}: " + ";".join(f.reasons))
            opened += 1
        else:
            case.last_seen_at = now
            if f.score > case.score:
                case.score, case.reasons = f.score, ";".join(f.reasons)
            if case.status == "verified_down" and page is not None and page.reachable:
                case.status = "takedown_requested"
                event(db, case.id, "reopened", SCANNER, "차단을 확인한 사이트가 다시 열렸습니다")
            again += 1
        if page is not None:
            db.add(
                evidence_of(case.id, page, officials or {}, case.asset, (shots or {}).get(f.domain))
            )
    return opened, again


def verify(db: Session, case: CyberCase, page: Fetched, actor: str, shot: bytes | None = None,
           officials: Mapping[str, list[Fingerprint]] | None = None) -> bool:  # fmt: skip
    """Re-check a taken-down domain: gone (unreachable, or parked) → verified down."""
    db.add(evidence_of(case.id, page, officials or {}, case.asset, shot))
    gone = not page.reachable or is_parked(fingerprint_of(page), page.html)
    if gone:
        case.status, case.verified_at = "verified_down", utc_now()
        event(db, case.id, "verified_down", actor, page.error or "페이지가 내려갔습니다")
    else:
        event(db, case.id, "rechecked", actor, f"아직 열려 있습니다 (HTTP {page.status})")
    return gone
