"""Sigma rules over the normalised events: rules are SigmaHQ-format YAML read with pySigma;
a processing pipeline maps the Sigma taxonomy's field names (``cs-method``, ``c-uri``,
``sc-status``, ``c-ip``, …) to the events' ECS names and fills the placeholders the centre
keeps (``%lookalike_domains%``: the look-alike cases' domains; ``%indicators_ip%`` …);
each rule's parsed condition is compiled to a Python predicate (an in-process evaluator:
Sigma's case-insensitive strings with wildcards, ``re``, ``cidr``, numbers and comparisons,
``exists``, ``null``, field references; keywords searched in the raw message); correlation
rules (``event_count``, ``value_count``, ``temporal``, ``temporal_ordered`` with
``group-by``, ``timespan`` and ``aliases``) are kept as sliding windows in event time.
Plain objects; the clock is the events'."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, cast

from insa.cyber.ecs import Event, event_time, logsources

Predicate = Callable[[Mapping[str, Any]], bool]

# the Sigma taxonomy's field names (web server, proxy, Linux) → the events' ECS names.
# ``cs-uri-query`` is the request's whole target (path and query), as SigmaHQ's web server
# rules use it (``cs-uri-query|endswith: '/mgmt/tm/util/bash'``), not W3C's query alone.
TAXONOMY: dict[str, str] = {
    "c-ip": "source.ip", "cs-method": "http.request.method", "cs-uri-query": "url.original", "cs-uri-stem": "url.path",
    "cs-username": "user.name", "cs-content-type": "http.request.mime_type",
    "cs-uri": "url.original", "c-uri": "url.original", "c-uri-query": "url.query", "c-uri-stem": "url.path",
    "c-uri-path": "url.path", "c-uri-extension": "url.extension", "sc-status": "http.response.status_code",
    "cs-user-agent": "user_agent.original", "c-useragent": "user_agent.original", "cs-referer": "http.request.referrer",
    "cs-referrer": "http.request.referrer", "cs-host": "url.domain", "r-dns": "url.domain", "cs-bytes": "http.request.bytes",
    "sc-bytes": "http.response.body.bytes", "cs-version": "http.version", "s-ip": "destination.ip",
    "dst_ip": "destination.ip", "src_ip": "source.ip", "dst_port": "destination.port", "src_port": "source.port",
    "query": "dns.question.name", "QueryName": "dns.question.name", "User": "user.name", "user": "user.name",
    "username": "user.name", "SourceIp": "source.ip", "DestinationIp": "destination.ip", "Hostname": "host.name",
    "ComputerName": "host.name", "pid": "process.pid", "Image": "process.executable", "CommandLine": "process.command_line",
}  # fmt: skip


PLACEHOLDERS = (
    "lookalike_domains",
    "indicators_ip",
    "indicators_domain",
    "indicators_hash",
)  # the centre's lists
EVERY_SOURCE = (None, "insa", "any")  # ``logsource: {product: insa, service: any}``: every event


MAPPING = cast(dict[str | None, str | list[str]], TAXONOMY)  # as pySigma's field mapping types it


class RuleError(ValueError):
    """A rule file that cannot be used (Korean, with the file)."""


@dataclass
class Rule:
    """A detection rule, compiled."""

    id: str
    name: str
    title: str
    level: str
    tags: list[str]
    logsource: tuple[str | None, str | None, str | None]
    match: Predicate
    path: str
    alerts: bool = True  # False: only feeds correlations (not ``generate``)
    anchors: frozenset[str] | None = None  # see :func:`anchors`

    def applies(self, sources: set[tuple[str | None, str | None, str | None]]) -> bool:
        want = self.logsource
        if want == EVERY_SOURCE:
            return True
        return (
            any(all(w is None or w == s for w, s in zip(want, src, strict=True)) for src in sources)
            if any(want)
            else True
        )


@dataclass
class Correlation:
    id: str
    name: str
    title: str
    level: str
    tags: list[str]
    kind: str  # event_count, value_count, temporal, temporal_ordered
    rules: list[str]  # ids of the rules (or correlations) it reads
    group_by: list[str]
    aliases: dict[str, dict[str, str]]  # alias → rule id → field
    seconds: int
    op: str  # gte, gt, lte, lt, eq, neq
    count: int
    fieldref: str | None
    path: str
    alerts: bool = True


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    correlations: list[Correlation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def by_id(self) -> dict[str, Rule | Correlation]:
        return {**{r.id: r for r in self.rules}, **{c.id: c for c in self.correlations}}


def shipped_dir() -> Path:
    return Path(str(resources.files("insa.cyber").joinpath("rules")))


# -- compiling a condition ------------------------------------------------------------------


def _string_matcher(value: Any, cased: bool, *, keyword: bool) -> Callable[[str], bool]:
    from sigma.types import SpecialChars

    parts = value.s
    if not any(isinstance(p, SpecialChars) for p in parts):
        text = "".join(str(p) for p in parts)
        if keyword:
            needle = text if cased else text.lower()
            return (lambda v: needle in v) if cased else (lambda v: needle in v.lower())
        if cased:
            return lambda v: v == text
        low = text.lower()
        return lambda v: v.lower() == low
    # simple shapes first: *x*, x*, *x
    plain = [p for p in parts if not isinstance(p, SpecialChars)]
    specials = [p for p in parts if isinstance(p, SpecialChars)]
    if all(s == SpecialChars.WILDCARD_MULTI for s in specials) and len(plain) == 1:
        text = str(plain[0]) if cased else str(plain[0]).lower()
        head, tail = isinstance(parts[0], SpecialChars), isinstance(parts[-1], SpecialChars)

        def norm(v: str) -> str:
            return v if cased else v.lower()

        if head and tail:
            return lambda v: text in norm(v)
        if tail and not keyword:
            return lambda v: norm(v).startswith(text)
        if head and not keyword:
            return lambda v: norm(v).endswith(text)
    pattern = "".join(
        ".*" if p == SpecialChars.WILDCARD_MULTI else "." if p == SpecialChars.WILDCARD_SINGLE
        else re.escape(str(p)) if not isinstance(p, SpecialChars) else "" for p in parts
    )  # fmt: skip
    rx = re.compile(pattern, re.S | (0 if cased else re.I))
    return (
        (lambda v: rx.search(v) is not None) if keyword else (lambda v: rx.fullmatch(v) is not None)
    )


def _value_test(value: Any) -> Callable[[Any, Mapping[str, Any]], bool]:
    """A test of one field's value against a Sigma value."""
    from sigma.types import (
        SigmaBool,
        SigmaCasedString,
        SigmaCIDRExpression,
        SigmaCompareExpression,
        SigmaExists,
        SigmaFieldReference,
        SigmaNull,
        SigmaNumber,
        SigmaRegularExpression,
        SigmaString,
    )

    if isinstance(value, SigmaString):
        m = _string_matcher(value, isinstance(value, SigmaCasedString), keyword=False)
        return lambda v, e: v is not None and not isinstance(v, list | dict) and m(str(v))
    if isinstance(value, SigmaNumber):
        n = value.number

        def num(v: Any, e: Mapping[str, Any]) -> bool:
            if isinstance(v, bool) or v is None:
                return False
            try:
                return float(v) == float(n)
            except (TypeError, ValueError):
                return False

        return num
    if isinstance(value, SigmaRegularExpression):
        value.compile()  # pySigma's check: a broken expression is the rule's error
        flags = 0
        for flag in value.flags:
            flags |= value.sigma_to_python_flags[flag]
        rx = re.compile(str(value.regexp), flags)
        return lambda v, e: v is not None and rx.search(str(v)) is not None
    if isinstance(value, SigmaCIDRExpression):
        net = value.network

        def cidr(v: Any, e: Mapping[str, Any]) -> bool:
            try:
                return v is not None and ipaddress.ip_address(str(v)) in net
            except ValueError:
                return False

        return cidr
    if isinstance(value, SigmaCompareExpression):
        op, n = value.op.name, float(value.number.number)
        ops: dict[str, Callable[[float], bool]] = {"LT": lambda x: x < n, "LTE": lambda x: x <= n, "GT": lambda x: x > n,
                                                   "GTE": lambda x: x >= n, "NEQ": lambda x: x != n}  # fmt: skip
        f = ops[op]

        def cmp(v: Any, e: Mapping[str, Any]) -> bool:
            try:
                return v is not None and not isinstance(v, bool) and f(float(v))
            except (TypeError, ValueError):
                return False

        return cmp
    if isinstance(value, SigmaNull):
        return lambda v, e: v is None
    if isinstance(value, SigmaBool):
        b = value.boolean
        return lambda v, e: v is b or (isinstance(v, str) and v.lower() == str(b).lower())
    if isinstance(value, SigmaFieldReference):
        other = TAXONOMY.get(value.field, value.field)
        return lambda v, e: (
            v is not None
            and e.get(other) is not None
            and str(v).lower() == str(e.get(other)).lower()
        )
    if isinstance(value, SigmaExists):  # handled by the caller (needs presence, not value)
        raise AssertionError
    raise RuleError(f"지원하지 않는 Sigma 값입니다: {type(value).__name__}")


def compile_condition(node: Any) -> Predicate:
    """A predicate over an event for pySigma's parsed condition tree."""
    from sigma.conditions import (
        ConditionAND,
        ConditionFieldEqualsValueExpression,
        ConditionNOT,
        ConditionOR,
        ConditionValueExpression,
    )
    from sigma.types import SigmaCasedString, SigmaExists, SigmaExpansion, SigmaNull, SigmaString

    if isinstance(node, ConditionAND):
        parts = [compile_condition(a) for a in node.args]
        return lambda e: all(p(e) for p in parts)
    if isinstance(node, ConditionOR):
        # many exact strings on one field (an indicator list, an expanded placeholder): one set
        exact: dict[str, set[str]] = defaultdict(set)
        rest = []
        for a in node.args:
            if (isinstance(a, ConditionFieldEqualsValueExpression) and type(a.value) is SigmaString
                    and not a.value.contains_special()):  # fmt: skip
                exact[a.field].add(
                    "".join(str(p) for p in a.value.s).lower()
                )  # not to_plain(): it re-escapes ? and *
            else:
                rest.append(compile_condition(a))
        sets = [(f, frozenset(vs)) for f, vs in exact.items()]

        def any_of(e: Mapping[str, Any]) -> bool:
            for f, vs in sets:
                v = e.get(f)
                if v is not None and not isinstance(v, list | dict) and str(v).lower() in vs:
                    return True
            return any(p(e) for p in rest)

        return any_of
    if isinstance(node, ConditionNOT):
        inner = compile_condition(node.args[0])
        return lambda e: not inner(e)
    if isinstance(
        node, ConditionFieldEqualsValueExpression | ConditionValueExpression
    ) and isinstance(node.value, SigmaExpansion):
        # |windash, |base64offset …: any of the values pySigma expanded
        subs = [compile_condition(type(node)(node.field, v) if isinstance(node, ConditionFieldEqualsValueExpression)
                                  else ConditionValueExpression(v)) for v in node.value.values]  # fmt: skip
        return lambda e: any(p(e) for p in subs)
    if isinstance(node, ConditionFieldEqualsValueExpression):
        name = node.field
        if isinstance(node.value, SigmaExists):
            want = node.value.exists
            return lambda e: (e.get(name) is not None) == want
        if isinstance(node.value, SigmaNull):
            return lambda e: e.get(name) is None
        test = _value_test(node.value)
        return lambda e: test(e.get(name), e)
    if isinstance(node, ConditionValueExpression):  # a keyword: searched in the raw message
        if isinstance(node.value, SigmaString):
            m = _string_matcher(node.value, isinstance(node.value, SigmaCasedString), keyword=True)
            return lambda e: m(str(e.get("message", "")))
        test = _value_test(node.value)
        return lambda e: test(e.get("message"), e)
    raise RuleError(f"지원하지 않는 조건입니다: {type(node).__name__}")


MIN_ANCHOR = 3  # a literal shorter than this tells too little to be worth looking for
MAX_WINDOWS = (
    100_000  # correlation groups kept at once (the quietest forgotten first: memory bounded)
)
PREFILTER_FROM = (
    8  # fewer rules than this for a log source: asking each is cheaper than the prefilter
)


def anchors(node: Any) -> frozenset[str] | None:
    """Literals (lower case) one of which must appear in an event's text — its raw message
    and its values — for the condition to hold; None when there is no such set (a
    negation, a number, a regular expression, a literal too short). The prefilter: a rule
    is evaluated only for events whose text holds one of its anchors."""
    from sigma.conditions import (
        ConditionAND,
        ConditionFieldEqualsValueExpression,
        ConditionOR,
        ConditionValueExpression,
    )
    from sigma.types import SigmaExpansion

    if isinstance(node, ConditionAND):
        best: frozenset[str] | None = None
        for a in node.args:
            got = anchors(a)
            if got is not None and (best is None or min(map(len, got)) > min(map(len, best))):
                best = got
        return best
    if isinstance(node, ConditionOR):
        out: set[str] = set()
        for a in node.args:
            got = anchors(a)
            if got is None:
                return None
            out |= got
        return frozenset(out) if out else None
    if isinstance(
        node, ConditionFieldEqualsValueExpression | ConditionValueExpression
    ) and isinstance(node.value, SigmaExpansion):
        found: set[str] = set()
        for v in node.value.values:
            literal = _string_anchor(v)
            if literal is None:
                return None
            found.add(literal)
        return frozenset(found) if found else None
    if isinstance(node, ConditionFieldEqualsValueExpression | ConditionValueExpression):
        one = _string_anchor(node.value)
        return frozenset({one}) if one is not None else None
    return None


def _string_anchor(value: Any) -> str | None:
    """A Sigma string's longest literal part, case-folded (None: too short, or no string)."""
    from sigma.types import SigmaString, SpecialChars

    if not isinstance(value, SigmaString):
        return None
    plain = [str(p) for p in value.s if not isinstance(p, SpecialChars)]
    longest = max(plain, key=len, default="").casefold()
    return longest if len(longest) >= MIN_ANCHOR else None


# -- loading -------------------------------------------------------------------------------


def pipeline(placeholders: Mapping[str, Sequence[str]] | None = None) -> Any:
    """insa's processing pipeline: the Sigma taxonomy's names to ECS, and the placeholders
    filled from the centre's lists (an empty list matches nothing)."""
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import (
        FieldMappingTransformation,
        ValueListPlaceholderTransformation,
    )

    given = {**{k: [] for k in PLACEHOLDERS}, **(placeholders or {})}
    vars_ = {k: list(v) or ["\u0000none\u0000"] for k, v in given.items()}
    return ProcessingPipeline(name="insa ECS", priority=20, items=[
        ProcessingItem(FieldMappingTransformation(MAPPING), identifier="insa_taxonomy"),
        ProcessingItem(ValueListPlaceholderTransformation(), identifier="insa_placeholders"),
    ], vars=vars_)  # fmt: skip


def _files(folders: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        if folder.is_file():
            out.append(folder)
        elif folder.is_dir():
            out += sorted(
                p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file()
            )
        else:
            raise RuleError(f"규칙 폴더가 없습니다: {folder}")
    return out


def load(
    folders: Iterable[Path], placeholders: Mapping[str, Sequence[str]] | None = None
) -> RuleSet:
    """Every rule in the folders (``.yml``/``.yaml``, recursively), each compiled; a file that
    cannot be read or a rule that cannot be compiled is named in ``problems`` (the rest run)."""
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.exceptions import SigmaError
    from sigma.rule import SigmaRule
    from yaml import YAMLError

    out = RuleSet()
    docs: list[tuple[Any, Path]] = []
    for path in _files(folders):
        try:
            coll = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True,
                                            resolve_references=False)  # fmt: skip
        except YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            out.problems.append(
                f"{path}:{mark.line + 1 if mark else '?'}: YAML을 읽지 못했습니다 ({getattr(exc, 'problem', exc)})"
            )
            continue
        except (SigmaError, ValueError, OSError) as exc:
            out.problems.append(f"{path}: {exc}")
            continue
        for r in coll.rules:
            if r.errors:
                out.problems.append(f"{path}: {r.errors[0]}")
                continue
            docs.append((r, path))
    if not docs:
        return out
    try:
        coll = SigmaCollection([r for r, _ in docs])
        coll.resolve_rule_references()
    except SigmaError as exc:
        out.problems.append(f"규칙 참조: {exc}")
        return out
    where = {id(r): p for r, p in docs}
    names: dict[str, str] = {}
    for r, _p in docs:
        rid = str(r.id or r.name or r.title)
        names[rid] = rid
        if r.name:
            names[str(r.name)] = rid
    referenced: dict[str, bool] = {}  # rule id → some correlation lets it alert (generate)
    pipe = pipeline(placeholders)
    for r, _path in docs:
        if isinstance(r, SigmaCorrelationRule):
            for ref in r.rules or []:
                rid = (
                    str(ref.rule.id or ref.rule.name)
                    if hasattr(ref.rule, "id")
                    else str(ref.reference)
                )
                referenced[rid] = referenced.get(rid, False) or bool(getattr(r, "generate", False))
    for r, path in docs:
        try:
            if isinstance(r, SigmaRule):
                pipe.apply(r)
                trees = [c.parsed for c in r.detection.parsed_condition]
                preds = [compile_condition(t) for t in trees]
                match = preds[0] if len(preds) == 1 else (lambda e, ps=preds: any(p(e) for p in ps))
                found_anchors = [anchors(t) for t in trees]
                anchor = (
                    None
                    if any(a is None for a in found_anchors)
                    else frozenset(w for a in found_anchors for w in a or ())
                )
                rid = str(r.id or r.name or r.title)
                ls = r.logsource
                out.rules.append(Rule(rid, r.name or rid, r.title, str(r.level.name.lower() if r.level else "medium"),
                                      [str(t) for t in r.tags], (ls.category, ls.product, ls.service), match,
                                      str(where[id(r)]), alerts=referenced.get(rid, True), anchors=anchor))  # fmt: skip
            elif isinstance(r, SigmaCorrelationRule):
                out.correlations.append(_correlation(r, str(where[id(r)]), referenced, names))
        except (SigmaError, RuleError, ValueError) as exc:
            out.problems.append(f"{path}: {r.title}: {exc}")
        except Exception as exc:  # noqa: BLE001 — a rule this evaluator cannot take is named, the rest run
            out.problems.append(
                f"{path}: {r.title}: 이 규칙을 쓸 수 없습니다 ({type(exc).__name__}: {exc})"
            )
    return out


STREAM_OPS = (
    "gte",
    "gt",
    "eq",
)  # conditions a stream can decide as hits arrive (lt/lte/neq need the window's end)


def _correlation(
    r: Any, path: str, referenced: Mapping[str, bool], names: Mapping[str, str]
) -> Correlation:
    """A parsed correlation rule; ``names``: a rule's name or id → its id (the aliases name
    rules by either)."""
    rid = str(r.id or r.name or r.title)
    refs = [str(x.rule.id or x.rule.name) for x in r.rules]
    aliases: dict[str, dict[str, str]] = {}
    for alias in getattr(r.aliases, "aliases", {}).values() if r.aliases else []:
        mapping: dict[str, str] = {}
        for k, v in alias.mapping.items():
            ref = str(getattr(k, "reference", k))
            mapping[names.get(ref, ref)] = TAXONOMY.get(v, v)
        aliases[alias.alias] = mapping
    cond = r.condition
    op = cond.op.name.lower() if cond else "gte"
    kind = r.type.name.lower()
    if kind in ("event_count", "value_count") and op not in STREAM_OPS:
        raise RuleError(
            f"조건 {op}는 스트림에서 판정할 수 없습니다 (gte, gt, eq만): 창이 끝나야 알 수 있는 조건입니다"
        )
    field_ref = cond.fieldref if cond and cond.fieldref else None
    return Correlation(rid, r.name or rid, r.title, str(r.level.name.lower() if r.level else "medium"),
                       [str(t) for t in r.tags], kind, refs,
                       [g if g in aliases else TAXONOMY.get(g, g) for g in r.group_by or []], aliases,
                       int(r.timespan.seconds), op, int(cond.count) if cond else 1,
                       (field_ref if field_ref in aliases else TAXONOMY.get(field_ref, field_ref)) if field_ref else None,
                       path, alerts=referenced.get(rid, True))  # fmt: skip


# -- matching and correlating ------------------------------------------------------------


@dataclass
class Alert:
    rule: str
    title: str
    level: str
    tags: list[str]
    at: dt.datetime
    events: list[Ev]  # the events behind it: (sequence number, ministry)
    ministries: set[str]
    sources: set[str]
    group: tuple[Any, ...] = ()
    correlation: bool = False
    first: dt.datetime | None = None  # the earliest event behind it (a correlation's window)
    continued: bool = False  # more events of a correlation that has already alerted in its window

    @property
    def since(self) -> dt.datetime:
        return self.first or self.at


Ev = tuple[int, str]  # an event as alerts refer to it: its sequence number and its ministry


@dataclass
class _Hit:
    at: dt.datetime
    rule: str
    events: list[Ev]
    values: Mapping[str, Any]  # the fields a correlation may group by
    ministries: set[str]
    sources: set[str]


OPS: dict[str, Callable[[int, int], bool]] = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b,
    "lte": lambda a, b: a <= b, "lt": lambda a, b: a < b, "eq": lambda a, b: a == b, "neq": lambda a, b: a != b}  # fmt: skip


class _Plan:
    """The rules of one combination of log sources, with one Aho–Corasick automaton over
    their anchors (pyahocorasick)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.always = [r for r in rules if r.anchors is None]
        self.automaton: Any = None
        words: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rules):
            for w in r.anchors or ():
                words[w].append(i)
        if words and len(rules) > PREFILTER_FROM:
            import ahocorasick

            a = ahocorasick.Automaton()
            for w, ids in words.items():
                a.add_word(w, tuple(ids))
            a.make_automaton()
            self.automaton = a


class Engine:
    """The rules over a stream of events in time order (the events' own clock): each
    event's matches, and the correlations they complete, as alerts."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._readers: dict[str, list[Correlation]] = defaultdict(list)
        for c in rules.correlations:
            for ref in c.rules:
                self._readers[ref].append(c)
        # a window a correlation group, the least recently touched first (evicted past MAX_WINDOWS)
        self._windows: OrderedDict[tuple[str, tuple[Any, ...]], _Window] = OrderedDict()
        self.evicted = 0
        self._fired: dict[tuple[str, tuple[Any, ...]], dt.datetime] = {}
        self.hits: dict[str, int] = defaultdict(int)
        self._fed = 0
        self.last: dict[str, dt.datetime] = {}
        self._by_source: dict[frozenset[tuple[str | None, str | None, str | None]], _Plan] = {}

    def _rules_for(self, event: Mapping[str, Any]) -> list[Rule]:
        """The rules of the event's log sources whose anchors its text holds (and those
        without anchors), in the rule set's order."""
        key = frozenset(logsources(event))
        plan = self._by_source.get(key)
        if plan is None:
            plan = self._by_source[key] = _Plan(
                [r for r in self.rules.rules if r.applies(set(key))]
            )
        if plan.automaton is None:
            return plan.rules
        text = "\n".join([str(v) for v in event.values()]).casefold()
        hit = {i for _, ids in plan.automaton.iter(text) for i in ids}
        if not hit:
            return plan.always
        return [r for i, r in enumerate(plan.rules) if i in hit or r.anchors is None]

    def feed(self, seq: int, event: Event, at: dt.datetime | None = None) -> list[Alert]:
        """The alerts ``event`` raises (``at``: its time, when the caller has it parsed)."""
        out: list[Alert] = []
        at = at or event_time(event)
        self._fed += 1
        if self._fed % 10_000 == 0:
            self.sweep(at)
        for rule in self._rules_for(event):
            try:
                matched = rule.match(event)
            except (TypeError, ValueError):
                matched = False
            if not matched:
                continue
            self.hits[rule.id] += 1
            self.last[rule.id] = at
            ministry = str(event.get("organization.id", ""))
            sources = {str(event["source.ip"])} if event.get("source.ip") else set()
            if rule.alerts:
                out.append(
                    Alert(
                        rule.id,
                        rule.title,
                        rule.level,
                        rule.tags,
                        at,
                        [(seq, ministry)],
                        {ministry},
                        sources,
                    )
                )
            out += self._correlate(_Hit(at, rule.id, [(seq, ministry)], event, {ministry}, sources))
        return out

    def _group(self, c: Correlation, hit: _Hit) -> tuple[Any, ...]:
        key = []
        for g in c.group_by:
            f = c.aliases.get(g, {}).get(hit.rule, g)
            key.append(hit.values.get(f))
        return tuple(key)

    def _value(self, c: Correlation, hit: _Hit) -> Any:
        """What a window counts for ``hit``: the field's value (value_count), the rule
        (temporal), nothing (event_count)."""
        if c.kind == "value_count":
            f = c.fieldref or ""
            v = hit.values.get(c.aliases.get(f, {}).get(hit.rule, f))
            return None if v is None else str(v)
        if c.kind in ("temporal", "temporal_ordered"):
            return hit.rule
        return None

    def _correlate(self, hit: _Hit) -> list[Alert]:
        out: list[Alert] = []
        for c in self._readers.get(hit.rule, []):
            group = self._group(c, hit)
            if any(v is None for v in group):
                continue
            key = (c.id, group)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window()
                if (
                    len(self._windows) > MAX_WINDOWS
                ):  # memory stays bounded: the quietest group goes
                    self._windows.popitem(last=False)
                    self.evicted += 1
            else:
                self._windows.move_to_end(key)
            # the window keeps what it needs of the hit, not the event (memory: one window a group)
            window.add(
                _Hit(hit.at, hit.rule, hit.events, _NO_VALUES, hit.ministries, hit.sources),
                self._value(c, hit),
                c.seconds,
            )
            fired = self._fired.get(key)
            if fired is not None and (hit.at - fired).total_seconds() <= c.seconds:
                # one alert a window for a group; the events that go on arriving belong to it
                self._fired[key] = hit.at
                if c.alerts:
                    out.append(Alert(c.id, c.title, c.level, c.tags, hit.at, list(hit.events), set(hit.ministries),
                                     set(hit.sources), group, True, continued=True))  # fmt: skip
                if self._readers.get(c.id) and self._met(
                    c, window
                ):  # the correlations reading this one still hear it
                    values = dict(zip(c.group_by, group, strict=True))
                    out += self._correlate(
                        _Hit(
                            hit.at,
                            c.id,
                            list(hit.events),
                            values,
                            set(hit.ministries),
                            set(hit.sources),
                        )
                    )
                continue
            if not self._met(c, window):
                continue
            self._fired[key] = hit.at
            self.hits[c.id] += 1
            self.last[c.id] = hit.at
            events = sorted({ev for h in window.hits for ev in h.events})
            ministries = set().union(*(h.ministries for h in window.hits))
            sources = set().union(*(h.sources for h in window.hits))
            values = dict(zip(c.group_by, group, strict=True))
            if c.alerts:
                out.append(Alert(c.id, c.title, c.level, c.tags, hit.at, events, ministries, sources, group, True,
                                 first=window.hits[0].at))  # fmt: skip
            out += self._correlate(_Hit(hit.at, c.id, events, values, ministries, sources))
        return out

    def sweep(self, now: dt.datetime) -> None:
        """Forget the windows and the alerts of groups quiet for longer than their timespan
        (memory stays bounded however many addresses come and go)."""
        spans = {c.id: c.seconds for c in self.rules.correlations}
        for key in [
            k
            for k, w in self._windows.items()
            if (now - w.hits[-1].at).total_seconds() > spans.get(k[0], 0)
        ]:
            del self._windows[key]
        for key in [
            k for k, at in self._fired.items() if (now - at).total_seconds() > spans.get(k[0], 0)
        ]:
            del self._fired[key]

    def _met(self, c: Correlation, window: _Window) -> bool:
        if c.kind == "event_count":
            return OPS[c.op](len(window.hits), c.count)
        if c.kind == "value_count":
            return OPS[c.op](len(window.counts), c.count)
        if c.kind == "temporal":  # every referenced rule within the timespan
            return all(r in window.counts for r in c.rules)
        if c.kind == "temporal_ordered":
            i = 0  # each referenced rule after the one before it
            for h in window.hits:
                if i < len(c.rules) and h.rule == c.rules[i]:
                    i += 1
            return i == len(c.rules)
        raise RuleError(f"지원하지 않는 상관 규칙 유형입니다: {c.kind}")


_NO_VALUES: Mapping[str, Any] = {}


class _Window:
    """A correlation's hits for one group within its timespan, with what they count kept as
    they come and go (so a check is O(1))."""

    __slots__ = ("hits", "values", "counts")

    def __init__(self) -> None:
        self.hits: deque[_Hit] = deque()
        self.values: deque[Any] = deque()
        self.counts: dict[Any, int] = {}

    def add(self, hit: _Hit, value: Any, seconds: int) -> None:
        self.hits.append(hit)
        self.values.append(value)
        if value is not None:
            self.counts[value] = self.counts.get(value, 0) + 1
        while self.hits and (hit.at - self.hits[0].at).total_seconds() > seconds:
            self.hits.popleft()
            old = self.values.popleft()
            if old is not None:
                left = self.counts[old] - 1
                if left:
                    self.counts[old] = left
                else:
                    del self.counts[old]
