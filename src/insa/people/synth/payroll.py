"""A chunk's year of payroll: the inputs of :func:`insa.people.payroll.compute`, and its rows."""

from __future__ import annotations

import numpy as np

from insa.people import payroll as pay
from insa.people.synth.common import Columns
from insa.people.synth.dependents import Families
from insa.people.synth.employees import Employees
from insa.people.synth.population import SeedConfig
from insa.rules.family_allowance import DependentArrays, monthly_amounts


def pay_inputs(
    rng: np.random.Generator, cfg: SeedConfig, e: Employees, fam: Families
) -> pay.PayInputs:
    """Grade, step and paid months of each employee, the family allowance their dependents'
    claims give (eligibility not enforced: planted claims are paid), the withholding family
    count (the employee and those they take a basic deduction for) and drawn overtime."""
    n = len(e.ids)
    dep_arrays = DependentArrays(
        employee=fam.emp_index,
        relation=fam.relation,
        birth_ord=fam.birth,
        female=fam.female,
        disabled=fam.disabled,
        claim_from=fam.claim_from,
        claim_until=fam.claim_until,
    )
    family_paid, _ = monthly_amounts(dep_arrays, n, cfg.year, enforce_eligibility=False)
    withholding_family = 1 + np.bincount(fam.emp_index[fam.basic_deduction], minlength=n).astype(
        np.int64
    )
    ot_hours = rng.poisson(9, (n, 12)).astype(np.int64)
    return pay.PayInputs(
        grade=e.grade,
        step=e.step.astype(np.int16),
        hire_ord=e.hire,
        scs_annual=e.scs_annual,
        overtime_hours=ot_hours,
        paid=e.paid,
        family_allowance=family_paid,
        withholding_family=withholding_family,
    )


def payroll_columns(cfg: SeedConfig, e: Employees, inputs: pay.PayInputs, id0: int) -> Columns:
    """The ``payroll`` rows, one per employee and paid month, ids from ``id0``."""
    cols = pay.compute(inputs, cfg.year)
    ei, mi = np.nonzero(e.paid)
    n_pay = len(ei)
    payroll: Columns = {
        "id": list(range(id0, id0 + n_pay)),
        "employee_id": e.ids[ei].tolist(),
        "agency_id": e.agency[ei].tolist(),
        "year": [cfg.year] * n_pay,
        "month": (mi + 1).tolist(),
    }
    for c in pay.PAY_COLUMNS:
        payroll[c] = cols[c][ei, mi].tolist()
    payroll["withholding_family_count"] = inputs.withholding_family[ei].tolist()
    return payroll
