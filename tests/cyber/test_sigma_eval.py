"""The in-process evaluator against Sigma's semantics, value type by value type: strings
are case-insensitive unless ``|cased``, ``*`` and ``?`` are wildcards, a field that is
absent matches nothing (but ``null`` and ``exists: false``), ``|all`` wants every value,
``re`` searches, ``cidr`` tests the network, ``gt``/``lte`` compare numbers, ``fieldref``
compares two fields, keywords search the raw message."""

from __future__ import annotations

from pathlib import Path

import pytest

from insa.cyber import sigma
from insa.cyber.sigma import Engine

BASE = {"@timestamp": "2026-12-02T01:00:00Z", "organization.id": "MPM", "event.category": "web",
        "log.format": "nginx"}  # fmt: skip


def _rule(tmp: Path, detection: str) -> Engine:
    (tmp / "r.yml").write_text(
        f"""title: t
id: 9f1b6a52-0000-4000-8000-0000000000aa
logsource: {{category: webserver}}
detection:
{detection}
level: low
""",
        encoding="utf-8",
    )
    found = sigma.load([tmp])
    assert not found.problems, found.problems
    return Engine(found)


CASES = [
    ("  s: {url.path: /Admin/Login.do}\n  condition: s", {"url.path": "/admin/login.DO"}, True),
    ("  s: {url.path|cased: /Admin}\n  condition: s", {"url.path": "/admin"}, False),
    ("  s: {url.path: '/adm?n/*.php'}\n  condition: s", {"url.path": "/admin/x/y.PHP"}, True),
    ("  s: {url.path: '/adm?n/*.php'}\n  condition: s", {"url.path": "/adm/x.php"}, False),
    ("  s: {url.path|startswith: /api/}\n  condition: s", {"url.path": "/API/v1"}, True),
    ("  s: {url.path|endswith: .jsp}\n  condition: s", {"url.path": "/a.jsp?x"}, False),
    (
        "  s: {url.original|contains|all: [select, from]}\n  condition: s",
        {"url.original": "/q?a=SELECT 1"},
        False,
    ),
    (
        "  s: {url.original|contains|all: [select, from]}\n  condition: s",
        {"url.original": "/q?a=SELECT 1 FROM t"},
        True,
    ),
    (
        "  s: {url.original|re: '(?i)union\\s+select'}\n  condition: s",
        {"url.original": "/q?a=1 UNION  select"},
        True,
    ),
    ("  s: {url.original|re: '^/x$'}\n  condition: s", {"url.original": "/xy"}, False),
    ("  s: {source.ip|cidr: 10.0.0.0/8}\n  condition: s", {"source.ip": "10.200.1.1"}, True),
    ("  s: {source.ip|cidr: 10.0.0.0/8}\n  condition: s", {"source.ip": "11.0.0.1"}, False),
    (
        "  s: {http.response.status_code|gte: 500}\n  condition: s",
        {"http.response.status_code": 503},
        True,
    ),
    (
        "  s: {http.response.status_code|lt: 400}\n  condition: s",
        {"http.response.status_code": 404},
        False,
    ),
    (
        "  s: {http.response.status_code: 404}\n  condition: s",
        {"http.response.status_code": 404},
        True,
    ),
    ("  s: {user.name: null}\n  condition: s", {}, True),
    ("  s: {user.name|exists: true}\n  condition: s", {"user.name": "kim"}, True),
    ("  s: {user.name|exists: false}\n  condition: s", {"user.name": "kim"}, False),
    (
        "  s: {user.name|fieldref: url.domain}\n  condition: s",
        {"user.name": "GOSI.kr", "url.domain": "gosi.kr"},
        True,
    ),
    ("  s: {user.name: kim}\n  condition: s", {}, False),
    ("  s: {user.name: kim}\n  condition: not s", {}, True),
    ("  k: [UNION SELECT]\n  condition: k", {"message": "GET /x?id=1 union select 2"}, True),
    ("  k: ['*etc*passwd*']\n  condition: k", {"message": "GET /../../ETC/passwd"}, True),
    (
        "  a: {cs-method: POST}\n  b: {sc-status: 200}\n  condition: a and not b",
        {"http.request.method": "post", "http.response.status_code": 500},
        True,
    ),
    (
        "  sel_a: {url.path: /a}\n  sel_b: {url.path: /b}\n  condition: 1 of sel_*",
        {"url.path": "/b"},
        True,
    ),
    (
        "  sel_a: {url.path|contains: a}\n  sel_b: {url.path|contains: b}\n  condition: all of sel_*",
        {"url.path": "/ab"},
        True,
    ),
]


@pytest.mark.parametrize(("detection", "fields", "want"), CASES)
def test_sigma_semantics(
    tmp_path: Path, detection: str, fields: dict[str, object], want: bool
) -> None:
    engine = _rule(tmp_path, detection)
    got = bool(engine.feed(1, {**BASE, "message": "", **fields}))
    assert got is want


def test_a_rule_for_another_log_source_is_not_asked(tmp_path: Path) -> None:
    engine = _rule(tmp_path, "  s: {user.name: kim}\n  condition: s")
    assert not engine.feed(
        1, {**BASE, "log.format": "sshd", "event.category": "authentication", "user.name": "kim"}
    )


def test_correlation_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """However many addresses come and go, the groups kept are bounded: quiet groups are
    forgotten after their timespan, and past the cap the least recently touched goes first."""
    import datetime as dt

    from insa.cyber.replay import placeholders

    monkeypatch.setattr(sigma, "MAX_WINDOWS", 50)
    engine = Engine(sigma.load([sigma.shipped_dir()], placeholders()))
    t0 = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    for i in range(500):  # 500 addresses failing once each
        e = {"@timestamp": (t0 + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "organization.id": "MPM",
             "event.category": "authentication", "event.outcome": "failure", "source.ip": f"10.0.{i // 250}.{i % 250}",
             "user.name": "kim", "message": ""}  # fmt: skip
        engine.feed(i, e)
    assert len(engine._windows) <= 50 and engine.evicted > 0
    engine.sweep(t0 + dt.timedelta(days=1))
    assert len(engine._windows) == 0 and not engine._fired
