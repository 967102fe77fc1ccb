"""The organisations that report claims: codes by kind, row weights (≈ staff), keyless ones."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

# the 17 regions (metropolitan cities and provinces), with population in millions
REGIONS: tuple[tuple[str, float], ...] = (
    ("SEOUL", 9.4), ("GYEONGGI", 13.6), ("BUSAN", 3.3), ("GYEONGNAM", 3.2), ("INCHEON", 3.0),
    ("GYEONGBUK", 2.5), ("DAEGU", 2.4), ("CHUNGNAM", 2.1), ("JEONNAM", 1.8), ("JEONBUK", 1.7),
    ("CHUNGBUK", 1.6), ("GANGWON", 1.5), ("DAEJEON", 1.4), ("GWANGJU", 1.4), ("ULSAN", 1.1),
    ("JEJU", 0.7), ("SEJONG", 0.4),
)  # fmt: skip
LOCAL_STAFF = 380_000  # local officials, by region population
EDU_STAFF = 520_000  # teachers and education-office staff, by region population
# the special organisations of the exchange (codes from people/data/organisations.yaml)
SPECIALS: tuple[tuple[str, str, float], ...] = (
    ("MIL", "military", 190_000.0),  # career soldiers (the ministry's civilians are MND)
    ("NEC", "election", 3_000.0),
    ("CCOURT", "court", 350.0),
)


@dataclass(frozen=True)
class Org:
    code: str
    kind: str
    weight: float
    keyless: bool


def organisations(n: int, rng: np.random.Generator, keyless_share: float, as_of: str) -> list[Org]:
    """``n`` organisations with realistic codes by kind and row weights (≈ staff)."""
    if n < 8:
        raise ValueError("at least 8 organisations")
    from insa.people.registry import active_agencies

    year, month = (int(x) for x in as_of.split("-"))
    central = sorted(active_agencies(dt.date(year, month, 1)), key=lambda a: (-a.staff, a.code))
    n_lg = n_edu = min(len(REGIONS), round(0.11 * n))
    n_central = min(len(central), round(0.38 * n))
    n_pi = n - len(SPECIALS) - n_lg - n_edu - n_central
    if n_pi < 1:
        n_central += n_pi - 1
        n_pi = 1
    pop = sum(p for _, p in REGIONS)
    orgs = [Org(code, kind, w, False) for code, kind, w in SPECIALS]
    orgs += [Org(a.code, "central", float(a.staff), False) for a in central[:n_central]]
    orgs += [Org(f"LG-{r}", "local", LOCAL_STAFF * p / pop, False) for r, p in REGIONS[:n_lg]]
    orgs += [Org(f"EDU-{r}", "education", EDU_STAFF * p / pop, False) for r, p in REGIONS[:n_edu]]
    pi_w = np.exp(rng.normal(np.log(3000.0), 0.9, n_pi))
    orgs += [Org(f"PI-{i + 1:04d}", "public", float(w), False) for i, w in enumerate(pi_w)]
    k = round(keyless_share * n)
    if keyless_share > 0:
        k = max(k, 1)
    # drawn among public institutions and central agencies (local governments, education
    # offices and the special organisations have resident numbers)
    order = [i for i, o in enumerate(orgs) if o.kind in ("public", "central")]
    order = [order[j] for j in rng.permutation(len(order))]
    keyless = set(order[:k])
    return [Org(o.code, o.kind, o.weight, i in keyless) for i, o in enumerate(orgs)]
