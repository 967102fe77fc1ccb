"""Year-end settlement: published examples, hand-computed rules, and vector = scalar."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insa.yearend.engine import columns_from_cases, settle
from insa.yearend.scalar import compute
from insa.yearend.schemas import Case


def case(**over: Any) -> Case:
    base: dict[str, Any] = {
        "id": "t", "tax_year": 2025, "taxpayer": {"birth_date": "1980-05-01"}, "wages": {"total_salary": 50_000_000},
    }  # fmt: skip
    base.update(over)
    return Case.model_validate(base)


def both(c: Case) -> dict[str, Any]:
    """The scalar result, after checking the vectorised engine gives the same amounts."""
    s = compute(c)
    v = settle(columns_from_cases([c]))
    for key, col in v.items():
        if key in s:
            assert int(col[0]) == s[key], key
    return s


@pytest.mark.parametrize(
    ("year", "child", "determined", "local"),
    [(2024, 350_000, 12_280_000, 1_228_000), (2025, 550_000, 12_080_000, 1_208_000)],
)
def test_pwc_worked_example(year: int, child: int, determined: int, local: int) -> None:
    """PwC Worldwide Tax Summaries, Korea: 100M salary, spouse without income, two children 8–20."""
    r = both(case(
        tax_year=year, wages={"total_salary": 100_000_000},
        dependents=[{"relation": "spouse", "birth_date": "1982-01-01"},
                    {"relation": "child", "birth_date": f"{year - 12}-03-01"},
                    {"relation": "child", "birth_date": f"{year - 10}-03-01"}],
    ))  # fmt: skip
    assert r["earned_income_deduction"] == 14_750_000
    assert r["basic_deduction"] == 6_000_000
    assert r["tax_base"] == 79_250_000
    assert r["computed_tax"] == 13_260_000
    assert r["earned_income_credit"] == 500_000
    assert r["standard_credit"] == 130_000 and r["method"] == "standard"
    assert r["child_credit"] == child
    assert (r["determined_tax"], r["local_tax"]) == (determined, local)
    assert any(
        line["item"] == "공제 방법 선택" and "표준세액공제를 선택" in line["rule"]
        for line in r["lines"]
    )


def test_card_deduction_by_hand() -> None:
    # S = 40M → threshold 10M, used by credit 12M first: 2M × 15% = 300,000;
    # debit 5M × 30% = 1,500,000; market 2M × 40% = 800,000; transit 1M × 40% = 400,000
    # total 3,000,000 = base cap 3,000,000 → nothing left for the additional cap
    r = both(case(wages={"total_salary": 40_000_000},
                  cards={"credit": 12_000_000, "debit": 5_000_000, "traditional_market": 2_000_000, "public_transport": 1_000_000}))  # fmt: skip
    assert r["card_deduction"] == 3_000_000
    # more debit: total 4,500,000; base 3,000,000 + additional min(1,500,000, market+transit 1,200,000, 3,000,000)
    r = both(case(wages={"total_salary": 40_000_000},
                  cards={"credit": 12_000_000, "debit": 10_000_000, "traditional_market": 2_000_000, "public_transport": 1_000_000}))  # fmt: skip
    assert r["card_deduction"] == 3_000_000 + 1_200_000


def test_medical_threshold_and_caps_by_hand() -> None:
    # S = 50M → threshold 1,500,000; other dependents 10M − 1.5M = 8.5M capped at 7M;
    # self 2M in full; (7M + 2M) × 15% = 1,350,000; infertility 1M × 30% = 300,000
    r = both(case(medical={"other_dependents": 10_000_000, "self_senior_disabled_child6": 2_000_000, "infertility": 1_000_000},
                  insurance={"general": 0}, contributions={"health": 1_800_000}))  # fmt: skip
    assert r["medical_credit"] == 1_650_000
    # below the threshold the special groups fill it: other 500,000, self 2M → (2M − 1M) × 15%
    r = both(
        case(
            medical={"other_dependents": 500_000, "self_senior_disabled_child6": 2_000_000},
            contributions={"health": 1_800_000},
        )
    )
    assert r["medical_credit"] == 150_000


def test_donations_by_hand() -> None:
    # political 200,000: 100,000 × 100/110 = 90,909 + 100,000 × 15% = 15,000
    # general 2,000,000 (within 30% of earned income): 15% = 300,000
    r = both(
        case(
            donations={"political": 200_000, "general": 2_000_000},
            contributions={"health": 2_000_000},
        )
    )
    assert r["political_donation_credit"] == 105_909
    assert r["donation_credit"] == 300_000


def test_itemized_wins_when_it_gives_the_lower_tax() -> None:
    r = both(
        case(
            contributions={"health": 1_800_000, "long_term_care": 230_000},
            insurance={"general": 1_000_000},
        )
    )
    assert r["method"] == "itemized" and r["standard_credit"] == 0
    assert r["insurance_premium_deduction"] == 2_030_000 and r["insurance_credit"] == 120_000


def test_balances_truncate_toward_zero_and_local_tax_drops_won() -> None:
    r = both(
        case(
            wages={"total_salary": 45_678_901},
            withheld={"income_tax": 3_000_003, "local_tax": 300_007},
        )
    )
    assert r["local_tax"] == r["determined_tax"] // 10
    assert r["balance_income_tax"] % 10 == 0 and r["balance_local_tax"] % 10 == 0
    raw = r["determined_tax"] - 3_000_003
    assert abs(raw) - abs(r["balance_income_tax"]) in range(10)
    assert (raw < 0) == (r["balance_income_tax"] < 0) or r["balance_income_tax"] == 0


def test_dependent_tests_and_additional_deductions() -> None:
    r = both(case(
        taxpayer={"birth_date": "1985-01-01", "sex": "F", "household_head": True},
        wages={"total_salary": 30_000_000},
        dependents=[
            {"relation": "parent", "birth_date": "1950-01-01"},                  # 75: basic + senior
            {"relation": "parent", "birth_date": "1970-01-01"},                  # 55: fails the age test
            {"relation": "child", "birth_date": "2000-01-01", "disabled": True},  # 25 but disabled
            {"relation": "sibling", "birth_date": "2010-01-01", "income": 2_000_000},  # fails income
        ],
    ))  # fmt: skip
    assert r["basic_deduction"] == 3 * 1_500_000
    # senior 1,000,000 + disabled 2,000,000 + woman household head 500,000 (earned income ≤ 30M)
    assert r["additional_deduction"] == 3_500_000


@st.composite
def cases(draw: st.DrawFn) -> list[Case]:
    year = draw(st.sampled_from([2024, 2025, 2026]))
    money = st.integers(0, 30_000_000)
    small = st.integers(0, 3_000_000)
    out = []
    for i in range(draw(st.integers(1, 8))):
        deps = draw(st.lists(st.fixed_dictionaries({
            "relation": st.sampled_from(["spouse", "child", "grandchild", "parent", "grandparent", "sibling", "foster_child"]),
            "birth_date": st.dates(dt.date(1925, 1, 1), dt.date(year, 12, 31)).map(str),
            "disabled": st.booleans(), "income": st.sampled_from([0, 500_000, 1_000_000, 1_000_001, 5_000_000]),
            "born_or_adopted_this_year": st.booleans(), "birth_order": st.integers(0, 4),
        }), max_size=5))  # fmt: skip
        out.append(Case.model_validate({
            "id": i, "tax_year": year,
            "taxpayer": {"birth_date": str(draw(st.dates(dt.date(1940, 1, 1), dt.date(2006, 12, 31)))),
                         "sex": draw(st.sampled_from(["M", "F"])), "disabled": draw(st.booleans()),
                         "single_parent": draw(st.booleans()), "household_head": draw(st.booleans()),
                         "married_this_year": draw(st.booleans())},
            "wages": {"total_salary": draw(st.integers(0, 400_000_000))},
            "withheld": {"income_tax": draw(money), "local_tax": draw(small)},
            "contributions": {"pension": draw(small), "health": draw(small), "long_term_care": draw(small), "employment": draw(small)},
            "dependents": deps,
            "cards": {k: draw(money) for k in ("credit", "debit", "cash_receipt", "culture", "traditional_market", "public_transport")},
            "insurance": {"general": draw(small), "disabled": draw(small)},
            "medical": {k: draw(st.integers(0, 12_000_000)) for k in ("self_senior_disabled_child6", "other_dependents", "infertility", "premature", "reimbursed")},
            "education": {"self": draw(small), "preschool_school": draw(st.lists(st.integers(0, 5_000_000), max_size=3)),
                          "university": draw(st.lists(st.integers(0, 12_000_000), max_size=3)), "disabled": draw(small)},
            "donations": {k: draw(st.integers(0, 40_000_000)) for k in ("political", "hometown", "general", "religious")},
            "monthly_rent": draw(st.integers(0, 12_000_000)),
            "pension_account": {"pension_savings": draw(st.integers(0, 8_000_000)), "irp": draw(st.integers(0, 8_000_000))},
            "housing": {"subscription_savings": draw(small), "lease_loan_repayment": draw(st.integers(0, 12_000_000)), "mortgage_interest": draw(money)},
        }))  # fmt: skip
    return out


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_vector_equals_scalar(batch: list[Case]) -> None:
    v = settle(columns_from_cases(batch))
    for i, c in enumerate(batch):
        s = compute(c)
        for key, col in v.items():
            if key in s:
                assert int(col[i]) == s[key], (key, c.id)
        assert int(v["standard_method"][i]) == (s["method"] == "standard")


@settings(max_examples=150, deadline=None)
@given(
    cases(),
    st.sampled_from(
        [
            "insurance",
            "medical",
            "donations",
            "cards",
            "pension_account",
            "monthly_rent",
            "education",
            "lease",
            "mortgage",
            "religious",
        ]
    ),
    st.integers(1, 5_000_000),
)
def test_claiming_more_never_raises_the_tax(batch: list[Case], what: str, extra: int) -> None:
    c = batch[0]
    more = c.model_copy(deep=True)
    if what == "insurance":
        more.insurance.general += extra
    elif what == "medical":
        more.medical.self_senior_disabled_child6 += extra
    elif what == "donations":
        more.donations.general += extra
    elif what == "cards":
        more.cards.debit += extra
    elif what == "pension_account":
        more.pension_account.irp += extra
    elif what == "monthly_rent":
        more.monthly_rent += extra
    elif what == "education":
        more.education.self += extra
    elif what == "lease":
        more.housing.lease_loan_repayment += extra
    elif what == "mortgage":
        more.housing.mortgage_interest += extra
    else:
        more.donations.religious += extra
    assert compute(more)["determined_tax"] <= compute(c)["determined_tax"]
