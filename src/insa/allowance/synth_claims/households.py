"""Claimants and their households: the base claims, one per dependent, before any plant.

Claimants hold 1–6 dependents (spouse, children, parents, a few others); every dependent is a
distinct person, claimed once, with a random 64-hex key (as if an HMAC). Birth dates are days
since 1970-01-01, months are month indexes (:func:`insa.allowance.claims.month_index`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from insa.allowance.synth_claims.common import (
    AMOUNT_CHILD,
    AMOUNT_OTHER,
    AMOUNT_SPOUSE,
    ASCENDANT,
    CHILD,
    F64,
    I32,
    I64,
    OTHER,
    SPOUSE,
    U8,
    AsOf,
    Bool,
    days,
    month_of_days,
    uniform_int,
)
from insa.allowance.synth_claims.names import draw_names, surnames
from insa.allowance.synth_claims.orgs import Org

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


@dataclass
class Claimants:
    org: I64
    female: Bool
    dob: I64
    surname: I64  # index into the surnames
    name: I32  # (n, 4) syllable codes + 1
    key: U8  # (n, 64) hex digits
    hired: I64  # month
    dependents: I64  # how many dependents (base claims) each has


@dataclass
class Dependents:
    """One person per base claim, in claimant order (namesake decoys rewrite some)."""

    claimant: I64
    rel: I64
    dob: I64
    name: I32
    key: U8
    group: I64  # birth-date group (namesakes share one)


@dataclass
class BaseClaims:
    """The claim of each dependent (split-children decoys move some to the other spouse)."""

    claimant: I64
    org: I64
    keyless: Bool
    child_order: I64
    amount: I64
    birth_m: I64  # the dependent's month of birth
    start: I64
    end: I64  # -1: open


@dataclass
class World:
    """Organisations, claimants, dependents and base claims: what plants and decoys draw on."""

    asof: AsOf
    codes: list[str]  # organisation codes
    org_keyless: Bool
    org_weight: F64
    claimants: Claimants
    deps: Dependents
    base: BaseClaims

    @property
    def has_keyless(self) -> bool:
        return bool(self.org_keyless.any())


def hex_keys(rng: np.random.Generator, n: int) -> U8:
    """n random 64-hex-digit keys (as if HMAC-SHA256) as an (n, 64) byte matrix."""
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    out = np.empty((n, 64), dtype=np.uint8)
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    return out


def draw_world(rng: np.random.Generator, org_list: list[Org], base: int, asof: AsOf) -> World:
    """Claimants at the organisations, holding ``base`` dependents with one claim each."""
    sur = surnames()
    weights = np.array([o.weight for o in org_list])
    claimants = draw_claimants(rng, base, weights, sur, asof)
    deps = draw_dependents(rng, claimants, base, sur, asof)
    org_keyless = np.array([o.keyless for o in org_list], dtype=np.bool_)
    return World(
        asof=asof,
        codes=[o.code for o in org_list],
        org_keyless=org_keyless,
        org_weight=weights,
        claimants=claimants,
        deps=deps,
        base=draw_base_claims(rng, claimants, deps, org_keyless, asof),
    )


def draw_claimants(
    rng: np.random.Generator,
    base: int,
    weights: F64,
    sur: tuple[list[list[int]], F64],
    asof: AsOf,
) -> Claimants:
    """As many claimants as hold ``base`` dependents; every organisation has one at least."""
    sur_codes, sur_w = sur
    n_org = len(weights)
    per = np.array([1, 2, 3, 4, 5, 6])
    per_p = np.array([0.30, 0.30, 0.22, 0.11, 0.05, 0.02])
    counts = rng.choice(per, size=base // 2 + 16, p=per_p)
    cum = np.cumsum(counts)
    n_c = int(np.searchsorted(cum, base)) + 1
    counts = counts[:n_c]
    counts[-1] -= int(cum[n_c - 1]) - base
    c_org = rng.choice(n_org, size=n_c, p=weights / weights.sum())
    c_org[: min(n_org, n_c)] = np.arange(min(n_org, n_c))  # every organisation reports
    c_female = rng.random(n_c) < 0.45
    c_dob = uniform_int(rng, days(dt.date(1962, 1, 1)), days(dt.date(2000, 12, 31)), n_c)
    c_sur = rng.choice(len(sur_codes), size=n_c, p=sur_w)
    c_name, _ = draw_names(rng, n_c, c_female, c_sur, sur_codes)
    c_key = hex_keys(rng, n_c)
    c_hired = np.minimum(
        month_of_days(c_dob) + uniform_int(rng, 23 * 12, 33 * 12, n_c), asof.month - 1
    )
    return Claimants(c_org, c_female, c_dob, c_sur, c_name, c_key, c_hired, counts)


def draw_dependents(
    rng: np.random.Generator,
    c: Claimants,
    base: int,
    sur: tuple[list[list[int]], F64],
    asof: AsOf,
) -> Dependents:
    """The dependents of each claimant: relation, birth date, name (children and, half the
    time, parents and others carry the claimant's surname) and key."""
    sur_codes, sur_w = sur
    counts = c.dependents
    p_claimant = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    pos = np.arange(base) - first[p_claimant]
    u = rng.random(base)
    p_rel = np.where(u < 0.66, CHILD, np.where(u < 0.95, ASCENDANT, OTHER)).astype(np.int64)
    p_rel[(pos == 0) & (rng.random(base) < 0.5)] = SPOUSE
    cd = c.dob[p_claimant]
    child_lo = np.maximum(asof.child_floor, cd + 20 * 365)
    p_dob = np.select(
        [p_rel == CHILD, p_rel == SPOUSE, p_rel == ASCENDANT],
        [
            uniform_int(rng, child_lo, asof.last_day, base),
            cd + np.round(rng.normal(0, 3 * 365, base)).astype(np.int64),
            cd - uniform_int(rng, 20 * 365, 38 * 365, base),
        ],
        cd + uniform_int(rng, -10 * 365, 10 * 365, base),
    )
    p_dob = np.minimum(p_dob, asof.last_day)
    cfem = c.female[p_claimant]
    p_female = np.where(p_rel == SPOUSE, ~cfem, rng.random(base) < 0.5)
    own = ((p_rel == CHILD) & ~cfem) | (
        ((p_rel == ASCENDANT) | (p_rel == OTHER)) & (rng.random(base) < 0.5)
    )
    p_sur = np.where(own, c.surname[p_claimant], rng.choice(len(sur_codes), size=base, p=sur_w))
    p_name, _ = draw_names(rng, base, p_female, p_sur, sur_codes)
    p_key = hex_keys(rng, base)
    p_group = np.arange(base, dtype=np.int64)
    return Dependents(p_claimant, p_rel, p_dob, p_name, p_key, p_group)


def child_orders(d: Dependents) -> I64:
    """Each child's rank by birth date among the claimant's children (0 for the others)."""
    child_order = np.zeros(len(d.rel), dtype=np.int64)
    kids = np.flatnonzero(d.rel == CHILD)
    kids = kids[np.lexsort((d.dob[kids], d.claimant[kids]))]
    kc = d.claimant[kids]
    kfirst = np.r_[True, kc[1:] != kc[:-1]]
    kstart = np.maximum.accumulate(np.where(kfirst, np.arange(len(kids)), 0))
    child_order[kids] = np.arange(len(kids)) - kstart + 1
    return child_order


def amounts(rel: I64, child_order: I64) -> I64:
    """Monthly amounts: spouse, children by order, everyone else."""
    out: I64 = np.where(
        rel == SPOUSE,
        AMOUNT_SPOUSE,
        np.where(
            rel == CHILD,
            np.array(AMOUNT_CHILD)[np.clip(child_order - 1, 0, 2)],
            AMOUNT_OTHER,
        ),
    ).astype(np.int64)
    return out


def draw_base_claims(
    rng: np.random.Generator, c: Claimants, d: Dependents, org_keyless: Bool, asof: AsOf
) -> BaseClaims:
    """Each dependent's claim at the claimant's organisation: amount and months.

    A claim starts up to 15 years before ``as_of`` (spouses 25, others 10), never before the
    birth or the hiring; 1 % start only after ``as_of``; 10 % of those begun are closed.
    """
    base = len(d.rel)
    child_order = child_orders(d)
    amount = amounts(d.rel, child_order)
    birth_m = month_of_days(d.dob)
    back = np.select(
        [d.rel == CHILD, d.rel == SPOUSE, d.rel == ASCENDANT],
        [
            uniform_int(rng, 0, 180, base),
            uniform_int(rng, 0, 300, base),
            uniform_int(rng, 0, 180, base),
        ],
        uniform_int(rng, 0, 120, base),
    )
    asof_m = asof.month
    start = np.maximum(np.maximum(asof_m - back, birth_m), c.hired[d.claimant])
    future = rng.random(base) < 0.01
    start[future] = asof_m + uniform_int(rng, 1, 3, int(future.sum()))
    end = np.full(base, -1, dtype=np.int64)
    closed = (rng.random(base) < 0.10) & (start < asof_m)
    end[closed] = uniform_int(rng, start[closed], asof_m - 1, int(closed.sum()))
    b_org = c.org[d.claimant]
    return BaseClaims(
        claimant=d.claimant.copy(),
        org=b_org,
        keyless=org_keyless[b_org],
        child_order=child_order,
        amount=amount,
        birth_m=birth_m,
        start=start,
        end=end,
    )
