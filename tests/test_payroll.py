from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from insa.people import payroll as pay
from insa.people.grades import GRADE_CODES
from insa.people.paytable import general_table
from insa.rules.income_tax import monthly_withholding


def one(
    grade: str = "G7",
    step: int = 10,
    hire: dt.date = dt.date(2015, 3, 2),
    family: int = 0,
    wfam: int = 1,
) -> pay.PayInputs:
    return pay.PayInputs(
        grade=np.array([GRADE_CODES.index(grade)], dtype=np.int8),
        step=np.array([step], dtype=np.int16),
        hire_ord=np.array([hire.toordinal()], dtype=np.int64),
        scs_annual=np.array([0], dtype=np.int64),
        overtime_hours=np.zeros((1, 12), dtype=np.int64),
        paid=np.ones((1, 12), dtype=bool),
        family_allowance=np.full((1, 12), family, dtype=np.int64),
        withholding_family=np.array([wfam], dtype=np.int64),
    )


def test_pay_table_anchors_are_exact_and_steps_rise() -> None:
    table, max_step, approximate = general_table(dt.date(2025, 1, 1))
    g9 = GRADE_CODES.index("G9")
    assert table[g9, 1] == 2_000_900 and table[g9, 10] == 2_456_700 and table[g9, 31] == 3_604_900
    assert table[GRADE_CODES.index("G1"), 23] == 7_730_800
    assert approximate is True
    for code, mx in max_step.items():
        row = table[GRADE_CODES.index(code), 1 : mx + 1]
        assert (np.diff(row) > 0).all(), code
        assert (row % 100 == 0).all()


def test_one_7th_grade_month_by_hand() -> None:
    cols = pay.compute(one(family=90_000, wfam=3), 2025)
    base = 3_027_300  # 7급 10호봉 (anchor)
    feb = {k: int(v[0, 1]) for k, v in cols.items()}  # February: no bonus month in 2025
    assert feb["base_pay"] == base
    assert feb["position_allowance"] == 180_000
    assert feb["longevity_allowance"] == 0 and feb["holiday_bonus"] == 0
    assert feb["longevity_bonus"] == 50_000  # 9 completed years on 1 Feb 2025 (hired 2015-03-02)
    assert int(cols["longevity_bonus"][0, 3]) == 60_000  # 10 years on 1 April
    assert feb["meal_allowance"] == 140_000 and feb["nontaxable_pay"] == 140_000
    # overtime: 10 flat hours × (7급 10호봉 × 55 % ÷ 209 × 1.5, won dropped)
    assert feb["overtime_allowance"] == 10 * (base * 55 * 1500 // (100 * 209 * 1000))
    assert feb["gross_pay"] == sum(feb[k] for k in pay.PAY_COLUMNS[:8])
    assert feb["taxable_pay"] == feb["gross_pay"] - 140_000
    assert feb["local_income_tax"] == feb["income_tax"] // 100 * 10
    assert feb["net_pay"] == feb["gross_pay"] - sum(
        feb[k]
        for k in (
            "income_tax",
            "local_income_tax",
            "pension_contribution",
            "health_insurance",
            "long_term_care",
        )
    )
    for k in ("pension_contribution", "health_insurance", "long_term_care", "income_tax"):
        assert feb[k] % 10 == 0 and feb[k] > 0, k


def test_bonus_months_and_longevity() -> None:
    cols = pay.compute(one(hire=dt.date(2020, 1, 1)), 2025)
    base = 3_027_300
    jan = cols["longevity_allowance"][0]
    assert jan[0] == jan[6] == base * 25 // 100  # 5 completed years on 1 January and 1 July → 25 %
    assert (jan[[1, 2, 3, 4, 5, 7, 8, 9, 10, 11]] == 0).all()
    assert cols["holiday_bonus"][0].nonzero()[0].tolist() == [0, 9]  # 설 29 Jan, 추석 6 Oct 2025
    assert cols["holiday_bonus"][0, 0] == base * 60 // 100


def test_months_off_payroll_are_zero_and_dtype_is_int64() -> None:
    inp = one()
    paid = np.ones((1, 12), dtype=bool)
    paid[0, 6:] = False
    inp = pay.PayInputs(**{**inp.__dict__, "paid": paid})
    cols = pay.compute(inp, 2025)
    for k, v in cols.items():
        assert v.dtype == np.int64, k
        assert (v[0, 6:] == 0).all(), k


@pytest.mark.parametrize("family", [1, 2, 4])
def test_withholding_falls_with_family_size(family: int) -> None:
    t = monthly_withholding(
        np.array([5_000_000]), np.array([400_000]), np.array([200_000]), np.array([family]), 2025
    )
    t_more = monthly_withholding(
        np.array([5_000_000]),
        np.array([400_000]),
        np.array([200_000]),
        np.array([family + 1]),
        2025,
    )
    assert t[0] > t_more[0] >= 0 and t[0] % 10 == 0
