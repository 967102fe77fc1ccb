"""Security events normalised to Elastic Common Schema field names, from the logs a ministry
has: syslog (RFC 5424 and RFC 3164 headers), web server access logs (the combined format of
nginx and Apache), Linux auth (sshd), insa's own audit log (its log-in failures among the
entries), firewall-style ``key=value`` lines, and events already normalised (ECS dotted
keys). An event is a flat ``dict`` of dotted keys; ``organization.id`` is always the
ministry the event came from (a token's or a listener's, never the event's own say) and
``message`` the raw line. A line that cannot be read raises :class:`ParseError` with why, for
the dead-letter store. Plain functions."""

from __future__ import annotations

import datetime as dt
import json
import re
import socket
from collections.abc import Mapping
from typing import Any

import orjson

Event = dict[str, Any]
FORMATS = ("sshd", "nginx", "apache", "insa-audit", "kv", "syslog", "ecs")
MAX_LINE = 64 * 1024


class ParseError(ValueError):
    """Why a line is not an event (Korean, kept with the line in the dead-letter store)."""


def _utc(at: dt.datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any) -> dt.datetime:
    """An ISO-8601 time (``Z`` or an offset; none is UTC) or epoch seconds/milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value / 1000 if value > 1e11 else value)
    if not isinstance(value, str) or not value.strip():
        raise ParseError("@timestamp가 없거나 비어 있습니다")
    if (
        len(value) == 24 and value[23] == "Z" and value[10] == "T"
    ):  # the normalised shape: the fast way
        try:
            return dt.datetime.fromisoformat(value[:23]).replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    try:
        at = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ParseError(f"@timestamp를 읽지 못했습니다: {value[:40]}") from None
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _epoch(digits: str) -> dt.datetime:
    """Epoch time in seconds, milliseconds, microseconds or nanoseconds (by its length)."""
    if len(digits) > 19 or not digits.isascii():
        raise ParseError(f"epoch 시각이 너무 큽니다: {digits[:30]}")
    scale = 10 ** max(0, min(9, (len(digits) - 10) // 3 * 3))
    return _from_epoch(int(digits) / scale)


def _from_epoch(seconds: float) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    except (OverflowError, OSError, ValueError):
        raise ParseError(f"epoch 시각을 읽지 못했습니다: {seconds}") from None


def event_time(event: Mapping[str, Any]) -> dt.datetime:
    return parse_time(event["@timestamp"])


def _port(value: Any) -> int | None:
    """A port number 0–65535, or None (digits of another script, or too large, are none)."""
    text = str(value) if value is not None else ""
    if not text.isascii() or not text.isdecimal() or len(text) > 5:
        return None
    n = int(text)
    return n if n <= 65535 else None


LEADING_ZERO = re.compile(r"(^|\.)0\d")


def _ip(value: Any) -> str | None:
    """An address in its canonical form, or None when it is not one (inet_pton: in C)."""
    if not isinstance(value, str) or not value or value == "-":
        return None
    v = value.strip("[]")
    try:
        socket.inet_pton(socket.AF_INET, v)
        return None if LEADING_ZERO.search(v) else v  # 010.0.0.1 is no address (nor octal)
    except OSError:
        pass
    try:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, v))
    except (OSError, ValueError):
        return None


# -- syslog headers ------------------------------------------------------------------------

RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<proc>\S+) (?P<msgid>\S+) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$",
    re.S,
)
RFC3164 = re.compile(  # the hostname may be missing; the day one or two digits, padded or not
    r"^(?:<(?P<pri>\d{1,3})>)?(?P<ts>[A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d) (?:(?P<host>\S+) )?"
    r"(?P<tag>[^\s:\[]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$",
    re.S,
)
# rsyslog's RSYSLOG_ForwardFormat and the like: RFC 3164's shape with an RFC 3339 time
RFC3339_HEADER = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (?P<host>\S+) "
    r"(?P<tag>[^\s:\[]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$",
    re.S,
)
PRI_ONLY = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<msg>(?![A-Z][a-z]{2} |\d{4}-|1 ).*)$", re.S
)  # FortiGate: <189>date=…
MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


def _pri(out: Event, pri: str | None) -> None:
    if pri:
        n = int(pri)
        out.update(
            {
                "log.syslog.priority": n,
                "log.syslog.facility.code": n // 8,
                "log.syslog.severity.code": n % 8,
            }
        )


def syslog(line: str, received: dt.datetime, local: dt.tzinfo = dt.UTC) -> tuple[Event, str]:
    """The header of a syslog message (RFC 5424, else RFC 3164) as ECS fields, and its
    message. RFC 3164 has no year or zone: the year of ``received`` and UTC (its nearest
    year when the month is far off, around New Year)."""
    line = line.rstrip("\r\n")
    if m := RFC5424.match(line):
        pri = int(m["pri"])
        out: Event = {"@timestamp": _utc(parse_time(m["ts"])) if m["ts"] != "-" else _utc(received),
                      "log.syslog.priority": pri, "log.syslog.facility.code": pri // 8,
                      "log.syslog.severity.code": pri % 8}  # fmt: skip
        if m["host"] != "-":
            out["host.name"] = m["host"]
        if m["app"] != "-":
            out["process.name"] = m["app"]
        if m["proc"] != "-" and m["proc"].isdigit():
            out["process.pid"] = int(m["proc"])
        msg = m["msg"] or ""
        return out, msg.removeprefix("\ufeff")
    if m := RFC3164.match(line):
        month, rest = m["ts"][:3], m["ts"][3:].split()
        day, clock = int(rest[0]), rest[1]
        if month not in MONTHS:
            raise ParseError(f"syslog 시각의 달을 읽지 못했습니다: {month}")
        hh, mm, ss = (int(x) for x in clock.split(":"))
        year = received.year
        if MONTHS[month] - received.month > 6:
            year -= 1
        elif received.month - MONTHS[month] > 6:
            year += 1
        try:
            at = dt.datetime(year, MONTHS[month], day, hh, mm, ss, tzinfo=local)
        except ValueError:
            raise ParseError(f"syslog 시각이 없는 날짜입니다: {m['ts']}") from None
        out = {"@timestamp": _utc(at), "process.name": m["tag"]}
        if m["host"]:
            out["host.name"] = m["host"]
        if m["pri"]:
            pri = int(m["pri"])
            out.update({"log.syslog.priority": pri, "log.syslog.facility.code": pri // 8,
                        "log.syslog.severity.code": pri % 8})  # fmt: skip
        if m["pid"]:
            out["process.pid"] = int(m["pid"])
        return out, m["msg"]
    if m := RFC3339_HEADER.match(line):
        out = {
            "@timestamp": _utc(parse_time(m["ts"])),
            "host.name": m["host"],
            "process.name": m["tag"],
        }
        _pri(out, m["pri"])
        if m["pid"]:
            out["process.pid"] = int(m["pid"])
        return out, m["msg"]
    if m := PRI_ONLY.match(line):  # a priority and then the message itself (FortiGate's default)
        out = {"@timestamp": _utc(received)}
        _pri(out, m["pri"])
        return out, m["msg"]
    raise ParseError("syslog 머리말(RFC 5424 또는 RFC 3164)을 읽지 못했습니다")


# -- sshd ----------------------------------------------------------------------------------

SSHD = [
    (re.compile(r"^Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) from (?P<ip>\S+)(?: port (?P<port>\d+))?"), "failure"),
    (re.compile(r"^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<ip>\S+)(?: port (?P<port>\d+))?"), "success"),
    (re.compile(r"^Invalid user (?P<user>.*?) from (?P<ip>\S+)(?: port (?P<port>\d+))?"), "failure"),
    (re.compile(r"^Connection closed by (?:authenticating |invalid )?user (?P<user>\S+) (?P<ip>\S+)(?: port (?P<port>\d+))?"), "failure"),
    (re.compile(r"^error: maximum authentication attempts exceeded for (?:invalid user )?(?P<user>\S+) from (?P<ip>\S+)(?: port (?P<port>\d+))?"), "failure"),
    (re.compile(r"^pam_unix\(sshd:auth\): authentication failure;.*?rhost=(?P<ip>\S+)(?:\s+user=(?P<user>\S+))?"), "failure"),
]  # fmt: skip


def sshd(msg: str) -> Event:
    """An sshd message (after its syslog header) as ECS: a log-in attempt's outcome, user,
    address and port; any other message kept as a process event (keyword rules still see it)."""
    out: Event = {"event.dataset": "sshd", "process.name": "sshd"}
    for pattern, outcome in SSHD:
        if m := pattern.match(msg):
            out.update({"event.category": "authentication", "event.action": "ssh_login",
                        "event.outcome": outcome, "user.name": m["user"] or None})  # fmt: skip
            if ip := _ip(m["ip"]):
                out["source.ip"] = ip
            if (port := _port(m.groupdict().get("port"))) is not None:
                out["source.port"] = port
            if m.groupdict().get("method"):
                out["ssh.method"] = m["method"]
            return {k: v for k, v in out.items() if v is not None}
    out["event.category"] = "process"
    return out


# -- web server access logs (combined) -----------------------------------------------------

COMBINED = re.compile(
    r'^(?P<ip>\S+) \S+ (?P<user>\S+) \[(?P<ts>[^\]]+)\] "(?P<req>(?:[^"\\]|\\.)*)" (?P<status>\d{3}) '
    r'(?P<bytes>\d+|-)(?: "(?P<ref>(?:[^"\\]|\\.)*)" "(?P<ua>(?:[^"\\]|\\.)*)")?'
)


CLF_TIME = re.compile(
    r"^(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$"
)


def _clf_time(text: str) -> dt.datetime:
    """``10/Oct/2000:13:55:36 -0700`` (the common log format's time)."""
    m = CLF_TIME.match(text)
    if not m or m[2] not in MONTHS:
        raise ParseError(f"접근 기록의 시각을 읽지 못했습니다: {text}")
    offset = dt.timedelta(hours=int(m[8]), minutes=int(m[9])) * (1 if m[7] == "+" else -1)
    try:
        return dt.datetime(
            int(m[3]),
            MONTHS[m[2]],
            int(m[1]),
            int(m[4]),
            int(m[5]),
            int(m[6]),
            tzinfo=dt.timezone(offset),
        )
    except ValueError:
        raise ParseError(f"접근 기록의 시각이 없는 날짜입니다: {text}") from None


def access(line: str) -> Event:
    """A combined-format access log line (nginx, Apache) as ECS ``web`` fields."""
    m = COMBINED.match(line)
    if not m:
        raise ParseError("웹 서버 접근 기록(combined 형식)이 아닙니다")
    at = _clf_time(m["ts"])
    out: Event = {"@timestamp": _utc(at), "event.category": "web", "event.dataset": "access",
                  "http.response.status_code": int(m["status"])}  # fmt: skip
    out["event.outcome"] = "failure" if int(m["status"]) >= 400 else "success"
    if ip := _ip(m["ip"]):
        out["source.ip"] = ip
    if m["user"] != "-":
        out["user.name"] = m["user"]
    parts = m["req"].split(" ")
    if len(parts) >= 2:
        out["http.request.method"] = parts[0]
        target = parts[1]
        out["url.original"] = target
        path, _, query = target.partition("?")
        out["url.path"] = path
        if query:
            out["url.query"] = query
        if "." in path.rsplit("/", 1)[-1]:
            out["url.extension"] = path.rsplit(".", 1)[-1].lower()
        if len(parts) >= 3:
            out["http.version"] = parts[2].removeprefix("HTTP/")
    else:
        out["url.original"] = m["req"]
    if m["bytes"] != "-":
        out["http.response.body.bytes"] = int(m["bytes"])
    if m["ref"] and m["ref"] != "-":
        out["http.request.referrer"] = m["ref"]
    if m["ua"] and m["ua"] != "-":
        out["user_agent.original"] = m["ua"]
    return out


# -- insa's audit log ----------------------------------------------------------------------

AUTH_ACTIONS = {"auth.login": "success", "auth.login_failed": "failure", "auth.login_locked": "failure",
                "auth.login_throttled": "failure", "auth.login_inactive": "failure"}  # fmt: skip


def insa_audit(text: str) -> Event:
    """An entry of insa's audit log (a JSON object: at, actor, actor_role, action,
    target_type, target_id, agency_id, client_addr, detail) as ECS."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"insa 감사 기록이 JSON이 아닙니다 ({exc.msg}, {exc.colno}열)") from None
    if not isinstance(doc, dict) or not doc.get("action") or not doc.get("at"):
        raise ParseError("insa 감사 기록에 action과 at이 있어야 합니다")
    action = str(doc["action"])
    out: Event = {"@timestamp": _utc(parse_time(doc["at"])), "event.dataset": "insa.audit", "event.action": action,
                  "user.name": str(doc.get("actor") or "") or None}  # fmt: skip
    if action in AUTH_ACTIONS:
        out["event.category"], out["event.outcome"] = "authentication", AUTH_ACTIONS[action]
    else:
        out["event.category"], out["event.outcome"] = (
            "iam" if action.startswith("security.") else "configuration",
            "success",
        )
    if ip := _ip(doc.get("client_addr")):
        out["source.ip"] = ip
    if doc.get("target_type"):
        out["insa.target"] = f"{doc['target_type']}:{doc.get('target_id', '')}"
    return {k: v for k, v in out.items() if v is not None}


# -- firewall-style key=value --------------------------------------------------------------

KV_FIELDS = {
    "srcip": "source.ip", "src": "source.ip", "src_ip": "source.ip", "dstip": "destination.ip", "dst": "destination.ip",
    "dst_ip": "destination.ip", "srcport": "source.port", "spt": "source.port", "src_port": "source.port",
    "dstport": "destination.port", "dpt": "destination.port", "dst_port": "destination.port", "proto": "network.transport",
    "user": "user.name", "usrname": "user.name", "devname": "observer.name", "hostname": "url.domain",
    "url": "url.original", "qname": "dns.question.name", "query": "dns.question.name", "policyid": "rule.id",
    "msg": "event.reason",
}  # fmt: skip
DENY = {"deny", "denied", "drop", "dropped", "block", "blocked", "reject", "rejected", "close-deny"}
ALLOW = {"accept", "accepted", "allow", "allowed", "pass", "permit", "permitted", "close"}
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp"}
KV_PAIR = re.compile(r'(?<![^\s])([A-Za-z_][\w.\-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')


def kv(text: str, local: dt.tzinfo = dt.UTC) -> Event:
    """A firewall-style ``key=value`` line (FortiGate, iptables' ``SRC= DST=``, …) as ECS
    ``network`` fields; the keys it does not know are kept under ``kv.``. ``date``/``time``
    are in the line's ``tz`` (FortiGate's ``tz="+0900"``) or ``local``."""
    pairs = [
        (m[1], m[2][1:-1].replace('\\"', '"') if m[2].startswith('"') else m[2])
        for m in KV_PAIR.finditer(text)
    ]
    if len(pairs) < 2:
        raise ParseError("key=value 쌍이 둘 이상 있어야 합니다")
    out: Event = {"event.category": "network", "event.dataset": "firewall"}
    date = clock = None
    for key, value in pairs:
        k = key.lower()
        if k == "date":
            date = value
        elif k == "time":
            clock = value
        elif k in ("eventtime", "timestamp", "@timestamp"):
            out["@timestamp"] = _utc(_epoch(value) if value.isdigit() else parse_time(value))
        elif k == "action":
            out["event.action"] = value.lower()
            if value.lower() in DENY:
                out["event.outcome"], out["event.type"] = "failure", "denied"
            elif value.lower() in ALLOW:
                out["event.outcome"], out["event.type"] = "success", "allowed"
        elif k in KV_FIELDS:
            field = KV_FIELDS[k]
            if field.endswith(".ip"):
                if ip := _ip(value):
                    out[field] = ip
            elif field.endswith(".port"):
                if (port := _port(value)) is not None:
                    out[field] = port
            elif field == "network.transport":
                out[field] = PROTOCOLS.get(value, value.lower())
            else:
                out[field] = value
        else:
            out[f"kv.{k}"] = value
    if "@timestamp" not in out and date and clock:
        zone = local
        tz = str(out.get("kv.tz", ""))
        if m := re.fullmatch(r"([+-])(\d\d):?(\d\d)", tz):
            zone = dt.timezone(
                (1 if m[1] == "+" else -1) * dt.timedelta(hours=int(m[2]), minutes=int(m[3]))
            )
        try:
            at = dt.datetime.fromisoformat(f"{date}T{clock}")
        except ValueError:
            raise ParseError(f"date/time을 읽지 못했습니다: {date} {clock}") from None
        out["@timestamp"] = _utc(at if at.tzinfo else at.replace(tzinfo=zone))
    if "dns.question.name" in out:
        out["event.category"] = "network"
        out["event.dataset"] = "dns"
    return out


# -- dispatch ------------------------------------------------------------------------------


_UNEXPECTED = (
    ValueError,
    OverflowError,
    OSError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    RecursionError,
)


def from_line(
    line: str,
    ministry: str,
    received: dt.datetime,
    fmt: str | None = None,
    local: dt.tzinfo = dt.UTC,
) -> Event:
    """A raw line (a syslog message, or a bare line of the given format) as an event of
    ``ministry`` (``local``: the zone of times written without one). Whatever is wrong with
    it is a :class:`ParseError` (a dead letter), never another exception."""
    try:
        return _from_line(line, ministry, received, fmt, local)
    except ParseError:
        raise
    except _UNEXPECTED as exc:
        raise ParseError(f"줄을 읽지 못했습니다 ({type(exc).__name__}: {str(exc)[:100]})") from None


def _from_line(
    line: str, ministry: str, received: dt.datetime, fmt: str | None, local: dt.tzinfo
) -> Event:
    if len(line) > MAX_LINE:
        raise ParseError(f"한 줄이 너무 깁니다 ({len(line):,}자, 최대 {MAX_LINE:,}자)")
    line = line.rstrip("\r\n")
    if not line.strip():
        raise ParseError("빈 줄입니다")
    head: Event = {}
    msg = line
    if fmt in (None, "syslog") or (
        fmt in ("sshd", "kv") and (line.startswith("<") or RFC3164.match(line))
    ):
        try:
            head, msg = syslog(line, received, local)
        except ParseError:
            if fmt in (None, "syslog"):
                raise
    app = str(head.get("process.name", "")).lower()
    kind = fmt if fmt not in (None, "syslog") else None
    if kind is None:
        if app.startswith("sshd"):
            kind = "sshd"
        elif app in ("nginx", "apache", "httpd", "apache2") or COMBINED.match(msg):
            kind = "nginx"
        elif app == "insa" or msg.lstrip().startswith("{"):
            kind = "insa-audit"
        elif re.search(r"\b\w+=\S", msg) and msg.count("=") >= 2:
            kind = "kv"
    if kind == "sshd":
        body = sshd(msg)
    elif kind in ("nginx", "apache"):
        body = access(msg)
    elif kind == "insa-audit":
        body = insa_audit(msg)
    elif kind == "kv":
        body = kv(msg, local)
    elif kind is None:
        body = {"event.category": "host"}
    else:
        raise ParseError(f"알 수 없는 log.format입니다: {fmt} (가능: {', '.join(FORMATS)})")
    out: Event = {**head, **body}
    if "@timestamp" not in out:
        out["@timestamp"] = _utc(received)
    out["organization.id"] = ministry
    out["message"] = line
    if kind:
        out["log.format"] = kind
    return out


def from_object(doc: Mapping[str, Any], ministry: str | None, received: dt.datetime) -> Event:
    """A JSON line: a raw line with its ``log.format`` and ``message``, or an event already
    normalised (ECS dotted keys). ``ministry`` (a token's, a listener's) wins over the
    object's ``organization.id``; without one the object's is used (a replayed file).
    Whatever is wrong with it is a :class:`ParseError`."""
    try:
        return _from_object(doc, ministry, received)
    except ParseError:
        raise
    except _UNEXPECTED as exc:
        raise ParseError(
            f"이벤트를 읽지 못했습니다 ({type(exc).__name__}: {str(exc)[:100]})"
        ) from None


def _from_object(doc: Mapping[str, Any], ministry: str | None, received: dt.datetime) -> Event:
    org = ministry or doc.get("organization.id")
    if not org or not isinstance(org, str):
        raise ParseError("organization.id(부처)가 없습니다")
    if "message" in doc and doc.get("log.format"):
        received_at = parse_time(doc["@timestamp"]) if doc.get("@timestamp") else received
        out = _from_line(str(doc["message"]), org, received_at, str(doc["log.format"]), dt.UTC)
        if doc.get("@timestamp"):
            out["@timestamp"] = _utc(received_at)
        return out
    flat = _flatten(doc)
    if "@timestamp" not in flat:
        raise ParseError("@timestamp가 없습니다")
    flat["@timestamp"] = _utc(parse_time(flat["@timestamp"]))
    for key in ("source.ip", "destination.ip"):
        if key in flat and flat[key] is not None and _ip(str(flat[key])) is None:
            raise ParseError(f"{key}가 IP 주소가 아닙니다: {str(flat[key])[:40]}")
    for key in ("source.port", "destination.port"):
        if key in flat and flat[key] is not None:
            port = _port(flat[key])
            if port is None:
                raise ParseError(f"{key}가 0–65535의 포트 번호가 아닙니다: {str(flat[key])[:20]}")
            flat[key] = port
    if "http.response.status_code" in flat:
        try:
            status = int(flat["http.response.status_code"])
        except (TypeError, ValueError):
            raise ParseError("http.response.status_code가 숫자가 아닙니다") from None
        if not 100 <= status <= 999:
            raise ParseError(f"http.response.status_code가 HTTP 상태가 아닙니다: {status}")
        flat["http.response.status_code"] = status
    flat["organization.id"] = org
    if "message" not in flat:
        flat["message"] = orjson.dumps(doc, default=str).decode()[:MAX_LINE]
    return flat


def _flatten(doc: Mapping[str, Any], prefix: str = "") -> Event:
    """Nested ECS objects as dotted keys (``{"source": {"ip": …}}`` → ``source.ip``)."""
    out: Event = {}
    for k, v in doc.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and k != "labels":
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def logsources(event: Mapping[str, Any]) -> set[tuple[str | None, str | None, str | None]]:
    """The Sigma log sources (category, product, service) the event belongs to."""
    fmt = event.get("log.format")
    cat = event.get("event.category")
    out: set[tuple[str | None, str | None, str | None]] = set()
    if fmt == "sshd" or event.get("event.dataset") == "sshd":
        out |= {(None, "linux", "sshd"), (None, "linux", "auth"), (None, "linux", None)}
    if cat == "web" or fmt in ("nginx", "apache"):
        out.add(("webserver", None, None))
        if fmt in ("nginx", "apache"):
            out.add(("webserver", fmt, None))
    if cat == "authentication":
        out.add(("authentication", None, None))
    if fmt == "insa-audit" or event.get("event.dataset") == "insa.audit":
        out.add((None, "insa", "audit"))
    if cat == "network" or fmt == "kv":
        out.add(("firewall", None, None))
    if event.get("event.dataset") == "dns" or "dns.question.name" in event:
        out.add(("dns", None, None))
    if event.get("event.dataset") == "proxy" or (
        "url.domain" in event and fmt not in ("nginx", "apache")
    ):
        out.add(("proxy", None, None))
    return out
