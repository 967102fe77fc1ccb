"""Abuse contacts from the registration data an operator gives a case: an RDAP answer
(RFC 9083 JSON — a domain's, naming its registrar and the registrar's abuse contact, or an
IP network's, naming the host and its abuse mailbox) or WHOIS text (gTLD registries', KISA's
.kr in Korean or English, the regional internet registries' for addresses). Plain
functions; nothing is looked up here."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


class ContactsError(ValueError):
    """What could not be read (Korean, shown to the operator)."""


@dataclass(frozen=True)
class Contacts:
    registrar: str = ""
    registrar_abuse: str = ""  # e-mail
    hosting: str = ""  # the holder of the network the site is on
    host_abuse: str = ""  # e-mail

    @property
    def empty(self) -> bool:
        return not any((self.registrar, self.registrar_abuse, self.hosting, self.host_abuse))


def _vcard(entity: Mapping[str, Any]) -> dict[str, str]:
    """The first ``fn``, ``org`` and ``email`` of an entity's jCard (RFC 7095)."""
    out: dict[str, str] = {}
    card = entity.get("vcardArray")
    if isinstance(card, list) and len(card) == 2 and isinstance(card[1], list):
        for prop in card[1]:
            if isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str):
                value = prop[3]
                if isinstance(value, list):
                    value = " ".join(str(v) for v in value if v)
                if prop[0] in ("fn", "org", "email") and prop[0] not in out and str(value).strip():
                    out[prop[0]] = str(value).strip()
    return out


def _entities(
    doc: Mapping[str, Any],
) -> Iterable[tuple[tuple[str, ...], Mapping[str, Any], tuple[str, ...]]]:
    """Every entity with its roles and its parents' roles, depth first."""

    def walk(
        node: Mapping[str, Any], parents: tuple[str, ...]
    ) -> Iterable[tuple[tuple[str, ...], Mapping[str, Any], tuple[str, ...]]]:
        for e in node.get("entities") or []:
            if isinstance(e, Mapping):
                roles = tuple(str(r).lower() for r in e.get("roles") or [])
                yield roles, e, parents
                yield from walk(e, parents + roles)

    yield from walk(doc, ())


def from_rdap(doc: Mapping[str, Any]) -> Contacts:
    kind = str(doc.get("objectClassName", "")).lower()
    if kind not in ("domain", "ip network", "autnum"):
        raise ContactsError(
            "RDAP 응답의 objectClassName이 domain, ip network, autnum 중 하나가 아닙니다"
        )
    registrar = abuse = holder = ""
    for roles, e, parents in _entities(doc):
        card = _vcard(e)
        name = card.get("fn") or card.get("org") or ""
        if "registrar" in roles and not registrar:
            registrar = name
        if "abuse" in roles and card.get("email") and not abuse:
            abuse = (
                card["email"]
                if (kind != "domain" or "registrar" in parents or not parents)
                else abuse
            )
        if (
            kind != "domain"
            and not holder
            and ("registrant" in roles or "administrative" in roles)
            and name
        ):
            holder = name
    if kind == "domain":
        return Contacts(registrar=registrar, registrar_abuse=abuse)
    return Contacts(hosting=holder or str(doc.get("name", "")), host_abuse=abuse)


WHOIS_REGISTRAR = ("registrar", "sponsoring registrar", "등록대행자", "authorized agency")
WHOIS_REGISTRAR_ABUSE = ("registrar abuse contact email", "abuse contact email", "abuse email")
WHOIS_HOLDER = (
    "orgname",
    "org-name",
    "organization",
    "owner",
    "기관명",
    "descr",
    "netname",
)  # the first found
WHOIS_ABUSE = ("orgabuseemail", "abuse-mailbox", "abuse mailbox", "abuse-c email", "abuse email")
WHOIS_NETWORK = (
    "netrange",
    "inetnum",
    "inet6num",
    "cidr",
    "ipv4주소",
    "ipv6주소",
    "ipv4 address",
    "ipv6 address",
)


def _pairs(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        if ":" not in line or line.lstrip().startswith(("%", "#", ">>>")):
            continue
        key, _, value = line.partition(":")
        key, value = re.sub(r"\s+", " ", key).strip().lower(), value.strip()
        if key and value:
            out.append((key, value))
    return out


def from_whois(text: str) -> Contacts:
    pairs = _pairs(text)
    if not pairs:
        raise ContactsError("WHOIS 내용에서 '항목: 값' 줄을 찾지 못했습니다")
    keys = {k for k, _ in pairs}
    network = any(k in keys for k in WHOIS_NETWORK)

    def first(names: tuple[str, ...], email: bool = False) -> str:
        """The value of the first of ``names`` the text has (in the order of ``names``)."""
        for name in names:
            for k, v in pairs:
                if k != name:
                    continue
                if not email:
                    return re.sub(r"\s*\(https?://[^)]*\)\s*$", "", v)[:200]
                if m := EMAIL.search(v):
                    return m.group(0)
        return ""

    def any_abuse() -> str:
        for k, v in pairs:
            if "abuse" in k and (m := EMAIL.search(v)):
                return m.group(0)
        m = re.search(r"abuse[^\n]*?(" + EMAIL.pattern + ")", text, re.I)
        return m.group(1) if m else ""

    if network:
        return Contacts(
            hosting=first(WHOIS_HOLDER), host_abuse=first(WHOIS_ABUSE, email=True) or any_abuse()
        )
    return Contacts(registrar=first(WHOIS_REGISTRAR),
                    registrar_abuse=first(WHOIS_REGISTRAR_ABUSE, email=True) or any_abuse())  # fmt: skip


def read(text: str) -> Contacts:
    """The contacts in an RDAP answer (JSON) or WHOIS text, whichever ``text`` is."""
    text = text.strip()
    if not text:
        raise ContactsError("RDAP(JSON) 응답이나 WHOIS 내용을 붙여 넣으세요")
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContactsError(
                f"RDAP JSON을 읽지 못했습니다 ({exc.lineno}행 {exc.colno}열: {exc.msg})"
            ) from None
        if not isinstance(doc, dict):
            raise ContactsError("RDAP 응답은 JSON 객체여야 합니다")
        got = from_rdap(doc)
    else:
        got = from_whois(text)
    if got.empty:
        raise ContactsError("등록기관이나 신고 창구(abuse) 전자우편을 찾지 못했습니다")
    return got
