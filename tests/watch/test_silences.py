"""Silence matchers as Alertmanager writes and reads them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insa.watch import silences as sil

LABELS = sil.labels_of("공통/인사 DB", "인사 DB", "공통", "MPM")


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ('{group="공통"}', True),
        ('group="공통", ministry="MOLEG"', False),
        ('ministry=~"MPM|MOLEG"', True),
        ('ministry=~"MP"', False),  # anchored: the whole value
        ('name!="인사 DB"', False),
        ('monitor!~"공통/.*"', False),
        ("group=공통", True),  # a bare word
        ('name="a \\"quoted\\" one"', False),
    ],
)
def test_matchers_match_as_alertmanager_matches(text: str, hit: bool) -> None:
    assert all(m.matches(LABELS) for m in sil.parse(text)) is hit


@pytest.mark.parametrize("text", ["", "{}", 'team="x"', 'group=="x"', 'group=~"("', "group"])
def test_bad_matchers_are_refused_with_the_reason(text: str) -> None:
    with pytest.raises(sil.MatcherError):
        sil.parse(text)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_any_value_survives_writing_and_reading(value: str) -> None:
    m = sil.Matcher("name", "=", value)
    assert sil.parse(str(m)) == (m,)


def test_a_silence_is_active_in_its_span_only() -> None:
    t0 = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    s = sil.Silence("x", sil.parse('group="공통"'), t0, t0 + dt.timedelta(hours=1))
    assert sil.silencing([s], LABELS, t0 + dt.timedelta(minutes=5)) is s
    assert sil.silencing([s], LABELS, t0 + dt.timedelta(hours=1)) is None
    assert sil.silencing([s], LABELS, t0 - dt.timedelta(seconds=1)) is None
