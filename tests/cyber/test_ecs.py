"""The parsers on lines in their real formats — the examples of RFC 5424 and RFC 3164
themselves, Apache's documented combined-log example, OpenSSH's messages, FortiGate's
documented traffic log, an iptables LOG line, an insa audit entry — normalised to ECS."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insa.cyber.ecs import ParseError, from_line, from_object, logsources

NOW = dt.datetime(2026, 12, 2, 3, 0, tzinfo=dt.UTC)


def test_rfc5424_examples() -> None:
    e = from_line("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
                  "MPM", NOW)  # fmt: skip
    assert (
        e["@timestamp"] == "2003-10-11T22:14:15.003Z" and e["host.name"] == "mymachine.example.com"
    )
    assert (
        e["process.name"] == "su"
        and e["log.syslog.facility.code"] == 4
        and e["log.syslog.severity.code"] == 2
    )
    e = from_line("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
                  "MPM", NOW)  # fmt: skip
    assert e["@timestamp"] == "2003-08-24T12:14:15.000Z" and e["process.pid"] == 8710
    e = from_line('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
                  'eventSource="Application" eventID="1011"] An application event log entry', "MOIS", NOW)  # fmt: skip
    assert e["process.name"] == "evntslog" and e["organization.id"] == "MOIS"


def test_rfc3164_example_takes_the_year_it_was_received() -> None:
    e = from_line(
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8", "MPM", NOW
    )
    assert e["@timestamp"] == "2026-10-11T22:14:15.000Z" and e["host.name"] == "mymachine"
    # a December line received in January belongs to the year before
    e = from_line("Dec 31 23:59:58 gw sshd[1]: Accepted publickey for a from 10.0.0.1 port 2 ssh2", "MPM",
                  dt.datetime(2027, 1, 1, 0, 0, 5, tzinfo=dt.UTC))  # fmt: skip
    assert e["@timestamp"].startswith("2026-12-31")


@pytest.mark.parametrize(
    ("text", "outcome", "user", "ip"),
    [
        (
            "Failed password for invalid user admin from 192.168.1.10 port 52133 ssh2",
            "failure",
            "admin",
            "192.168.1.10",
        ),
        (
            "Failed password for root from 2001:db8::7 port 22 ssh2",
            "failure",
            "root",
            "2001:db8::7",
        ),
        (
            "Accepted publickey for ubuntu from 10.0.0.5 port 50122 ssh2: RSA SHA256:Xk3l0vEk",
            "success",
            "ubuntu",
            "10.0.0.5",
        ),
        ("Invalid user test from 203.0.113.5 port 41234", "failure", "test", "203.0.113.5"),
        (
            "Connection closed by authenticating user root 203.0.113.5 port 41234 [preauth]",
            "failure",
            "root",
            "203.0.113.5",
        ),
        (
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.6  user=root",
            "failure",
            "root",
            "203.0.113.6",
        ),
    ],
)
def test_sshd_messages(text: str, outcome: str, user: str, ip: str) -> None:
    e = from_line(f"Mar  3 10:00:00 gw1 sshd[8812]: {text}", "MND", NOW)
    assert (e["event.category"], e["event.outcome"], e["user.name"], e["source.ip"]) == (
        "authentication",
        outcome,
        user,
        ip,
    )
    assert e["log.format"] == "sshd" and e["host.name"] == "gw1" and e["process.pid"] == 8812
    assert {(None, "linux", "sshd"), ("authentication", None, None)} <= logsources(e)


def test_the_combined_log_format() -> None:
    line = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif?x=1 HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"'
    e = from_object({"organization.id": "MPM", "log.format": "nginx", "message": line}, None, NOW)
    assert (
        e["@timestamp"] == "2000-10-10T20:55:36.000Z"
        and e["source.ip"] == "127.0.0.1"
        and e["user.name"] == "frank"
    )
    assert (e["http.request.method"], e["url.original"], e["url.path"], e["url.query"]) == (
        "GET",
        "/apache_pb.gif?x=1",
        "/apache_pb.gif",
        "x=1",
    )
    assert (
        e["http.response.status_code"] == 200
        and e["http.response.body.bytes"] == 2326
        and e["url.extension"] == "gif"
    )
    assert (
        e["user_agent.original"].startswith("Mozilla/4.08")
        and e["http.request.referrer"] == "http://www.example.com/start.html"
    )
    assert ("webserver", None, None) in logsources(e)


def test_a_fortigate_traffic_line_and_an_iptables_line() -> None:
    forti = ('date=2019-05-10 time=11:37:47 logid="0000000013" type="traffic" subtype="forward" level="notice" vd="vdom1" '
             'eventtime=1557513467369913239 srcip=10.1.100.11 srcport=58012 srcintf="port12" dstip=23.59.154.35 dstport=80 '
             'proto=6 action="deny" policyid=1 service="HTTP" user="kim"')  # fmt: skip
    e = from_line(forti, "MSIT", NOW, "kv")
    assert e["@timestamp"] == "2019-05-10T18:37:47.369Z"  # eventtime (ns) wins over date and time
    assert (e["source.ip"], e["destination.ip"], e["destination.port"], e["network.transport"]) == (
        "10.1.100.11",
        "23.59.154.35",
        80,
        "tcp",
    )
    assert (
        e["event.outcome"] == "failure"
        and e["event.type"] == "denied"
        and e["user.name"] == "kim"
        and e["kv.service"] == "HTTP"
    )
    ipt = ("Dec  2 02:59:01 fw1 kernel: IN=eth0 OUT= MAC=00:16:3e:00:00:01 SRC=203.0.113.9 DST=10.0.0.1 LEN=60 TOS=0x00 "
           "PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=51515 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0")  # fmt: skip
    e = from_line(ipt, "MSIT", NOW)
    assert e["log.format"] == "kv" and (
        e["source.ip"],
        e["destination.port"],
        e["network.transport"],
    ) == ("203.0.113.9", 22, "tcp")


def test_an_insa_audit_entry() -> None:
    entry = {"at": "2026-12-02T01:02:03.456789+00:00", "actor": "hr-a", "actor_role": None, "action": "auth.login_failed",
             "target_type": "user", "target_id": None, "agency_id": None, "client_addr": "198.51.100.4", "detail": None}  # fmt: skip
    e = from_line(json.dumps(entry), "MPM", NOW, "insa-audit")
    assert (e["event.category"], e["event.outcome"], e["user.name"], e["source.ip"]) == (
        "authentication",
        "failure",
        "hr-a",
        "198.51.100.4",
    )
    assert e["@timestamp"] == "2026-12-02T01:02:03.456Z"


def test_normalised_events_nested_or_dotted_and_the_ministry_is_the_senders() -> None:
    e = from_object({"@timestamp": "2026-12-02T01:00:00Z", "organization": {"id": "EVIL"}, "source": {"ip": "10.0.0.9"},
                     "event": {"category": "authentication", "outcome": "failure"}}, "MPM", NOW)  # fmt: skip
    assert (
        e["organization.id"] == "MPM"
        and e["source.ip"] == "10.0.0.9"
        and e["event.outcome"] == "failure"
    )


@pytest.mark.parametrize(
    ("doc", "says"),
    [
        (
            {"organization.id": "MPM", "log.format": "nginx", "message": "not an access log"},
            "combined",
        ),
        ({"organization.id": "MPM", "log.format": "cef", "message": "x"}, "log.format"),
        ({"organization.id": "MPM", "source.ip": "10.0.0.1"}, "@timestamp"),
        ({"@timestamp": "yesterday", "organization.id": "MPM"}, "@timestamp"),
        (
            {
                "@timestamp": "2026-12-02T00:00:00Z",
                "organization.id": "MPM",
                "source.ip": "999.1.1.1",
            },
            "source.ip",
        ),
        ({"@timestamp": "2026-12-02T00:00:00Z"}, "organization.id"),
        ({"organization.id": "MPM", "log.format": "syslog", "message": "no header here"}, "syslog"),
    ],
)
def test_what_is_not_an_event_says_why(doc: dict[str, object], says: str) -> None:
    with pytest.raises(ParseError, match=says):
        from_object(doc, None, NOW)


@pytest.mark.parametrize(
    ("line", "want"),
    [
        # FortiGate's default: a priority, then key=value, no header; its tz honoured
        (
            '<189>date=2026-12-02 time=10:00:00 devname="FGT60E" tz="+0900" srcip=203.0.113.77 dstip=10.0.0.5 dstport=22 proto=6 action="deny"',
            {
                "@timestamp": "2026-12-02T01:00:00.000Z",
                "log.format": "kv",
                "source.ip": "203.0.113.77",
                "event.outcome": "failure",
            },
        ),
        # rsyslog's RSYSLOG_ForwardFormat: RFC 3164's shape with an RFC 3339 time
        (
            "<38>2026-12-02T10:00:00.123456+09:00 gw1 sshd[811]: Failed password for root from 10.0.0.1 port 22 ssh2",
            {
                "@timestamp": "2026-12-02T01:00:00.123Z",
                "host.name": "gw1",
                "user.name": "root",
                "process.pid": 811,
            },
        ),
        # RFC 3164 without a hostname, and with a one-digit day after one space
        (
            "<34>Dec 2 01:00:00 sshd[9]: Invalid user admin from 10.0.0.2 port 5",
            {"@timestamp": "2026-12-02T01:00:00.000Z", "user.name": "admin"},
        ),
        # a user name with a space
        (
            "Dec  2 01:00:00 gw sshd[1]: Failed password for invalid user a b from 10.0.0.3 port 22 ssh2",
            {"user.name": "a b", "source.ip": "10.0.0.3", "event.outcome": "failure"},
        ),
    ],
)
def test_more_real_syslog_shapes(line: str, want: dict[str, object]) -> None:
    e = from_line(line, "MPM", NOW)
    assert {k: e.get(k) for k in want} == want


def test_a_zone_for_lines_that_write_none() -> None:
    kst = dt.timezone(dt.timedelta(hours=9))
    e = from_line(
        "<34>Dec  2 10:00:00 gw sshd[1]: Accepted publickey for a from 10.0.0.1 port 2 ssh2",
        "MPM",
        NOW,
        local=kst,
    )
    assert e["@timestamp"] == "2026-12-02T01:00:00.000Z"


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_no_line_raises_anything_but_a_parse_error(text: str) -> None:
    for fmt in (None, "sshd", "nginx", "insa-audit", "kv", "syslog"):
        try:
            from_line(text, "MPM", NOW, fmt)
        except ParseError:
            pass


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                       lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=10), kids, max_size=3),
                       max_leaves=8)  # fmt: skip
KEYS = st.sampled_from(["@timestamp", "source.ip", "source.port", "destination.port", "http.response.status_code",
                        "log.format", "message", "event.outcome", "source", "organization.id"])  # fmt: skip


@given(
    st.dictionaries(
        KEYS,
        JSONISH
        | st.sampled_from(["2026-12-02T01:00:00Z", "sshd", "kv", "nginx", "99999999999999999999"]),
        max_size=6,
    )
)
@settings(max_examples=400, deadline=None)
def test_no_object_raises_anything_but_a_parse_error(doc: dict[str, object]) -> None:
    try:
        e = from_object(
            {"@timestamp": "2026-12-02T01:00:00Z", **doc} if len(doc) % 2 else doc, "MPM", NOW
        )
    except ParseError:
        return
    import shutil
    import tempfile
    from pathlib import Path

    from insa.cyber.store import write_events

    assert e["organization.id"] == "MPM" and e["@timestamp"].endswith("Z")
    if isinstance(e.get("source.port"), int):
        assert 0 <= e["source.port"] <= 65535
    root = Path(tempfile.mkdtemp())
    try:
        assert write_events(root, [e])  # what is accepted can be stored
    finally:
        shutil.rmtree(root)
