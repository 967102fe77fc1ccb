"""Silences as Alertmanager's: matchers over a monitor's labels and a time span. Plain
functions, no I/O.

A matcher is ``label op value``: ``=`` equal, ``!=`` not equal, ``=~`` the value a regular
expression that must match the whole label (anchored, as Alertmanager anchors it), ``!~``
its negation. The labels of a monitor: ``monitor`` (its key, ``group/name``), ``name``,
``group`` and ``ministry`` (its agency code). Written as Alertmanager writes them:
``{group="공통 DB", ministry=~"MPM|MOLEG"}`` (the braces optional, values in double quotes
or bare words).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

LABELS = ("monitor", "name", "group", "ministry")
OPS = ("=", "!=", "=~", "!~")
LABEL_NAMES = {"monitor": "점검", "name": "이름", "group": "그룹", "ministry": "기관"}

_MATCHER = re.compile(
    r"\s*(?P<label>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=~|!~|!=|=)\s*"
    r'(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^,"{}\s][^,"{}]*?))\s*(?:,|$)'
)


class MatcherError(ValueError):
    pass


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise MatcherError(
                f"알 수 없는 항목 '{self.label}' (쓸 수 있는 것: {', '.join(LABELS)})"
            )
        if self.op not in OPS:
            raise MatcherError(f"알 수 없는 비교 '{self.op}' (=, !=, =~, !~)")
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise MatcherError(f"정규식이 올바르지 않습니다: {self.value} ({exc})") from None

    def matches(self, labels: Mapping[str, str]) -> bool:
        got = labels.get(self.label, "")
        if self.op == "=":
            return got == self.value
        if self.op == "!=":
            return got != self.value
        hit = re.fullmatch(self.value, got) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.label}{self.op}"{escaped}"'

    def as_list(self) -> list[str]:
        return [self.label, self.op, self.value]


def parse(text: str) -> tuple[Matcher, ...]:
    """``{group="공통 DB", ministry=~"MPM|MOLEG"}`` → matchers; MatcherError naming what is
    wrong. At least one matcher; a silence that matches everything must say so (``monitor=~".*"``)."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    out: list[Matcher] = []
    pos = 0
    body = body.strip()
    while pos < len(body):
        m = _MATCHER.match(body, pos)
        if m is None:
            raise MatcherError(
                f"조건을 읽을 수 없습니다: '{body[pos:].strip()}' (예: group=\"공통 DB\")"
            )
        value = m["quoted"] if m["quoted"] is not None else (m["bare"] or "").strip()
        if m["quoted"] is not None:
            value = re.sub(r"\\(.)", r"\1", value)
        out.append(Matcher(m["label"], m["op"], value))
        pos = m.end()
    if not out:
        raise MatcherError('조건이 하나 이상 필요합니다 (예: monitor="인사 민원")')
    return tuple(out)


def of_lists(rows: Iterable[Sequence[str]]) -> tuple[Matcher, ...]:
    return tuple(Matcher(str(r[0]), str(r[1]), str(r[2])) for r in rows)


def labels_of(key: str, name: str, group: str, ministry: str) -> dict[str, str]:
    return {"monitor": key, "name": name, "group": group, "ministry": ministry}


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: dt.datetime
    ends_at: dt.datetime
    kind: str = "silence"

    def active(self, at: dt.datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


def silencing(
    silences: Iterable[Silence], labels: Mapping[str, str], at: dt.datetime
) -> Silence | None:
    """The first active silence matching ``labels``, if any."""
    for s in silences:
        if s.active(at) and s.matches(labels):
            return s
    return None
