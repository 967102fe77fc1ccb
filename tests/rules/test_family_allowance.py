from __future__ import annotations

import datetime as dt

import numpy as np

from insa.rules.dates import ages_by_month
from insa.rules.family_allowance import REL, DependentArrays, monthly_amounts


def deps(
    rows: list[tuple[int, str, dt.date, bool, bool, dt.date | None, dt.date | None]],
) -> DependentArrays:
    return DependentArrays(
        employee=np.array([r[0] for r in rows], dtype=np.int64),
        relation=np.array([REL[r[1]] for r in rows], dtype=np.int8),
        birth_ord=np.array([r[2].toordinal() for r in rows], dtype=np.int64),
        female=np.array([r[3] for r in rows], dtype=bool),
        disabled=np.array([r[4] for r in rows], dtype=bool),
        claim_from=np.array([r[5].toordinal() if r[5] else 0 for r in rows], dtype=np.int64),
        claim_until=np.array([r[6].toordinal() if r[6] else 0 for r in rows], dtype=np.int64),
    )


D = dt.date
START = D(2020, 1, 1)


def test_spouse_and_three_children_by_birth_order() -> None:
    d = deps([
        (0, "child", D(2015, 5, 1), False, False, START, None),
        (0, "spouse", D(1985, 1, 1), True, False, START, None),
        (0, "child", D(2010, 5, 1), True, False, START, None),
        (0, "child", D(2018, 5, 1), True, False, START, None),
    ])  # fmt: skip
    total, per = monthly_amounts(d, 1, 2025, enforce_eligibility=True)
    assert total[0].tolist() == [40_000 + 50_000 + 80_000 + 120_000] * 12
    assert per[:, 0].tolist() == [80_000, 40_000, 50_000, 120_000]


def test_cap_of_four_pays_children_beyond_it_and_the_spouse_first() -> None:
    d = deps([
        (0, "parent", D(1950, 1, 1), False, False, START, None),
        (0, "spouse", D(1985, 1, 1), True, False, START, None),
        (0, "child", D(2012, 1, 1), True, False, START, None),
        (0, "child", D(2014, 1, 1), True, False, START, None),
        (0, "child", D(2016, 1, 1), True, False, START, None),
    ])  # fmt: skip
    total, per = monthly_amounts(d, 1, 2025, enforce_eligibility=True)
    # 3 children count toward the 4, leaving room for one more: the spouse, not the parent
    assert per[:, 0].tolist() == [0, 40_000, 50_000, 80_000, 120_000]
    assert total[0, 0] == 290_000


def test_child_turning_19_stops_when_eligibility_is_enforced_but_was_paid_by_claim() -> None:
    d = deps([(0, "child", D(2006, 7, 15), False, False, START, None)])
    due, _ = monthly_amounts(d, 1, 2025, enforce_eligibility=True)
    paid, _ = monthly_amounts(d, 1, 2025, enforce_eligibility=False)
    assert due[0].tolist() == [50_000] * 7 + [0] * 5  # 19 on 15 July: August on nothing due
    assert paid[0].tolist() == [50_000] * 12


def test_birth_order_counts_only_children_under_19() -> None:
    d = deps([
        (0, "child", D(2004, 1, 1), False, True, START, None),  # disabled adult child
        (0, "child", D(2012, 1, 1), False, False, START, None),
    ])  # fmt: skip
    _, per = monthly_amounts(d, 1, 2025, enforce_eligibility=True)
    assert per[:, 0].tolist() == [20_000, 50_000]


def test_claim_period_and_ascendant_ages() -> None:
    d = deps([
        (0, "parent", D(1968, 3, 10), True, False, D(2025, 3, 1), D(2025, 10, 31)),  # mother 55 in March 2023
        (1, "parent", D(1966, 6, 1), False, False, START, None),  # father turns 60 on 1 June 2026
    ])  # fmt: skip
    total, _ = monthly_amounts(d, 2, 2025, enforce_eligibility=True)
    assert total[0].tolist() == [0, 0] + [20_000] * 8 + [0, 0]
    assert total[1].tolist() == [0] * 12


def test_ages_by_month_counts_birthdays() -> None:
    a = ages_by_month(np.array([D(2000, 2, 29).toordinal()]), 2025)
    assert a[0, 1] == 24 and a[0, 2] == 25  # 1 Feb: 24; 1 Mar: 25
