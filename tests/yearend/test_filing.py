"""근로소득 지급명세서 전산매체: layout data, fixed-length writing, reading back, errors."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.kr import brn, rrn

from insa.yearend.filing import (
    Dependent,
    EmployeeStatement,
    FilingError,
    LayoutError,
    PreviousEmployer,
    Submission,
    Submitter,
    WithholdingAgent,
    amount_keys,
    fit_text,
    load_layout,
    mask_rrn,
    parse_filing,
    parse_layout,
    read_filing,
    settlement_amounts,
    settlement_totals,
    submission_from_records,
    write_filing,
)
from insa.yearend.scalar import compute
from insa.yearend.schemas import Case

YEARS = (2024, 2025, 2026)
FIVE_SYLLABLES = "남궁민수호"


def make_rrn(front: str) -> str:
    """A synthetic 주민등록번호 with a valid check digit (``front`` is the first 12 digits)."""
    for d in "0123456789":
        if rrn.is_valid(front + d):
            return front + d
    raise AssertionError(front)


def make_brn(front: str) -> str:
    """A synthetic 사업자등록번호 with a valid check digit (``front`` is the first 9 digits)."""
    for d in "0123456789":
        if brn.is_valid(front + d):
            return front + d
    raise AssertionError(front)


AGENCY_BRN = make_brn("101830123")
OTHER_BRN = make_brn("214810456")


def settle(
    year: int, salary: int, withheld: int, dependents: list[dict[str, Any]]
) -> dict[str, Any]:
    case = Case.model_validate(
        {
            "id": "x",
            "tax_year": year,
            "taxpayer": {"birth_date": "1980-05-01"},
            "wages": {"total_salary": salary},
            "withheld": {"income_tax": withheld, "local_tax": withheld // 10},
            "contributions": {"pension": 4_000_000, "health": 3_000_000, "long_term_care": 400_000},
            "dependents": dependents,
            "donations": {"political": 150_000, "hometown": 50_000},
            "medical": {"other_dependents": 9_000_000},
        }
    )
    return compute(case)


def employees(year: int) -> list[EmployeeStatement]:
    """Four employees: a family of five (two E records), a refund, a short stay, a leaver."""
    return list(_employees(year))


@cache
def _employees(year: int) -> tuple[EmployeeStatement, ...]:
    y = year
    kim = make_rrn("800501123456")
    kim_deps = [
        Dependent("0", "김철수", kim, basic=True),
        Dependent("3", "이영희", make_rrn("820101223456"), basic=True),
        Dependent("4", "김하나", make_rrn("120101423456"), basic=True, child=True, education="2"),
        Dependent("4", "김두리", make_rrn("140101323456"), basic=True, child=True, education="2"),
        Dependent("1", "박순자", make_rrn("500101223456"), basic=True, senior=True),
    ]
    kim_result = settle(
        y,
        100_000_000,
        13_000_000,
        [
            {"relation": "spouse", "birth_date": "1982-01-01"},
            {"relation": "child", "birth_date": "2012-01-01"},
            {"relation": "child", "birth_date": "2014-01-01"},
            {"relation": "parent", "birth_date": "1950-01-01"},
        ],
    )
    nam = make_rrn("950303123456")
    nam_deps = [Dependent("0", FIVE_SYLLABLES, nam, basic=True)]
    nam_result = settle(y, 38_000_000, 2_400_000, [])  # withheld more than due: a refund
    assert nam_result["balance_income_tax"] < 0
    lee = make_rrn("010707423456")
    lee_deps = [Dependent("0", "이서연", lee, basic=True)]
    lee_result = settle(y, 45_000_000, 0, [])  # nothing withheld: tax to collect
    assert lee_result["balance_income_tax"] > 0
    choi = make_rrn("880808123456")
    choi_deps = [Dependent("0", "최강", choi, basic=True)]
    choi_result = settle(y, 55_000_000, 3_100_000, [])
    return (
        EmployeeStatement(
            name="김철수",
            rrn=kim,
            work_start=dt.date(y, 1, 1),
            work_end=dt.date(y, 12, 31),
            amounts=settlement_amounts(kim_result, kim_deps, y),
            dependents=kim_deps,
        ),
        EmployeeStatement(
            name=FIVE_SYLLABLES,
            rrn=nam,
            work_start=dt.date(y, 3, 2),
            work_end=dt.date(y, 12, 31),
            amounts=settlement_amounts(nam_result, nam_deps, y),
            dependents=nam_deps,
            previous_employers=[
                PreviousEmployer(
                    name="주식회사 한빛소프트웨어",
                    business_number=OTHER_BRN,
                    work_start=dt.date(y, 1, 1),
                    work_end=dt.date(y, 2, 28),
                    salary=5_000_000,
                    bonus=1_000_000,
                    income_tax=210_000,
                    local_tax=21_000,
                )
            ],
            household_head=False,
        ),
        EmployeeStatement(
            name="이서연",
            rrn=lee,
            work_start=dt.date(y, 7, 1),
            work_end=dt.date(y, 12, 31),
            amounts=settlement_amounts(lee_result, lee_deps, y),
            dependents=lee_deps,
        ),
        EmployeeStatement(
            name="최강",
            rrn=choi,
            work_start=dt.date(y, 1, 1),
            work_end=dt.date(y, 9, 30),
            amounts=settlement_amounts(choi_result, choi_deps, y, bonus=5_000_000),
            dependents=choi_deps,
            mid_year_leaver=True,
            religious_worker=False,
        ),
    )


def submission(year: int, staff: list[EmployeeStatement] | None = None) -> Submission:
    agent = WithholdingAgent(
        tax_office="101",
        business_number=AGENCY_BRN,
        name="행정안전부",
        representative="장관",
        registration_number="",
        employees=employees(year) if staff is None else staff,
    )
    submitter = Submitter(
        kind=2,
        tax_office="101",
        business_number=AGENCY_BRN,
        name="행정안전부",
        hometax_id="mois2025",
        contact_department="운영지원과",
        contact_name="홍길동",
        contact_phone="044-205-1234",
    )
    return Submission(submitter=submitter, submitted_on=dt.date(year + 1, 3, 10), agents=[agent])


def lines(data: bytes) -> list[bytes]:
    assert data.endswith(b"\r\n")
    return data[:-2].split(b"\r\n")


# --------------------------------------------------------------------------- the layout data


@pytest.mark.parametrize("year", YEARS)
def test_every_record_sums_to_the_record_length(year: int) -> None:
    layout = load_layout(year)
    assert layout.record_length == 2010
    assert layout.confirmed is False  # later than 2023: not verified against the NTS text
    assert "제출요령" in layout.source
    assert set(layout.records) == {"A", "B", "C", "D", "E"}
    for spec in layout.records.values():
        assert sum(f.length for f in spec.fields) == layout.record_length, spec.type
        offsets = [f.offset for f in spec.fields]
        assert offsets == sorted(offsets) and offsets[0] == 0
    keys = set(amount_keys(year))
    for needed in (
        "total_salary", "earned_income_deduction", "pension_deduction", "card_deduction",
        "tax_base", "computed_tax", "earned_income_credit", "child_credit", "birth_credit",
        "pension_account_credit", "insurance_credit", "medical_credit", "education_credit",
        "donation_credit", "monthly_rent_credit", "marriage_credit", "standard_credit",
        "total_credits", "determined_tax", "local_tax", "withheld_income_tax",
        "withheld_local_tax", "balance_income_tax", "balance_local_tax",
    ):  # fmt: skip
        assert needed in keys, needed


def test_a_layout_that_does_not_add_up_names_the_file_and_record() -> None:
    source = resources.files("insa.yearend").joinpath("layouts", "2024.yaml").read_text("utf-8")
    broken = source.replace(
        'name: card_deduction, label: ㊷신용카드 등 소득공제, type: "9", length: 8',
        'name: card_deduction, label: ㊷신용카드 등 소득공제, type: "9", length: 9',
    )
    assert broken != source
    with pytest.raises(LayoutError, match=r"broken\.yaml: record C: field lengths sum to 2,011"):
        parse_layout(broken, "broken.yaml", 2024)
    with pytest.raises(LayoutError, match="no layout for tax year 1999"):
        load_layout(1999)


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("year", YEARS)
def test_round_trip_is_exact(year: int) -> None:
    sub = submission(year)
    data = write_filing(sub, year)
    back = parse_filing(data, year)
    assert back == sub
    assert write_filing(back, year) == data
    assert back.agents[0].employees[1].name == FIVE_SYLLABLES


def test_every_line_has_the_record_length_in_bytes() -> None:
    data = write_filing(submission(2024), 2024)
    for line in lines(data):
        assert len(line) == 2010
        line.decode("cp949")  # no character cut in half anywhere


def test_record_order_and_counts() -> None:
    sub = submission(2024)
    records = read_filing(write_filing(sub, 2024), 2024)
    kinds = "".join(str(r["record_type"]) for r in records)
    # the first employee has five people (two E records); the second a previous employer
    assert kinds == "ABCEECDECECE"
    counts = Counter(kinds)
    staff = sub.agents[0].employees
    assert counts["C"] == len(staff) == records[1]["c_count"]
    assert counts["D"] == sum(len(e.previous_employers) for e in staff) == records[1]["d_count"]
    assert counts["E"] == sum(math.ceil(len(e.dependents) / 3) for e in staff)
    assert records[0]["agent_count"] == 1
    assert [r["employee_seq"] for r in records if r["record_type"] == "C"] == [1, 2, 3, 4]
    assert [r["e_record_seq"] for r in records if r["record_type"] == "E"][:2] == [1, 2]
    c_first = records[2]
    assert c_first["previous_employer_count"] == 0
    assert records[5]["previous_employer_count"] == 1
    second_e = records[4]
    assert second_e["dependent3_relation"] is None  # five people: the last slot is empty


def test_two_withholding_agents_each_with_their_own_b_record() -> None:
    staff = employees(2024)
    sub = submission(2024, staff[:1])
    second = WithholdingAgent(
        tax_office="305",
        business_number=OTHER_BRN,
        name="국립중앙과학관",
        representative="관장",
        registration_number="",
        employees=staff[1:],
    )
    sub = replace(sub, agents=[*sub.agents, second])
    data = write_filing(sub, 2024)
    records = read_filing(data, 2024)
    assert "".join(str(r["record_type"]) for r in records) == "ABCEEBCDECECE"
    assert records[0]["agent_count"] == 2
    bs = [r for r in records if r["record_type"] == "B"]
    assert [b["agent_seq"] for b in bs] == [1, 2]
    assert [b["c_count"] for b in bs] == [1, 3]
    second_cs = [r for r in records[6:] if r["record_type"] == "C"]
    assert [c["employee_seq"] for c in second_cs] == [1, 2, 3]  # numbered per agent
    assert all(c["tax_office"] == "305" for c in second_cs)
    assert parse_filing(data, 2024) == sub


def test_b_totals_equal_the_sum_of_c() -> None:
    records = read_filing(write_filing(submission(2025), 2025), 2025)
    b = records[1]
    cs = [r for r in records if r["record_type"] == "C"]

    def total(name: str) -> int:
        return sum(int(str(c[name])) for c in cs)

    assert b["total_salary_sum"] == total("total_salary")
    assert b["determined_income_tax_sum"] == total("determined_tax")
    assert b["determined_local_tax_sum"] == total("local_tax")
    assert b["determined_rural_tax_sum"] == 0
    assert b["determined_tax_sum"] == total("determined_tax") + total("local_tax")


def test_refund_is_a_signed_amount() -> None:
    sub = submission(2024)
    data = write_filing(sub, 2024)
    refund = sub.agents[0].employees[1].amounts["balance_income_tax"]
    assert refund < 0
    c = [r for r in read_filing(data, 2024) if r["record_type"] == "C"][1]
    assert c["balance_income_tax"] == refund
    spec = load_layout(2024).records["C"]["balance_income_tax"]
    line = lines(data)[5]  # A B C E E C: the second employee's C record
    raw = line[spec.offset : spec.offset + spec.length]
    assert raw == b"1" + str(-refund).rjust(11, "0").encode()


def test_settlement_amounts_split_and_add_back() -> None:
    deps = [
        Dependent("0", "김철수", make_rrn("800501123456"), basic=True),
        Dependent("3", "이영희", make_rrn("820101223456"), basic=True),
    ]
    result = settle(2025, 60_000_000, 0, [{"relation": "spouse", "birth_date": "1982-01-01"}])
    amounts = settlement_amounts(result, deps, 2025)
    assert set(amounts) == set(amount_keys(2025))
    assert amounts["basic_deduction_self"] == amounts["basic_deduction_spouse"] == 1_500_000
    assert amounts["political_credit_upto_100k"] == 90_909  # 100,000 × 100/110
    assert amounts["political_credit_over_100k"] == 7_500  # 15% of 50,000
    totals = settlement_totals(amounts, 2025)
    for key in (
        "basic_deduction", "additional_deduction", "insurance_premium_deduction",
        "housing_deduction", "political_donation_credit", "hometown_donation_credit",
        "pension_deduction", "determined_tax", "balance_income_tax",
    ):  # fmt: skip
        assert totals[key] == result[key], key
    with pytest.raises(FilingError, match="basic_deduction .* does not match its items"):
        settlement_amounts(result, deps[:1], 2025)  # the spouse's flag is missing


# --------------------------------------------------------------------------- text in bytes


def test_text_is_cut_at_a_character_boundary() -> None:
    assert fit_text(FIVE_SYLLABLES, 9) == "남궁민수".encode("cp949") + b" "
    assert fit_text(FIVE_SYLLABLES, 10) == FIVE_SYLLABLES.encode("cp949")
    assert fit_text("A" + FIVE_SYLLABLES, 4) == "A남".encode("cp949") + b" "
    assert fit_text("", 3) == b"   "


def test_a_long_name_is_truncated_in_the_file_and_reads_back_as_what_fitted() -> None:
    long_name = "A" + "가나다라마바사아자차카타파하거" + "너"  # 1 + 16 syllables = 33 bytes
    staff = employees(2024)
    staff[0] = replace(staff[0], name=long_name)
    data = write_filing(submission(2024, staff), 2024)
    assert all(len(line) == 2010 for line in lines(data))
    back = parse_filing(data, 2024)
    got = back.agents[0].employees[0].name
    assert got == "A가나다라마바사아자차카타파하"  # 29 bytes: the 15th syllable would split
    assert long_name.startswith(got)


# --------------------------------------------------------------------------- errors


def test_overflow_names_record_employee_and_field_but_never_the_rrn() -> None:
    staff = employees(2024)
    full = staff[2].rrn
    staff[2] = replace(staff[2], amounts={**staff[2].amounts, "determined_tax": 10**11})
    with pytest.raises(FilingError) as err:
        write_filing(submission(2024, staff), 2024)
    message = str(err.value)
    assert "record C" in message
    assert "employee #3" in message
    assert mask_rrn(full) in message
    assert "field determined_tax" in message
    assert "needs 12 digits, the field holds 11" in message
    assert full not in message and full not in repr(err.value)
    assert err.value.record == "C" and err.value.field == "determined_tax"
    assert err.value.employee == 3 and err.value.masked_rrn == mask_rrn(full)


@pytest.mark.parametrize(
    ("change", "field", "needle"),
    [
        ({"amounts": {"card_deduction": -1}}, "card_deduction", "negative"),
        ({"name": "김😀"}, "name", "cannot be written in cp949"),
        ({"rrn": "80050112345678"}, "rrn", "does not match"),  # 14 digits
        ({"amounts": {"tax_base": 1.5}}, "tax_base", "must be an integer"),
        ({"amounts": {"no_such_item": 1}}, None, "does not know"),
    ],
)
def test_bad_values_raise_filing_error(
    change: dict[str, Any], field: str | None, needle: str
) -> None:
    staff = employees(2024)
    target = staff[0]
    over = dict(change)
    if "amounts" in over:
        over["amounts"] = {**target.amounts, **over["amounts"]}
    if "rrn" in over:  # the employee's own E row carries the same number
        deps = list(target.dependents)
        over["dependents"] = [replace(deps[0], rrn=over["rrn"]), *deps[1:]]
    staff[0] = replace(target, **over)
    with pytest.raises(FilingError) as err:
        write_filing(submission(2024, staff), 2024)
    message = str(err.value)
    assert needle in message
    if field:
        assert f"field {field}" in message
    for secret in (target.rrn, "80050112345678"):
        assert secret not in message


def test_dependent_overflow_names_the_dependent_masked() -> None:
    staff = employees(2024)
    deps = list(staff[0].dependents)
    deps[4] = Dependent("9", "박순자", deps[4].rrn)  # relation code out of range
    staff[0] = replace(staff[0], dependents=deps)
    with pytest.raises(FilingError) as err:
        write_filing(submission(2024, staff), 2024)
    message = str(err.value)
    assert "record E" in message and "dependent #5" in message
    assert "field dependent2_relation" in message
    assert deps[4].rrn not in message and staff[0].rrn not in message


def test_reprs_mask_the_rrn() -> None:
    sub = submission(2024)
    text = repr(sub)
    for emp in sub.agents[0].employees:
        assert emp.rrn not in text
        assert mask_rrn(emp.rrn) in text
        for dep in emp.dependents:
            assert dep.rrn not in text
    assert mask_rrn("9001011234568") == "900101-1******"


def test_reader_accepts_lf_or_no_separator_and_checks_totals() -> None:
    data = write_filing(submission(2024), 2024)
    expected = read_filing(data, 2024)
    assert read_filing(data.replace(b"\r\n", b"\n"), 2024) == expected
    assert read_filing(data.replace(b"\r\n", b""), 2024) == expected
    tampered = [dict(r) for r in expected]
    tampered[1]["total_salary_sum"] = int(str(tampered[1]["total_salary_sum"])) + 1
    with pytest.raises(FilingError, match="record B.*field total_salary_sum"):
        submission_from_records(tampered, 2024)
    with pytest.raises(FilingError, match="1,999 bytes, expected 2,010"):
        read_filing(data[:1999] + b"\r\n", 2024)
    f_record = b"F20" + b" " * 2007 + b"\r\n"
    with pytest.raises(FilingError, match="which insa does not read"):
        read_filing(data + f_record, 2024)


# --------------------------------------------------------------------------- property


def _amount_strategy(year: int) -> st.SearchStrategy[dict[str, int]]:
    layout = load_layout(year)
    room: dict[str, tuple[int, bool]] = {}
    for f in layout.records["C"].fields:
        if f.source_key:
            digits = f.length - 1 if f.signed else f.length
            old = room.get(f.source_key, (digits, f.signed))
            room[f.source_key] = (min(old[0], digits), f.signed)
    parts = {
        key: st.integers(-(10**d - 1) if signed else 0, 10**d - 1)
        for key, (d, signed) in room.items()
    }

    def sane(a: dict[str, int]) -> dict[str, int]:
        # 실효세율 (3 digits) is determined tax ÷ total salary × 100
        salary = max(a["total_salary"], 1)
        return {**a, "total_salary": salary, "determined_tax": min(a["determined_tax"], salary)}

    return st.fixed_dictionaries(parts).map(sane)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), year=st.sampled_from(YEARS))
def test_random_amounts_round_trip(data: st.DataObject, year: int) -> None:
    amounts = data.draw(_amount_strategy(year))
    shifted = replace(
        employees(2024)[0],
        amounts=amounts,
        work_start=dt.date(year, 1, 1),
        work_end=dt.date(year, 12, 31),
    )
    sub = submission(year, [shifted])
    raw = write_filing(sub, year)
    back = parse_filing(raw, year)
    assert back.agents[0].employees[0].amounts == amounts
    assert back == sub
    assert write_filing(back, year) == raw
