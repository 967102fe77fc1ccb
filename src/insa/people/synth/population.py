"""The configuration and the whole-population plan: agencies, org units, who works where."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from insa.people.registry import OrgTree, active_agencies, allocate, build_org_units
from insa.people.synth.common import I64


@dataclass(frozen=True)
class SeedConfig:
    employees: int
    seed: int = 2025
    year: int = 2025
    chunk_size: int = 25_000

    @property
    def reference_date(self) -> dt.date:
        return dt.date(self.year, 12, 31)


@dataclass
class Population:
    """Whole-population assignments made once: agency, org unit and the org trees."""

    cfg: SeedConfig
    agency_of: I64
    tree: OrgTree
    agency_codes: dict[int, str]
    agency_female: dict[int, float]
    rrns_seen: set[int] = field(default_factory=set)


def plan(cfg: SeedConfig) -> Population:
    if cfg.employees < 1 or cfg.employees > 999_999:
        raise ValueError("employees must be between 1 and 999,999")
    rng = np.random.default_rng([cfg.seed, 0xA6E])
    active = active_agencies(cfg.reference_date)
    counts = allocate(cfg.employees, [a.staff for a in active])
    agency_of = np.repeat(np.array([a.id for a in active], dtype=np.int64), counts)
    rng.shuffle(agency_of)
    tree = build_org_units({a.id: c for a, c in zip(active, counts, strict=True)}, rng)
    return Population(
        cfg=cfg,
        agency_of=agency_of,
        tree=tree,
        agency_codes={a.id: a.code for a in active},
        agency_female={a.id: a.female_share for a in active},
    )
