"""The employees of a chunk: careers, pay steps, paid months, posts and identities."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from insa.params import load
from insa.people.grades import GRADE_CODES, GRADES, POSITIONS
from insa.people.paytable import general_table
from insa.people.synth.common import I64, Bool, Columns, dates
from insa.people.synth.names import names_for
from insa.people.synth.population import Population
from insa.people.synth.rrns import make_rrns
from insa.security.crypto import RRNCipher

I8 = npt.NDArray[np.int8]

# grade shares (SCS, 1급 … 9급) of the national civil service, approximate
GRADE_SHARES = np.array([0.004, 0.0005, 0.001, 0.012, 0.06, 0.14, 0.26, 0.24, 0.16, 0.1225])
# completed years of service by grade: (low, high)
SERVICE_YEARS = [
    (20, 35),
    (25, 36),
    (22, 35),
    (18, 33),
    (12, 32),
    (5, 32),
    (8, 33),
    (2, 25),
    (1, 15),
    (0, 8),
]
POSITION_IDS = {p.code: i + 1 for i, p in enumerate(POSITIONS)}
GRADE_IDS = {g.code: i + 1 for i, g in enumerate(GRADES)}
RETIREMENT_AGE = 60


@dataclass
class Employees:
    """A chunk's employees as parallel arrays (position in the chunk = index)."""

    ids: I64
    agency: I64
    female: Bool
    grade: I8  # index into GRADE_CODES
    birth: I64  # ordinal
    hire: I64  # ordinal
    birth_year: I64
    age: I64  # at the reference date, in calendar years
    pay_table: I64  # base pay by grade and step
    step: I64
    scs_annual: I64  # senior executives' annual salary (0 for the others)
    status: npt.NDArray[Any]
    paid: Bool  # (n, 12): paid in each month of the year
    position: I64
    unit: I64
    names: list[str]
    rrn: list[str]
    employee_no: list[str]
    phone: list[str]


def draw_employees(rng: np.random.Generator, pop: Population, start: int, stop: int) -> Employees:
    """Employees ``start`` … ``stop`` − 1 of the population (ids start at 1)."""
    cfg = pop.cfg
    ref = cfg.reference_date
    ids = np.arange(start + 1, stop + 1, dtype=np.int64)
    agency = pop.agency_of[start:stop]
    fshare = np.array([pop.agency_female[int(a)] for a in agency])
    female, grade, birth, hire = draw_careers(rng, ref, fshare)
    birth_year = np.array([dt.date.fromordinal(int(b)).year for b in birth], dtype=np.int64)
    table, step, scs_annual = draw_steps(rng, cfg.year, ref.toordinal(), female, grade, hire)
    status, paid = draw_paid_months(rng, cfg.year, hire)
    position, unit = draw_posts(rng, pop, agency, grade)
    names = names_for(rng, female, birth_year)
    rrn = make_rrns(rng, birth, female, pop.rrns_seen)
    emp_no = [
        f"{dt.date.fromordinal(h).year}{i:06d}"
        for h, i in zip(hire.tolist(), ids.tolist(), strict=True)
    ]
    return Employees(
        ids=ids,
        agency=agency,
        female=female,
        grade=grade,
        birth=birth,
        hire=hire,
        birth_year=birth_year,
        age=ref.year - birth_year,
        pay_table=table,
        step=step,
        scs_annual=scs_annual,
        status=status,
        paid=paid,
        position=position,
        unit=unit,
        names=names,
        rrn=rrn,
        employee_no=emp_no,
        phone=draw_phones(rng, len(ids)),
    )


def draw_careers(
    rng: np.random.Generator, ref: dt.date, female_share: npt.NDArray[np.float64]
) -> tuple[Bool, I8, I64, I64]:
    """Sex, grade, birth and hire dates: service years by grade, hired at about 28, nobody
    past the retirement age at the reference date ``ref``."""
    n = len(female_share)
    ref_o = ref.toordinal()
    female = rng.random(n) < female_share
    grade = rng.choice(len(GRADE_CODES), size=n, p=GRADE_SHARES / GRADE_SHARES.sum()).astype(
        np.int8
    )
    lo = np.array([s[0] for s in SERVICE_YEARS])[grade]
    hi = np.array([s[1] for s in SERVICE_YEARS])[grade]
    service_days = ((lo + rng.random(n) * (hi - lo + 1)) * 365.25).astype(np.int64)
    hire = ref_o - service_days
    age_at_hire_days = (np.clip(rng.normal(28.5, 3.0, n), 20, 39) * 365.25).astype(np.int64)
    birth = hire - age_at_hire_days
    # nobody past the retirement age at the reference date
    oldest = dt.date(ref.year - RETIREMENT_AGE, 1, 1).toordinal()
    too_old = birth < oldest
    birth = np.where(too_old, oldest + rng.integers(0, 3 * 365, n), birth)
    hire = np.maximum(hire, birth + (20 * 365.25)).astype(np.int64)
    return female, grade, birth, hire


def draw_steps(
    rng: np.random.Generator, year: int, ref_o: int, female: Bool, grade: I8, hire: I64
) -> tuple[I64, I64, I64]:
    """The pay table of ``year``, each employee's step (years of service, military service
    for most men) and the senior executives' annual salaries."""
    n = len(grade)
    table, max_step, _ = general_table(dt.date(year, 1, 1))
    max_by_grade = np.array([max_step.get(c, 0) for c in GRADE_CODES], dtype=np.int64)
    years = (ref_o - hire) // 365
    army = (~female) & (rng.random(n) < 0.85)
    step = np.clip(1 + years + 2 * army + rng.integers(0, 3, n), 1, max_by_grade[grade])
    scs = grade == GRADE_CODES.index("SCS")
    step = np.where(scs, 0, step)
    se = load("people").get("pay.senior_executive_annual", dt.date(year, 1, 1))
    scs_annual = np.where(
        scs,
        rng.integers(se["lower"] // 1000, se["upper"] // 1000 + 1, n) * 1000,
        0,
    )
    return table, step, scs_annual


def draw_paid_months(
    rng: np.random.Generator, year: int, hire: I64
) -> tuple[npt.NDArray[Any], Bool]:
    """Status at the reference date and the months paid: from hiring, until the month of
    leave or retirement (drawn within the year)."""
    n = len(hire)
    u = rng.random(n)
    status = np.where(u < 0.012, "retired", np.where(u < 0.012 + 0.055, "leave", "active"))
    off_month = rng.integers(2, 13, n)  # first month no longer paid
    months = np.arange(1, 13)[None, :]
    hire_month = np.array(
        [
            (d.month if d.year == year else (1 if d.year < year else 13))
            for d in map(dt.date.fromordinal, hire.tolist())
        ]
    )
    paid = (months >= hire_month[:, None]) & (
        (status == "active")[:, None] | (months < off_month[:, None])
    )
    return status, paid


def draw_posts(
    rng: np.random.Generator, pop: Population, agency: I64, grade: I8
) -> tuple[I64, I64]:
    """Positions by grade, and org units: bureaus for grade 2 and above, else team leaves."""
    n = len(grade)
    pos_code = np.full(n, "OFF", dtype=object)
    g = grade
    r = rng.random(n)
    pos_code[(g <= 4) & (g >= 3)] = "SEC"
    pos_code[(g == 4) & (r < 0.5)] = "DIR"
    pos_code[(g == 3) & (r < 0.7)] = "DIR"
    pos_code[(g == 3) & (r >= 0.7)] = "DG"
    pos_code[g == 5] = "ADM"
    pos_code[(g == 5) & (r < 0.15)] = "TL"
    pos_code[(g == 2)] = "DG"
    pos_code[(g <= 1)] = np.where(r[g <= 1] < 0.5, "HEAD", "DG")
    position = np.array([POSITION_IDS[c] for c in pos_code], dtype=np.int64)
    high = g <= 2
    unit = np.empty(n, dtype=np.int64)
    for a in np.unique(agency):
        sel = agency == a
        leaves = pop.tree.leaves_by_agency[int(a)]
        bureaus = pop.tree.bureaus_by_agency[int(a)]
        unit[sel] = leaves[rng.integers(0, len(leaves), int(sel.sum()))]
        hs = sel & high
        unit[hs] = bureaus[rng.integers(0, len(bureaus), int(hs.sum()))]
    return position, unit


def draw_phones(rng: np.random.Generator, n: int) -> list[str]:
    return [
        f"010-{a:04d}-{b:04d}"
        for a, b in zip(
            rng.integers(2000, 10000, n).tolist(), rng.integers(0, 10000, n).tolist(), strict=True
        )
    ]


def employee_columns(e: Employees, cipher: RRNCipher) -> Columns:
    """The ``employees`` rows."""
    return {
        "id": e.ids.tolist(),
        "agency_id": e.agency.tolist(),
        "employee_no": e.employee_no,
        "name": e.names,
        "rrn_encrypted": cipher.encrypt_digits_many(e.rrn),
        "rrn_pseudonym": cipher.pseudonym_digits_many(e.rrn),
        "birth_date": dates(e.birth),
        "sex": ["F" if f else "M" for f in e.female.tolist()],
        "hire_date": dates(e.hire),
        "grade_id": [GRADE_IDS[GRADE_CODES[x]] for x in e.grade.tolist()],
        "step": e.step.tolist(),
        "org_unit_id": e.unit.tolist(),
        "position_id": e.position.tolist(),
        "status": e.status.tolist(),
        "email": [f"u{no}@korea.kr" for no in e.employee_no],
        "phone": e.phone,
    }
