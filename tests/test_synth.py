"""The synthetic government looks like the real thing and keeps its own invariants."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest
from stdnum.kr import rrn as stdnum_rrn

from insa.people.registry import active_agencies, agencies, allocate
from insa.people.synth import SeedConfig, generate, plan
from insa.security.crypto import RRNCipher


@pytest.fixture(scope="module")
def chunks() -> list:  # type: ignore[type-arg]
    cipher = RRNCipher(b"K" * 32, b"P" * 32)
    return list(generate(plan(SeedConfig(employees=6000, seed=11, chunk_size=2500)), cipher))


def test_registry_is_the_2025_government() -> None:
    assert len(agencies()) == 71
    on = dt.date(2025, 12, 31)
    active = {a.code: a for a in active_agencies(on)}
    assert "MCEE" in active and "ME" not in active  # 환경부 → 기후에너지환경부 on 2025-10-01
    assert active["MCEE"].predecessor == "ME"
    kinds = Counter(
        a.kind for a in active_agencies(dt.date(2025, 6, 30)) if a.kind in "부처청위원회"
    )
    assert kinds["부"] == 19 and kinds["청"] == 20 and kinds["위원회"] >= 6


@pytest.mark.parametrize("total", [1, 7, 500, 400_000])
def test_allocation_is_exact(total: int) -> None:
    w = [a.staff for a in active_agencies(dt.date(2025, 12, 31))]
    parts = allocate(total, w)
    assert sum(parts) == total and min(parts) >= 0
    if total >= 10 * len(w):
        assert min(parts) >= 1


def test_people_are_valid_unique_and_plausible(chunks: list) -> None:  # type: ignore[type-arg]
    cipher = RRNCipher(b"K" * 32, b"P" * 32)
    emps = {k: sum((c.employees[k] for c in chunks), []) for k in chunks[0].employees}
    deps = {k: sum((c.dependents[k] for c in chunks), []) for k in chunks[0].dependents}
    assert len(emps["id"]) == 6000 and emps["id"] == list(range(1, 6001))
    rrns = [cipher.decrypt(b).reveal() for b in emps["rrn_encrypted"]]
    assert all(stdnum_rrn.is_valid(r) for r in rrns)
    assert len(set(rrns)) == 6000 and len(set(emps["employee_no"])) == 6000
    for r, birth, sex in zip(rrns[:500], emps["birth_date"], emps["sex"], strict=False):
        assert stdnum_rrn.get_birth_date(r).isoformat() == birth
        assert (r[6] in "24") == (sex == "F")
    dep_rrns = [cipher.decrypt(b).reveal() for b in deps["rrn_encrypted"][:3000]]
    assert all(stdnum_rrn.is_valid(r) for r in dep_rrns)
    ages = np.array([2025 - int(b[:4]) for b in emps["birth_date"]])
    assert ages.min() >= 20 and ages.max() <= 60
    hires = [dt.date.fromisoformat(h) for h in emps["hire_date"]]
    births = [dt.date.fromisoformat(b) for b in emps["birth_date"]]
    assert all(
        h >= b.replace(year=b.year + 19)
        for h, b in zip(hires, births, strict=True)
        if b.month != 2 or b.day != 29
    )
    assert all("가" <= n[0] <= "힣" and 2 <= len(n) <= 4 for n in emps["name"])
    grades = Counter(emps["grade_id"])
    assert grades[7] > grades[5] > grades[4] > grades[1]  # 6급 > 4급 > 3급 > SCS
    women = emps["sex"].count("F") / 6000
    assert 0.25 < women < 0.45  # police-heavy national service
    police = Counter(emps["agency_id"])[next(a.id for a in agencies() if a.code == "KNPA")]
    assert 0.3 < police / 6000 < 0.5


def test_families_and_payroll_hang_together(chunks: list) -> None:  # type: ignore[type-arg]
    deps = {k: sum((c.dependents[k] for c in chunks), []) for k in chunks[0].dependents}
    pay = {k: sum((c.payroll[k] for c in chunks), []) for k in chunks[0].payroll}
    rel = Counter(deps["relation"])
    assert rel["spouse"] > 2500 and rel["child"] > 2500 and rel["parent"] > 500
    # in-population couples list each other: a spouse pseudonym that is also an employee's
    emp_keys = set(sum((c.employees["rrn_pseudonym"] for c in chunks), []))
    spouse_keys = [
        k for k, r in zip(deps["rrn_pseudonym"], deps["relation"], strict=True) if r == "spouse"
    ]
    assert sum(k in emp_keys for k in spouse_keys) > 100
    assert all(isinstance(v, int) for v in pay["gross_pay"][:1000])
    months = Counter(zip(pay["employee_id"], pay["month"], strict=True))
    assert max(months.values()) == 1  # one row per employee and month
    gross = np.array(pay["gross_pay"], dtype=np.int64)
    assert 2_000_000 < int(np.median(gross)) < 8_000_000
    plants = Counter(sum((c.plants["kind"] for c in chunks), []))
    assert plants["couple_double_child"] > 0 and plants["sibling_double_parent"] > 0
    assert sum(plants.values()) < 0.05 * 6000  # a small share


def test_agency_ids_are_permanent_and_unique() -> None:
    ids = [a.id for a in agencies()]
    assert len(set(ids)) == len(ids) and min(ids) == 1
    by_code = {a.code: a.id for a in agencies()}
    # ids already handed out never change (databases and exchange files keep them)
    assert (by_code["MOEF"], by_code["MPM"], by_code["KNPA"], by_code["MCEE"]) == (1, 20, 30, 49)


def test_two_syllable_surnames_pass_to_children(chunks: list) -> None:  # type: ignore[type-arg]
    from insa.people.synth import surname_of

    assert (
        surname_of("제갈지호") == "제갈"
        and surname_of("김민준") == "김"
        and surname_of("남궁") == "남"
    )
    cipher = RRNCipher(b"K" * 32, b"P" * 32)
    emps = {k: sum((c.employees[k] for c in chunks), []) for k in ("id", "name", "sex")}
    deps = {
        k: sum((c.dependents[k] for c in chunks), [])
        for k in ("employee_id", "relation", "name", "allowance_from")
    }
    by_id = dict(zip(emps["id"], zip(emps["name"], emps["sex"], strict=True), strict=True))
    for eid, rel, name in zip(deps["employee_id"], deps["relation"], deps["name"], strict=True):
        ename, sex = by_id[eid]
        if rel == "child" and sex == "M" and len(surname_of(ename)) == 2:
            assert name.startswith(surname_of(ename))
    # no claim starts after the payroll year
    assert max(d for d in deps["allowance_from"] if d) <= "2025-12-31"
    del cipher


def test_every_organisation_of_the_exchange_has_a_code_of_its_own() -> None:
    from insa.allowance.synth_claims import organisations
    from insa.people.registry import agencies, exchange_organisation, exchange_organisations

    agency_codes = {a.code for a in agencies()}  # former agencies included
    orgs = exchange_organisations()
    assert not {o.code for o in orgs} & agency_codes
    by_kind: dict[str, set[str]] = {}
    for o in orgs:
        by_kind.setdefault(o.kind, set()).add(o.code)
    assert by_kind["election"] == {"NEC"} and by_kind["court"] == {"CCOURT"}
    assert by_kind["military"] == {"MIL"}
    assert len(by_kind["local"]) == len(by_kind["education"]) == 17
    nec = exchange_organisation("nec")
    assert nec is not None and nec.name_ko == "중앙선거관리위원회" and nec.kind == "election"
    edu = exchange_organisation("EDU-BUSAN")
    assert edu is not None and edu.name_ko == "부산광역시교육청"
    moe = exchange_organisation("NEDC")
    assert moe is not None and moe.kind == "central" and moe.name_ko == "국가교육위원회"
    pi = exchange_organisation("PI-0042")
    assert pi is not None and pi.kind == "public"
    assert exchange_organisation("PI-42") is None and exchange_organisation("XYZ") is None
    # the generated exchange uses only codes the registry knows, each kind with its own
    rng = np.random.default_rng(3)
    for o in organisations(160, rng, 0.2, "2025-12"):
        found = exchange_organisation(o.code)
        assert found is not None, o.code
        assert (found.kind == "central") == (o.kind == "central"), o
