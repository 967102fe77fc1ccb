"""Abuse contacts read from registration data in the shapes registries publish: an RDAP
domain answer (the gTLD response profile: the registrar's abuse entity under the registrar),
an RDAP IP network answer (ARIN's shape: the abuse group under the registrant), gTLD WHOIS,
KISA's .kr WHOIS (Korean and English), RIPE's inetnum with its abuse comment."""

from __future__ import annotations

from pathlib import Path

import pytest

from insa.cyber.contacts import Contacts, ContactsError, read

DATA = Path(__file__).parent / "data" / "registration"


@pytest.mark.parametrize(
    ("name", "want"),
    [
        (
            "domain-rdap.json",
            Contacts(registrar="NameCheap, Inc.", registrar_abuse="abuse@namecheap.com"),
        ),
        ("ip-rdap.json", Contacts(hosting="Cloudflare, Inc.", host_abuse="abuse@cloudflare.com")),
        (
            "gtld-whois.txt",
            Contacts(
                registrar="PDR Ltd. d/b/a PublicDomainRegistry.com",
                registrar_abuse="abuse-contact@publicdomainregistry.com",
            ),
        ),
        ("kr-whois.txt", Contacts(registrar="(주)가비아")),
        (
            "ripe-whois.txt",
            Contacts(hosting="Example Hosting B.V.", host_abuse="abuse@hosting-nl.example"),
        ),
    ],
)
def test_contacts_from_published_shapes(name: str, want: Contacts) -> None:
    assert read((DATA / name).read_text(encoding="utf-8")) == want


def test_the_registrant_is_not_the_abuse_contact() -> None:
    got = read((DATA / "domain-rdap.json").read_text(encoding="utf-8"))
    assert "privacy" not in got.registrar_abuse  # the registrant's e-mail is not the abuse desk's


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "붙여 넣으세요"),
        ("{not json", "RDAP JSON을 읽지 못했습니다 (1행"),
        ('{"objectClassName": "nameserver"}', "objectClassName"),
        ("그냥 글입니다", "항목: 값"),
        ("Domain Name: x.com\nStatus: ok", "찾지 못했습니다"),
    ],
)
def test_what_cannot_be_read_is_said(text: str, says: str) -> None:
    with pytest.raises(ContactsError, match=says.replace("(", r"\(")):
        read(text)
