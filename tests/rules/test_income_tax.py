from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from insa.rules import income_tax as core

ON = dt.date(2025, 12, 31)


def test_pwc_worked_example_up_to_the_earned_income_credit() -> None:
    """PwC tax summaries: salary 100M, spouse and two children (shared/rules/yearend.md)."""
    s = np.array(100_000_000)
    eid = core.earned_income_deduction(s, ON)
    assert eid == 14_750_000
    base = s - eid - 4 * 1_500_000
    assert base == 79_250_000
    tax = core.progressive_tax(base, ON)
    assert tax == 13_260_000
    assert core.earned_income_credit(tax, s, ON) == 500_000


def test_band_edges() -> None:
    s = np.array([0, 5_000_000, 15_000_000, 45_000_000, 100_000_000, 1_000_000_000])
    assert core.earned_income_deduction(s, ON).tolist() == [
        0,
        3_500_000,
        7_500_000,
        12_000_000,
        14_750_000,
        20_000_000,
    ]
    base = np.array([14_000_000, 14_000_001, 50_000_000, 1_000_000_001])
    assert core.progressive_tax(base, ON).tolist() == [840_000, 840_000, 6_240_000, 384_060_000]
    assert core.earned_income_credit(
        np.array([2_000_000]), np.array([30_000_000]), ON
    ).tolist() == [740_000]


@given(st.integers(0, 2_000_000_000))
def test_deduction_is_monotone_capped_and_integer(s: int) -> None:
    a = core.earned_income_deduction(np.array([s, s + 1]), ON)
    assert a.dtype == np.int64
    assert 0 <= a[0] <= a[1] <= 20_000_000
    assert a[0] <= s


@given(st.integers(-(10**9), 10**9), st.sampled_from([1, 10, 100]))
def test_truncation_goes_toward_zero(x: int, unit: int) -> None:
    t = int(core.truncate(np.array(x), unit))
    assert t % unit == 0 and abs(t) <= abs(x) and abs(x) - abs(t) < unit
    assert (t >= 0) == (x >= 0) or t == 0


def test_floats_are_refused() -> None:
    import pytest

    with pytest.raises(TypeError):
        core.earned_income_deduction(np.array([1.5]), ON)
