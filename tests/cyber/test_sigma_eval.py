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


@pytest.mark.parametrize(
    ("detection", "fields", "want"),
    [
        # a list of exact strings with an escaped wildcard (one set lookup) still matches literally
        (
            "  s: {c-uri: ['/login.php\\?debug=1', '/admin.php\\?debug=1']}\n  condition: s",
            {"url.original": "/login.php?debug=1"},
            True,
        ),
        (
            "  s: {c-uri: ['/login.php\\?debug=1', '/admin.php\\?debug=1']}\n  condition: s",
            {"url.original": "/login.phpXdebug=1"},
            False,
        ),
        # |windash and |base64offset reach the evaluator as expansions: any of their values
        (
            "  s: {process.command_line|windash|contains: ' -exec '}\n  condition: s",
            {"process.command_line": "x /exec y"},
            True,
        ),
        (
            "  s: {url.original|base64offset|contains: 'whoami'}\n  condition: s",
            {"url.original": "/?c=d2hvYW1p"},
            True,
        ),
        (
            "  s: {url.original|base64offset|contains: 'whoami'}\n  condition: s",
            {"url.original": "/?c=aGVsbG8="},
            False,
        ),
    ],
)
def test_what_a_review_found(
    tmp_path: Path, detection: str, fields: dict[str, object], want: bool
) -> None:
    # with more than eight rules for the log source, so that the prefilter is in play too
    for i in range(9):
        (tmp_path / f"d{i}.yml").write_text(
            f"""title: d{i}
id: 9f1b6a52-0000-4000-8000-0000000001{i:02d}
logsource: {{category: webserver}}
detection:
  s: {{url.path|contains: zzdummy{i}zz}}
  condition: s
level: low
""",
            encoding="utf-8",
        )
    engine = _rule(tmp_path, detection)
    got = any(a.rule.endswith("00aa") for a in engine.feed(1, {**BASE, "message": "", **fields}))
    assert got is want


def test_aliases_and_chained_correlations(tmp_path: Path) -> None:
    """A correlation's aliases name the rules it reads (by name); a correlation that reads
    another hears every hit while that one's condition holds, not only the first."""
    import datetime as dt

    from insa.cyber.replay import placeholders, run

    (tmp_path / "a.yml").write_text(
        """title: scan
id: 9f1b6a52-0000-4000-8000-0000000000a1
name: scan
logsource: {category: firewall}
detection: {s: {event.action: scan}, condition: s}
---
title: exfil
id: 9f1b6a52-0000-4000-8000-0000000000b1
name: exfil
logsource: {category: firewall}
detection: {s: {event.action: exfil}, condition: s}
---
title: scan then exfil by the same host
id: 9f1b6a52-0000-4000-8000-0000000000c1
correlation:
  type: temporal
  rules: [scan, exfil]
  aliases:
    src_ip: {scan: source.ip, exfil: destination.ip}
  group-by: [src_ip]
  timespan: 10m
level: high
""",
        encoding="utf-8",
    )
    rs = sigma.load([tmp_path])
    assert not rs.problems, rs.problems
    base = {
        "organization.id": "MPM",
        "event.category": "network",
        "log.format": "kv",
        "message": "",
    }
    evs = [(1, {**base, "@timestamp": "2026-12-02T01:00:00.000Z", "event.action": "scan", "source.ip": "10.0.0.5"}),
           (2, {**base, "@timestamp": "2026-12-02T01:01:00.000Z", "event.action": "exfil", "destination.ip": "10.0.0.5"})]  # fmt: skip
    assert [a.title for a in run(evs, rs).alerts] == ["scan then exfil by the same host"]
    # thirty failures a minute apart for admin, then the guessed password: the critical rule fires
    shipped = sigma.load([sigma.shipped_dir()], placeholders())
    t0 = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
    auth = {
        "organization.id": "KDCA",
        "event.category": "authentication",
        "source.ip": "203.0.113.9",
        "user.name": "admin",
        "message": "",
    }
    evs = [(i, {**auth, "@timestamp": (t0 + dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"), "event.outcome": "failure"})
           for i in range(30)]  # fmt: skip
    evs.append(
        (
            30,
            {
                **auth,
                "@timestamp": (t0 + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "event.outcome": "success",
            },
        )
    )
    titles = {a.title for a in run(evs, shipped).alerts}
    assert any("뒤 로그인 성공" in t for t in titles), titles


def test_a_condition_a_stream_cannot_decide_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(
        """title: base
id: 9f1b6a52-0000-4000-8000-0000000000a1
name: base
logsource: {category: firewall}
detection: {s: {event.action: deny}, condition: s}
---
title: too few
id: 9f1b6a52-0000-4000-8000-0000000000c1
correlation: {type: event_count, rules: [base], group-by: [source.ip], timespan: 10m, condition: {lt: 3}}
level: low
""",
        encoding="utf-8",
    )
    rs = sigma.load([tmp_path])
    assert len(rs.problems) == 1 and "lt" in rs.problems[0] and "too few" in rs.problems[0]
