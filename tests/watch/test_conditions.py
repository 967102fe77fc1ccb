"""Gatus's condition language, checked against Gatus's own scenarios (as data, from its
test suite) and properties of its operators."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insa.watch.conditions import ConditionError, Observation, evaluate, parse
from insa.watch.durations import parse_ms, parse_ns

CASES = json.loads((Path(__file__).parent / "data" / "gatus_conditions.json").read_text())["cases"]
# where insa answers on purpose otherwise than Gatus, and why
DIFFERENT: dict[str, str] = {}


def _seen(fields: dict[str, Any]) -> Observation:
    body = fields.pop("body", "")
    return Observation(body=body.encode(), **fields)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_gatus_scenarios(case: dict[str, Any]) -> None:
    if case["name"] in DIFFERENT:
        pytest.skip(DIFFERENT[case["name"]])
    outcome = evaluate(parse(case["condition"]), _seen(dict(case["seen"])))
    assert outcome.ok is case["ok"]
    if not case["ok"]:
        assert outcome.condition == case["shown"]


def test_there_are_enough_scenarios() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("[STATUS]==200", "조건이 올바르지 않습니다"),
        ("[STATUS] 200", "조건이 올바르지 않습니다"),
        ("[STAUS] == 200", "알 수 없는 자리표시자 [STAUS]"),
        ("[CONTEXT].token == x", "[CONTEXT]"),
        ("[STATUS] == 200 == 200", "둘 이상"),
    ],
)
def test_conditions_insa_cannot_run_are_named(text: str, why: str) -> None:
    with pytest.raises(ConditionError, match=why.replace("[", r"\[").replace("]", r"\]")):
        parse(text)


@pytest.mark.parametrize(
    ("text", "ms"),
    [("30s", 30_000), ("5m", 300_000), ("1h30m", 5_400_000), ("1.5h", 5_400_000), ("300ms", 300),
     ("0", 0), ("-2m", -120_000), ("48h", 172_800_000), ("2h45m10s", 9_910_000)],
)  # fmt: skip
def test_go_durations(text: str, ms: int) -> None:
    assert parse_ms(text) == ms


@pytest.mark.parametrize("text", ["", "s", "30", "5 m", "1d", "1h-5m", ".s", "m5"])
def test_not_go_durations(text: str) -> None:
    assert parse_ns(text) is None


@given(st.integers(0, 10**6), st.integers(0, 10**6))
def test_ordering_agrees_with_integers(a: int, b: int) -> None:
    seen = Observation(response_time_ms=a)
    for op, expected in (("<", a < b), ("<=", a <= b), (">", a > b), (">=", a >= b),
                         ("==", a == b), ("!=", a != b)):  # fmt: skip
        assert evaluate(parse(f"[RESPONSE_TIME] {op} {b}"), seen).ok is expected


@given(st.integers(1, 10**5))
def test_certificate_expiry_compares_with_durations(hours: int) -> None:
    seen = Observation(certificate_expiration_ms=hours * 3_600_000)
    assert evaluate(parse("[CERTIFICATE_EXPIRATION] > 48h"), seen).ok is (hours > 48)
