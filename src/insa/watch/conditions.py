"""Gatus's condition language, as Gatus evaluates it (config/endpoint/condition.go and
placeholder.go of TwiN/gatus v5): ``<left> <op> <right>`` with the operator found by
looking for `` == ``, `` != ``, `` <= ``, `` >= ``, `` > ``, `` < `` in that order;
placeholders ``[STATUS]``, ``[RESPONSE_TIME]`` (ms), ``[BODY]`` (JSONPath ``[BODY].a.b``,
``[BODY].items[0].name``), ``[CONNECTED]``, ``[CERTIFICATE_EXPIRATION]``,
``[DOMAIN_EXPIRATION]``, ``[DNS_RCODE]``, ``[IP]``; functions ``len()``, ``has()`` on a
placeholder and ``pat()`` (``*`` wildcards), ``any(a, b)`` on a value.

Ordering comparisons are numeric: a Go duration (``48h``) counts as milliseconds, otherwise an
integer (``0x1F`` and ``0o17`` too), otherwise a decimal number truncated, otherwise 0.
Equality compares integers as integers and everything else as text. Where Gatus turns a JSON
number into Go's ``%v`` text (``1e+06`` for a million, so ``[BODY].n == 1000000`` fails),
insa writes the number as JSON does; otherwise the results are Gatus's.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from typing import Any

from insa.watch.durations import format_ms, parse_ms

OPERATORS = ("==", "!=", "<=", ">=", ">", "<")  # looked for in this order, spaced
PLACEHOLDERS = ("[STATUS]", "[IP]", "[DNS_RCODE]", "[RESPONSE_TIME]", "[BODY]", "[CONNECTED]",
                "[CERTIFICATE_EXPIRATION]", "[DOMAIN_EXPIRATION]")  # fmt: skip
UNSUPPORTED = {"[CONTEXT]": "suites' [CONTEXT] is not supported (insa has no suites)"}
INVALID = "(INVALID)"
_TOKEN = re.compile(r"\[[A-Z_]+\]", re.IGNORECASE)


class ConditionError(ValueError):
    """A condition insa cannot run (the message says why)."""


@dataclass(frozen=True)
class Condition:
    text: str
    left: str
    operator: str
    right: str


@dataclass(frozen=True)
class Observation:
    """What one check saw, for its conditions."""

    status: int = 0
    ip: str = ""
    dns_rcode: str = ""
    response_time_ms: int = 0
    connected: bool = False
    certificate_expiration_ms: int = 0
    domain_expiration_ms: int = 0
    body: bytes = b""


@dataclass(frozen=True)
class Outcome:
    condition: str  # as shown: placeholders followed by what they resolved to
    ok: bool


def parse(text: str) -> Condition:
    """A condition, or :class:`ConditionError` naming what is wrong with it."""
    for op in OPERATORS:
        spaced = f" {op} "
        if spaced in text:
            left, right = text.split(spaced, 1)
            if spaced in right:  # Gatus takes the first two of the pieces and drops the rest
                raise ConditionError(f"조건이 올바르지 않습니다: {text} ('{op}'가 둘 이상입니다)")
            cond = Condition(text, left.strip(), op, right.strip())
            for side in (cond.left, cond.right):
                for token in _TOKEN.findall(side):
                    upper = token.upper()
                    if upper in UNSUPPORTED:
                        raise ConditionError(UNSUPPORTED[upper])
                    if upper not in PLACEHOLDERS:
                        raise ConditionError(f"알 수 없는 자리표시자 {token}: {text}")
            return cond
    raise ConditionError(
        f"조건이 올바르지 않습니다: {text} (앞뒤를 띄운 ==, !=, <, <=, >, >= 가 없습니다)"
    )


def uses(cond: Condition, placeholder: str) -> bool:
    return placeholder in (cond.left + " " + cond.right).upper()


def evaluate(cond: Condition, seen: Observation) -> Outcome:
    left, right = _resolve(cond.left, seen), _resolve(cond.right, seen)
    if cond.operator in ("==", "!="):
        equal = _equal(left, right)
        ok = equal if cond.operator == "==" else not equal
        return Outcome(_shown(cond, left, right), ok)
    a, b = _number(left), _number(right)
    ok = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[cond.operator]
    return Outcome(
        _shown(cond, _numeric_text(cond.left, a, left), _numeric_text(cond.right, b, right)), ok
    )


# ------------------------------------------------------------------ resolving


def _function(element: str) -> tuple[str, str]:
    for fn in ("len", "has"):
        if element.startswith(fn + "(") and element.endswith(")"):
            return fn, element[len(fn) + 1 : -1]
    return "", element


def _resolve(element: str, seen: Observation) -> str:
    fn, inner = _function(element.strip())
    upper = inner.upper()
    simple = {
        "[STATUS]": str(seen.status), "[IP]": seen.ip, "[DNS_RCODE]": seen.dns_rcode,
        "[RESPONSE_TIME]": str(seen.response_time_ms),
        "[CONNECTED]": "true" if seen.connected else "false",
        "[CERTIFICATE_EXPIRATION]": str(seen.certificate_expiration_ms),
        "[DOMAIN_EXPIRATION]": str(seen.domain_expiration_ms),
    }  # fmt: skip
    if upper in simple:
        value = simple[upper]
        return (
            str(len(value))
            if fn == "len"
            else ("true" if value else "false")
            if fn == "has"
            else value
        )
    if upper == "[BODY]":
        body = seen.body.decode("utf-8", "replace").strip()
        if fn == "has":
            return "true" if body else "false"
        if fn == "len":
            try:
                whole = json.loads(seen.body)
            except ValueError:
                return str(len(body))
            return str(len(whole)) if isinstance(whole, (list, str)) else str(len(body))
        return body
    if upper.startswith("[BODY].") or upper.startswith("[BODY]["):
        path = inner[len("[BODY]") :].removeprefix(".")
        try:
            value = _walk(path, json.loads(seen.body))
        except (ValueError, LookupError, TypeError):
            return "false" if fn == "has" else f"{element} {INVALID}"
        if fn == "has":
            return "true"
        if fn == "len":
            return str(len(value) if isinstance(value, (list, str)) else len(_text(value)))
        return _text(value)
    if fn == "has":
        return "false"
    if fn:
        return f"{element} {INVALID}"
    return element.strip()


_KEY = re.compile(r"([^.\[\]]*)((?:\[\d+\])*)")


def _walk(path: str, value: Any) -> Any:
    """``a.b[0].c`` through parsed JSON (LookupError or TypeError when it leads nowhere)."""
    if not path:
        return value
    for part in _split(path):
        m = _KEY.fullmatch(part)
        if m is None:
            raise LookupError(part)
        key, indexes = m.groups()
        if key:
            if not isinstance(value, dict):
                raise TypeError(part)
            value = value[key]
        for index in re.findall(r"\d+", indexes):
            if not isinstance(value, list):
                raise TypeError(part)
            value = value[int(index)]
    if value is None:
        raise LookupError(path)
    return value


def _split(path: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(path):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "." and depth == 0:
            parts.append(path[start:i])
            start = i + 1
    parts.append(path[start:])
    return parts


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, list):  # Go's %v of a list: [a b c]
        return "[" + " ".join(_text(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# ------------------------------------------------------------------ comparing


def _equal(a: str, b: str) -> bool:
    for x, y in ((a, b), (b, a)):
        if (
            x.startswith("pat(")
            and x.endswith(")")
            and not (y.startswith("pat(") and y.endswith(")"))
        ):
            pattern = x[4:-1]
            return pattern == "*" or fnmatch.fnmatchcase(
                y.replace("/", ""), pattern.replace("/", "")
            )
    for x, y in ((a, b), (b, a)):
        if (
            x.startswith("any(")
            and x.endswith(")")
            and not (y.startswith("any(") and y.endswith(")"))
        ):
            return any(option.strip() == y for option in x[4:-1].split(","))
    ia, ib = _int(a), _int(b)
    if ia is not None and ib is not None:
        return ia == ib
    return a == b


def _int(text: str) -> int | None:
    """An integer as Go's ``strconv.ParseInt(s, 0, 64)`` reads one (``0x``, ``0o``, ``0b``, a
    leading ``0`` for octal, ``_`` between digits after a prefix)."""
    s = text.strip()
    if not re.fullmatch(
        r"[+-]?(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9]*)", s
    ):
        return None
    body = s.lstrip("+-")
    sign = -1 if s.startswith("-") else 1
    try:
        if len(body) > 1 and body[0] == "0" and body[1] in "0123456789_":
            n = int(body[1:].replace("_", ""), 8)
        else:
            n = int(body, 0)
    except ValueError:
        return None
    n *= sign
    return n if -(2**63) <= n < 2**63 else None


def _number(text: str) -> int:
    ms = parse_ms(text)
    if ms:  # Gatus: a non-zero duration, in milliseconds
        return ms
    n = _int(text)
    if n is not None:
        return n
    try:
        return int(float(text))
    except (ValueError, OverflowError):
        return 0


def _numeric_text(element: str, number: int, resolved: str) -> str:
    upper = element.upper()
    if (
        upper in ("[CERTIFICATE_EXPIRATION]", "[DOMAIN_EXPIRATION]")
        or parse_ms(element) is not None
    ):
        return format_ms(number)
    return resolved if resolved.endswith(INVALID) else str(number)


def _shown(cond: Condition, left: str, right: str) -> str:
    def side(element: str, resolved: str) -> str:
        if resolved == element or resolved.endswith(INVALID):
            return resolved
        if len(resolved) > 25 and ("pat(" in cond.left or "pat(" in cond.right):
            resolved = resolved[:25] + "...(truncated)"
        return f"{element} ({resolved})"

    return f"{side(cond.left, left)} {cond.operator} {side(cond.right, right)}"
