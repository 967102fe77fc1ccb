"""The population chunk by chunk: employees, their families, payroll and planted claims."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from insa.people.synth.accounts import account_columns
from insa.people.synth.common import Columns
from insa.people.synth.employees import draw_employees, employee_columns
from insa.people.synth.families import draw_families
from insa.people.synth.payroll import pay_inputs, payroll_columns
from insa.people.synth.population import Population
from insa.security.crypto import RRNCipher


@dataclass
class Chunk:
    employees: Columns
    dependents: Columns
    payroll: Columns
    plants: Columns
    accounts: Columns
    n_employees: int
    n_dependents: int
    n_payroll: int


def generate(pop: Population, cipher: RRNCipher) -> Iterator[Chunk]:
    """Yield the population chunk by chunk (employee ids continue across chunks)."""
    cfg = pop.cfg
    next_dep = 1
    next_pay = 1
    next_plant = 1
    for ci, start in enumerate(range(0, cfg.employees, cfg.chunk_size)):
        stop = min(start + cfg.chunk_size, cfg.employees)
        chunk = generate_chunk(pop, cipher, ci, start, stop, next_dep, next_pay, next_plant)
        next_dep += chunk.n_dependents
        next_pay += chunk.n_payroll
        next_plant += len(chunk.plants["id"])
        yield chunk


def generate_chunk(
    pop: Population,
    cipher: RRNCipher,
    ci: int,
    start: int,
    stop: int,
    dep_id0: int,
    pay_id0: int,
    plant_id0: int,
) -> Chunk:
    """Employees ``start`` … ``stop`` − 1 with their families and payroll, drawn from a
    generator seeded with the seed and the chunk number ``ci`` (resident numbers stay unique
    across chunks, ``pop.rrns_seen``); rows are numbered from the ids given."""
    cfg = pop.cfg
    rng = np.random.default_rng([cfg.seed, 1 + ci])
    e = draw_employees(rng, pop, start, stop)
    employees = employee_columns(e, cipher)
    fam = draw_families(rng, pop, e, cipher)
    deps = fam.columns
    n_dep = len(deps["employee_id"])
    deps["id"] = list(range(dep_id0, dep_id0 + n_dep))
    payroll = payroll_columns(cfg, e, pay_inputs(rng, cfg, e, fam), pay_id0)
    plants = fam.plants
    plants["id"] = list(range(plant_id0, plant_id0 + len(plants["kind"])))
    accounts = account_columns(cfg.seed, ci, e.ids, e.names, cipher)
    return Chunk(employees, deps, payroll, plants, accounts, len(e.ids), n_dep, len(payroll["id"]))
