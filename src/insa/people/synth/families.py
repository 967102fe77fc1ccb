"""The families of a chunk's employees: spouses, children and parents, with planted claims.

Couples inside the population list each other (nobody claims a public-servant spouse); an
in-population couple's children are generated once and claimed by one of them — planted: by
both (``couple_double_child``). Children's claims end the month before they turn 19 —
planted: one that did not (``overage_child``). Some employees support one or two parents —
planted: a sibling (another employee) claims the same parent (``sibling_double_parent``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from insa.people.synth.common import (
    I64,
    Bool,
    Columns,
    birthdays,
    group_positions,
    month_before,
    years,
)
from insa.people.synth.dependents import DependentBuilder, Families, to_families
from insa.people.synth.employees import Employees
from insa.people.synth.names import given_names, names_for, surname_of
from insa.people.synth.plants import PLANT_RATE, add_plants, new_plants
from insa.people.synth.population import Population
from insa.people.synth.rrns import make_rrns
from insa.security.crypto import RRNCipher

YEAR_DAYS = 365.25


@dataclass
class Children:
    """The children of a chunk's families (one family per couple)."""

    heads: I64  # the employee heading each family (the first of an in-population couple)
    has_partner: Bool  # per family: both parents are employees
    family: I64  # per child: index into heads
    birth: I64
    female: Bool
    rrn: list[str]
    names: list[str]
    disabled: Bool
    turns19: I64
    legit_until: I64  # the last day a claim may run (0: no end, disabled or still under 19)


def draw_families(
    rng: np.random.Generator, pop: Population, e: Employees, cipher: RRNCipher
) -> Families:
    """Spouses, children and parents of the employees ``e``, in this order of drawing."""
    b = DependentBuilder()
    plants = new_plants()
    married, partner = draw_couples(rng, e)
    add_spouses(rng, pop, e, married, partner, b)
    kids = draw_children(rng, pop, e, married, partner)
    claim_children(rng, pop.cfg.reference_date.toordinal(), e, partner, kids, b, plants)
    add_parents(rng, pop, e, partner, b, plants)
    return to_families(b, e.ids, pop.cfg.reference_date, plants, cipher)


def draw_couples(rng: np.random.Generator, e: Employees) -> tuple[Bool, I64]:
    """Who is married, by age; some marry each other inside the population: men and women
    of similar age are paired (``partner``: chunk position, −1 for none)."""
    n = len(e.ids)
    age, female, birth = e.age, e.female, e.birth
    p_married = np.select([age < 27, age < 32, age < 37, age < 46], [0.08, 0.38, 0.68, 0.82], 0.88)
    married = rng.random(n) < p_married
    in_table = married & (rng.random(n) < 0.12)
    men = np.nonzero(in_table & ~female)[0]
    women = np.nonzero(in_table & female)[0]
    men = men[np.argsort(birth[men], kind="stable")]
    women = women[np.argsort(birth[women], kind="stable")]
    k = min(len(men), len(women))
    partner = np.full(n, -1, dtype=np.int64)
    partner[men[:k]] = women[:k]
    partner[women[:k]] = men[:k]
    return married, partner


def add_spouses(
    rng: np.random.Generator,
    pop: Population,
    e: Employees,
    married: Bool,
    partner: I64,
    b: DependentBuilder,
) -> None:
    """Spouses married outside the population (drawn), then in-population couples."""
    ref_o = pop.cfg.reference_date.toordinal()
    birth, female, hire = e.birth, e.female, e.hire
    out_idx = np.nonzero(married & (partner < 0))[0]
    m = len(out_idx)
    sp_female = ~female[out_idx]
    sp_birth = (
        birth[out_idx] + rng.integers(-4 * 365, 4 * 365, m) + np.where(sp_female, 2 * 365, -2 * 365)
    )
    sp_birth = np.minimum(sp_birth, ref_o - 22 * 365)
    u = rng.random(m)
    sp_servant = u < 0.16  # local officials, teachers, military
    sp_income = np.where(
        sp_servant, rng.integers(30, 70, m) * 1_000_000,
        np.where(u < 0.81, rng.integers(0, 60, m) * 1_000_000, 0),
    )  # fmt: skip
    # married between 24 and today; the spouse allowance is claimed from the later of marriage and hire
    earliest = birth[out_idx] + int(24 * YEAR_DAYS)
    marriage = earliest + (rng.random(m) * np.maximum(ref_o - earliest, 0)).astype(np.int64)
    marriage = np.minimum(np.maximum(marriage, hire[out_idx]), ref_o)
    b.extend(
        out_idx, "spouse", names_for(rng, sp_female, years(sp_birth)),
        make_rrns(rng, sp_birth, sp_female, pop.rrns_seen), sp_birth, sp_female,
        income=sp_income, servant=sp_servant, cfrom=np.where(sp_servant, 0, marriage),
    )  # fmt: skip
    # couples inside the population list each other; nobody claims a public-servant spouse
    monthly = np.where(
        e.scs_annual > 0, e.scs_annual // 12, e.pay_table[e.grade.astype(np.int64), e.step]
    )
    annual_pay = monthly * 12 + 6_000_000  # rough: base pay plus allowances
    paired = np.nonzero(partner >= 0)[0]
    po = partner[paired]
    names_a = np.asarray(e.names, dtype=object)
    rrn_a = np.asarray(e.rrn, dtype=object)
    b.extend(
        paired, "spouse", names_a[po].tolist(), rrn_a[po].tolist(), birth[po], female[po],
        income=annual_pay[po], servant=True,
    )  # fmt: skip


def draw_children(
    rng: np.random.Generator, pop: Population, e: Employees, married: Bool, partner: I64
) -> Children:
    """0–3 children per family, the first at the mother's 31 or so, 600–1500 days apart;
    those born by the reference date and under 25. They carry the father's surname."""
    n = len(e.ids)
    ref_o = pop.cfg.reference_date.toordinal()
    female, birth = e.female, e.birth
    heads = np.nonzero(married & ((partner < 0) | (np.arange(n) < partner)))[0]
    nk = rng.choice(4, size=len(heads), p=[0.18, 0.25, 0.49, 0.08])
    has_partner = partner[heads] >= 0
    mother_birth = np.where(
        female[heads], birth[heads],
        np.where(has_partner, birth[np.maximum(partner[heads], 0)], birth[heads] + 2 * 365),
    )  # fmt: skip
    first = mother_birth + (rng.normal(31.5, 3.0, len(heads)) * YEAR_DAYS).astype(np.int64)
    kh = np.repeat(np.arange(len(heads)), nk)
    pos = group_positions(nk)
    gaps = np.where(pos > 0, rng.integers(600, 1500, len(kh)), 0)
    cg = np.cumsum(gaps)
    gap_cum = cg - cg[np.repeat(np.cumsum(nk) - nk, nk)]  # gaps at a family's first child are 0
    kb = first[kh] + gap_cum
    keep = (kb <= ref_o) & (kb > ref_o - 25 * 365)
    kh, kb = kh[keep], kb[keep]
    kk = len(kh)
    kf = rng.random(kk) < 0.49
    kids_rrn = make_rrns(rng, kb, kf, pop.rrns_seen)
    he = heads[kh]  # the head employee of each child
    father = np.where(female[he] & (partner[he] >= 0), partner[he], he)
    names_a = np.asarray(e.names, dtype=object)
    surname = [surname_of(str(s)) for s in names_a[father]]
    kid_names = [s + g for s, g in zip(surname, given_names(rng, kf, years(kb)), strict=True)]
    dis = rng.random(kk) < 0.015
    turns19 = birthdays(kb, 19)
    legit_until = np.where(dis | (turns19 > ref_o), 0, month_before(turns19))
    return Children(heads, has_partner, kh, kb, kf, kids_rrn, kid_names, dis, turns19, legit_until)


def claim_children(
    rng: np.random.Generator,
    ref_o: int,
    e: Employees,
    partner: I64,
    kids: Children,
    b: DependentBuilder,
    plants: Columns,
) -> None:
    """Each child listed by its parents: one claims (either of a couple); planted, the other
    of a couple claims too, or a claim outlives age 19 (families with one employee)."""
    hire, heads, kh = e.hire, kids.heads, kids.family
    kb, legit_until, has_partner = kids.birth, kids.legit_until, kids.has_partner
    swap = rng.random(len(heads)) < 0.5
    first_claimant = np.where(has_partner & swap, partner[heads], heads)
    second = np.where(has_partner, np.where(swap, heads, partner[heads]), -1)
    double_head = has_partner & (rng.random(len(heads)) < PLANT_RATE)
    overage = (
        (~has_partner[kh])
        & (legit_until > 0)
        & (kids.turns19 > ref_o - 365)
        & (rng.random(len(kh)) < PLANT_RATE * 2)
    )
    c1 = first_claimant[kh]
    until1 = np.where(overage, 0, legit_until)
    claim1 = np.where((legit_until == 0) | (legit_until > hire[c1]), np.maximum(kb, hire[c1]), 0)
    b.extend(
        c1, "child", kids.names, kids.rrn, kb, kids.female, disabled=kids.disabled,
        cfrom=claim1, cuntil=np.where(claim1 > 0, until1, 0),
    )  # fmt: skip
    two = second[kh] >= 0
    c2 = second[kh][two]
    dbl = double_head[kh][two]
    claim2 = np.where(
        dbl & ((legit_until[two] == 0) | (legit_until[two] > hire[c2])),
        np.maximum(kb[two], hire[c2]),
        0,
    )
    kids_rrn_a = np.asarray(kids.rrn, dtype=object)
    b.extend(
        c2, "child", np.asarray(kids.names, dtype=object)[two].tolist(), kids_rrn_a[two].tolist(),
        kb[two], kids.female[two], disabled=kids.disabled[two], cfrom=claim2,
        cuntil=np.where(claim2 > 0, legit_until[two], 0), primary=False,
    )  # fmt: skip
    hit = claim2 > 0
    add_plants(plants, e.ids, "couple_double_child", c2[hit], c1[two][hit],
               kids_rrn_a[two][hit].tolist(), "부부 공무원이 같은 자녀의 가족수당을 모두 받음")  # fmt: skip
    ov = overage & (claim1 > 0)
    add_plants(
        plants,
        e.ids,
        "overage_child",
        c1[ov],
        None,
        kids_rrn_a[ov].tolist(),
        "만 19세가 된 뒤에도 자녀 가족수당이 계속 지급됨",
    )


@dataclass
class Parents:
    """Parents supported by employees (one row per employee and parent)."""

    employee: I64  # chunk position of the supporting employee
    birth: I64
    female: Bool
    rrn: list[str]
    names: list[str]
    disabled: Bool
    income: I64
    claim: I64  # claim start (0: not claimed)


def add_parents(
    rng: np.random.Generator,
    pop: Population,
    e: Employees,
    partner: I64,
    b: DependentBuilder,
    plants: Columns,
) -> None:
    """Parents supported by 30 % of the employees (a third of them two); then, planted,
    siblings (other employees) who claim the same parent."""
    parents = draw_parents(rng, pop, e, b)
    plant_sibling_claims(rng, e, partner, parents, b, plants)


def draw_parents(
    rng: np.random.Generator, pop: Population, e: Employees, b: DependentBuilder
) -> Parents:
    """Some employees support one or two of their (or their spouse's) parents, claimed from
    55 (mothers) or 60 (fathers) — within the last eight years — by 70 %."""
    n = len(e.ids)
    ref_o = pop.cfg.reference_date.toordinal()
    u = rng.random(n)
    n_par = np.where(u < 0.10, 2, np.where(u < 0.30, 1, 0))
    pe = np.repeat(np.arange(n), n_par)
    ppos = group_positions(n_par)
    pb = e.birth[pe] - (rng.normal(29, 3, len(pe)) * YEAR_DAYS).astype(np.int64)
    pf = np.where(np.repeat(n_par, n_par) == 2, ppos == 1, rng.random(len(pe)) < 0.6)
    keep = pb > ref_o - 95 * 365
    pe, pb, pf = pe[keep], pb[keep], pf[keep]
    kp = len(pe)
    prrn = make_rrns(rng, pb, pf, pop.rrns_seen)
    elig_from = np.where(pf, birthdays(pb, 55), birthdays(pb, 60))
    claim = np.maximum(np.maximum(elig_from, e.hire[pe]), ref_o - 8 * 365)
    claim = np.where((rng.random(kp) < 0.7) & (claim <= ref_o), claim, 0)
    p_income = rng.integers(0, 3, kp) * 4_000_000
    p_dis = rng.random(kp) < 0.05
    p_house = rng.random(kp) < 0.5
    pnames = names_for(rng, pf, years(pb))
    b.extend(pe, "parent", pnames, prrn, pb, pf, disabled=p_dis, household=p_house,
             income=p_income, cfrom=claim)  # fmt: skip
    return Parents(pe, pb, pf, prrn, pnames, p_dis, p_income, claim)


def plant_sibling_claims(
    rng: np.random.Generator,
    e: Employees,
    partner: I64,
    p: Parents,
    b: DependentBuilder,
    plants: Columns,
) -> None:
    """Planted: a sibling (another employee, not the spouse) claims the same parent too."""
    n = len(e.ids)
    claimed = np.nonzero(p.claim > 0)[0]
    pick = (
        rng.choice(len(claimed), size=int(len(claimed) * PLANT_RATE / 3), replace=False)
        if len(claimed)
        else claimed
    )
    sel = claimed[pick]
    sib = rng.integers(0, n, len(sel))
    ok = (sib != p.employee[sel]) & (partner[p.employee[sel]] != sib)
    sel, sib = sel[ok], sib[ok]
    prrn_a = np.asarray(p.rrn, dtype=object)
    b.extend(
        sib, "parent", np.asarray(p.names, dtype=object)[sel].tolist(), prrn_a[sel].tolist(),
        p.birth[sel], p.female[sel], disabled=p.disabled[sel], household=False,
        income=p.income[sel], cfrom=np.maximum(p.claim[sel], e.hire[sib]), primary=False,
    )  # fmt: skip
    add_plants(
        plants,
        e.ids,
        "sibling_double_parent",
        sib,
        p.employee[sel],
        prrn_a[sel].tolist(),
        "형제자매가 같은 부모의 가족수당을 각각 받음",
    )
