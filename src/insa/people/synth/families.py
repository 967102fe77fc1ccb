"""The families of a chunk's employees: spouses, children and parents, with planted claims."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from insa.people.synth.common import (
    I64,
    Columns,
    birthdays,
    dates,
    group_positions,
    month_before,
    years,
)
from insa.people.synth.names import given_names, names_for, surname_of
from insa.people.synth.population import Population, SeedConfig
from insa.people.synth.rrns import make_rrns
from insa.rules.family_allowance import REL
from insa.security.crypto import RRNCipher

PLANT_RATE = 0.06  # share of eligible couples / sibling pairs given a planted double claim


@dataclass
class Families:
    columns: Columns
    emp_index: I64
    relation: npt.NDArray[np.int8]
    birth: I64
    female: npt.NDArray[np.bool_]
    disabled: npt.NDArray[np.bool_]
    claim_from: I64
    claim_until: I64
    basic_deduction: npt.NDArray[np.bool_]
    plants: Columns


class _DepBuilder:
    """Collects dependents as parallel arrays, block by block (people may be shared)."""

    FIELDS = ("emp", "rel", "name", "rrn", "birth", "female", "disabled", "household",
              "income", "servant", "cfrom", "cuntil", "primary")  # fmt: skip

    def __init__(self) -> None:
        self.blocks: dict[str, list[Any]] = {f: [] for f in self.FIELDS}

    def extend(
        self, emp: npt.ArrayLike, rel: str, name: list[str], rrn: list[str], birth: npt.ArrayLike,
        female: npt.ArrayLike, *, disabled: npt.ArrayLike = False, household: npt.ArrayLike = True,
        income: npt.ArrayLike = 0, servant: npt.ArrayLike = False, cfrom: npt.ArrayLike = 0,
        cuntil: npt.ArrayLike = 0, primary: bool = True,
    ) -> None:  # fmt: skip
        e = np.asarray(emp, dtype=np.int64)
        k = len(e)

        def full(v: npt.ArrayLike, dtype: Any) -> Any:
            return np.broadcast_to(np.asarray(v, dtype=dtype), (k,)).copy()

        self.blocks["emp"].append(e)
        self.blocks["rel"].append(np.full(k, REL[rel], dtype=np.int8))
        self.blocks["name"].append(np.asarray(name, dtype=object).reshape(k))
        self.blocks["rrn"].append(np.asarray(rrn, dtype=object).reshape(k))
        self.blocks["birth"].append(full(birth, np.int64))
        self.blocks["female"].append(full(female, bool))
        self.blocks["disabled"].append(full(disabled, bool))
        self.blocks["household"].append(full(household, bool))
        self.blocks["income"].append(full(income, np.int64))
        self.blocks["servant"].append(full(servant, bool))
        self.blocks["cfrom"].append(full(cfrom, np.int64))
        self.blocks["cuntil"].append(full(cuntil, np.int64))
        # the one taxpayer who may take this person's basic deduction (기본공제)
        self.blocks["primary"].append(full(primary, bool))

    def arrays(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.FIELDS:
            parts = self.blocks[f]
            out[f] = np.concatenate(parts) if parts else np.array([], dtype=object)
        return out


def _families(
    rng: np.random.Generator,
    cfg: SeedConfig,
    pop: Population,
    emp_ids: I64,
    female: npt.NDArray[np.bool_],
    birth: I64,
    hire: I64,
    age: I64,
    names: list[str],
    rrn: list[str],
    grade: npt.NDArray[np.int8],
    table: I64,
    step: I64,
    scs_annual: I64,
    cipher: RRNCipher,
) -> Families:
    n = len(emp_ids)
    ref = cfg.reference_date
    ref_o = ref.toordinal()
    year_days = 365.25
    b = _DepBuilder()
    plants: Columns = {
        "kind": [],
        "employee_id": [],
        "other_employee_id": [],
        "dependent_rrn": [],
        "note": [],
    }

    def plant(kind: str, es: I64, others: I64 | None, dep_rrns: list[str], note: str) -> None:
        plants["kind"] += [kind] * len(es)
        plants["employee_id"] += emp_ids[es].tolist()
        plants["other_employee_id"] += (
            [None] * len(es) if others is None else emp_ids[others].tolist()
        )
        plants["dependent_rrn"] += list(dep_rrns)
        plants["note"] += [note] * len(es)

    names_a = np.asarray(names, dtype=object)
    rrn_a = np.asarray(rrn, dtype=object)
    p_married = np.select([age < 27, age < 32, age < 37, age < 46], [0.08, 0.38, 0.68, 0.82], 0.88)
    married = rng.random(n) < p_married
    # couples inside this population: pair men and women of similar age
    in_table = married & (rng.random(n) < 0.12)
    men = np.nonzero(in_table & ~female)[0]
    women = np.nonzero(in_table & female)[0]
    men = men[np.argsort(birth[men], kind="stable")]
    women = women[np.argsort(birth[women], kind="stable")]
    k = min(len(men), len(women))
    partner = np.full(n, -1, dtype=np.int64)
    partner[men[:k]] = women[:k]
    partner[women[:k]] = men[:k]
    monthly = np.where(scs_annual > 0, scs_annual // 12, table[grade.astype(np.int64), step])
    annual_pay = monthly * 12 + 6_000_000  # rough: base pay plus allowances

    # spouses of employees married outside the population
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
    earliest = birth[out_idx] + int(24 * year_days)
    marriage = earliest + (rng.random(m) * np.maximum(ref_o - earliest, 0)).astype(np.int64)
    marriage = np.minimum(np.maximum(marriage, hire[out_idx]), ref_o)
    b.extend(
        out_idx, "spouse", names_for(rng, sp_female, years(sp_birth)),
        make_rrns(rng, sp_birth, sp_female, pop.rrns_seen), sp_birth, sp_female,
        income=sp_income, servant=sp_servant, cfrom=np.where(sp_servant, 0, marriage),
    )  # fmt: skip
    # couples inside the population list each other; nobody claims a public-servant spouse
    paired = np.nonzero(partner >= 0)[0]
    po = partner[paired]
    b.extend(
        paired, "spouse", names_a[po].tolist(), rrn_a[po].tolist(), birth[po], female[po],
        income=annual_pay[po], servant=True,
    )  # fmt: skip

    # children: one family per couple (an in-population couple is generated once)
    heads = np.nonzero(married & ((partner < 0) | (np.arange(n) < partner)))[0]
    nk = rng.choice(4, size=len(heads), p=[0.18, 0.25, 0.49, 0.08])
    has_partner = partner[heads] >= 0
    mother_birth = np.where(
        female[heads], birth[heads],
        np.where(has_partner, birth[np.maximum(partner[heads], 0)], birth[heads] + 2 * 365),
    )  # fmt: skip
    first = mother_birth + (rng.normal(31.5, 3.0, len(heads)) * year_days).astype(np.int64)
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
    surname = [surname_of(str(s)) for s in names_a[father]]
    kid_names = [s + g for s, g in zip(surname, given_names(rng, kf, years(kb)), strict=True)]
    dis = rng.random(kk) < 0.015
    turns19 = birthdays(kb, 19)
    legit_until = np.where(dis | (turns19 > ref_o), 0, month_before(turns19))
    # which parent claims; planted: both claim (couples) or the claim outlives age 19 (others)
    swap = rng.random(len(heads)) < 0.5
    first_claimant = np.where(has_partner & swap, partner[heads], heads)
    second = np.where(has_partner, np.where(swap, heads, partner[heads]), -1)
    double_head = has_partner & (rng.random(len(heads)) < PLANT_RATE)
    overage = (
        (~has_partner[kh])
        & (legit_until > 0)
        & (turns19 > ref_o - 365)
        & (rng.random(kk) < PLANT_RATE * 2)
    )
    c1 = first_claimant[kh]
    until1 = np.where(overage, 0, legit_until)
    claim1 = np.where((legit_until == 0) | (legit_until > hire[c1]), np.maximum(kb, hire[c1]), 0)
    b.extend(
        c1, "child", kid_names, kids_rrn, kb, kf, disabled=dis,
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
    kids_rrn_a = np.asarray(kids_rrn, dtype=object)
    b.extend(
        c2, "child", np.asarray(kid_names, dtype=object)[two].tolist(), kids_rrn_a[two].tolist(),
        kb[two], kf[two], disabled=dis[two], cfrom=claim2,
        cuntil=np.where(claim2 > 0, legit_until[two], 0), primary=False,
    )  # fmt: skip
    hit = claim2 > 0
    plant("couple_double_child", c2[hit], c1[two][hit], kids_rrn_a[two][hit].tolist(),
          "부부 공무원이 같은 자녀의 가족수당을 모두 받음")  # fmt: skip
    ov = overage & (claim1 > 0)
    plant(
        "overage_child",
        c1[ov],
        None,
        kids_rrn_a[ov].tolist(),
        "만 19세가 된 뒤에도 자녀 가족수당이 계속 지급됨",
    )

    # parents: some employees support one or two of their (or their spouse's) parents
    u = rng.random(n)
    n_par = np.where(u < 0.10, 2, np.where(u < 0.30, 1, 0))
    pe = np.repeat(np.arange(n), n_par)
    ppos = group_positions(n_par)
    pb = birth[pe] - (rng.normal(29, 3, len(pe)) * year_days).astype(np.int64)
    pf = np.where(np.repeat(n_par, n_par) == 2, ppos == 1, rng.random(len(pe)) < 0.6)
    keep = pb > ref_o - 95 * 365
    pe, pb, pf = pe[keep], pb[keep], pf[keep]
    kp = len(pe)
    prrn = make_rrns(rng, pb, pf, pop.rrns_seen)
    elig_from = np.where(pf, birthdays(pb, 55), birthdays(pb, 60))
    claim = np.maximum(np.maximum(elig_from, hire[pe]), ref_o - 8 * 365)
    claim = np.where((rng.random(kp) < 0.7) & (claim <= ref_o), claim, 0)
    p_income = rng.integers(0, 3, kp) * 4_000_000
    p_dis = rng.random(kp) < 0.05
    p_house = rng.random(kp) < 0.5
    pnames = names_for(rng, pf, years(pb))
    b.extend(pe, "parent", pnames, prrn, pb, pf, disabled=p_dis, household=p_house,
             income=p_income, cfrom=claim)  # fmt: skip
    # planted: a sibling (another employee) claims the same parent too
    claimed = np.nonzero(claim > 0)[0]
    pick = (
        rng.choice(len(claimed), size=int(len(claimed) * PLANT_RATE / 3), replace=False)
        if len(claimed)
        else claimed
    )
    sel = claimed[pick]
    sib = rng.integers(0, n, len(sel))
    ok = (sib != pe[sel]) & (partner[pe[sel]] != sib)
    sel, sib = sel[ok], sib[ok]
    prrn_a = np.asarray(prrn, dtype=object)
    b.extend(
        sib, "parent", np.asarray(pnames, dtype=object)[sel].tolist(), prrn_a[sel].tolist(),
        pb[sel], pf[sel], disabled=p_dis[sel], household=False, income=p_income[sel],
        cfrom=np.maximum(claim[sel], hire[sib]), primary=False,
    )  # fmt: skip
    plant(
        "sibling_double_parent",
        sib,
        pe[sel],
        prrn_a[sel].tolist(),
        "형제자매가 같은 부모의 가족수당을 각각 받음",
    )

    d = b.arrays()
    emp_index = d["emp"].astype(np.int64)
    order = np.argsort(emp_index, kind="stable")
    d = {k2: v[order] for k2, v in d.items()}
    emp_index = emp_index[order]
    relation = d["rel"].astype(np.int8)
    dbirth = d["birth"].astype(np.int64)
    disabled = d["disabled"].astype(bool)
    income = d["income"].astype(np.int64)
    cfrom = d["cfrom"].astype(np.int64)
    cuntil = d["cuntil"].astype(np.int64)
    dage = ref.year - years(dbirth)
    basic = d["primary"].astype(bool) & (
        ((relation == REL["spouse"]) & (income <= 1_000_000))
        | ((relation == REL["child"]) & ((dage <= 20) | disabled))
        | ((relation == REL["parent"]) & ((dage >= 60) | disabled) & (income <= 1_000_000))
    )
    rrns: list[str] = d["rrn"].tolist()
    dep_rrns = plants.pop("dependent_rrn")
    plants["dependent_pseudonym"] = cipher.pseudonym_digits_many(dep_rrns)
    relations = (
        "spouse",
        "child",
        "grandchild",
        "parent",
        "grandparent",
        "sibling",
        "foster_child",
    )
    from_s = dates(np.maximum(cfrom, 1))
    until_s = dates(np.maximum(cuntil, 1))
    columns: Columns = {
        "employee_id": emp_ids[emp_index].tolist(),
        "relation": [relations[r] for r in relation.tolist()],
        "name": d["name"].tolist(),
        "rrn_encrypted": cipher.encrypt_digits_many(rrns),
        "rrn_pseudonym": cipher.pseudonym_digits_many(rrns),
        "birth_date": dates(dbirth),
        "sex": ["F" if f else "M" for f in d["female"].tolist()],
        "disabled": disabled.tolist(),
        "same_household": d["household"].astype(bool).tolist(),
        "annual_income": income.tolist(),
        "public_servant": d["servant"].astype(bool).tolist(),
        "allowance_from": [s if x else None for x, s in zip(cfrom.tolist(), from_s, strict=True)],
        "allowance_until": [
            s if x else None for x, s in zip(cuntil.tolist(), until_s, strict=True)
        ],
    }
    return Families(
        columns,
        emp_index,
        relation,
        dbirth,
        d["female"].astype(bool),
        disabled,
        cfrom,
        cuntil,
        basic,
        plants,
    )
