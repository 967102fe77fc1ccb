"""The agency registry and the synthetic org-unit trees."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml


@dataclass(frozen=True)
class AgencyDef:
    id: int
    code: str
    name_ko: str
    name_en: str
    kind: str
    parent: str | None
    predecessor: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    domain: str
    staff: int
    female_share: float

    def active_on(self, on: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (
            self.valid_until is None or on <= self.valid_until
        )


@cache
def agencies() -> tuple[AgencyDef, ...]:
    raw: list[dict[str, Any]] = yaml.safe_load(
        resources.files("insa.people").joinpath("data/agencies.yaml").read_text(encoding="utf-8")
    )
    defs = tuple(
        AgencyDef(
            id=int(r["id"]),
            code=r["code"],
            name_ko=r["name_ko"],
            name_en=r.get("name_en", ""),
            kind=r["kind"],
            parent=r.get("parent"),
            predecessor=r.get("predecessor"),
            valid_from=r.get("valid_from"),
            valid_until=r.get("valid_until"),
            domain=r.get("domain", "korea.kr"),
            staff=int(r["staff"]),
            female_share=float(r.get("female_share", 0.47)),
        )
        for r in raw
    )
    ids = [a.id for a in defs]
    codes = [a.code for a in defs]
    if len(set(ids)) != len(ids) or len(set(codes)) != len(codes):
        raise ValueError("agencies.yaml: ids and codes must be unique")
    return defs


@dataclass(frozen=True)
class ExchangeOrg:
    """An organisation of the family-allowance exchange outside the agencies insa serves."""

    code: str
    kind: str  # election | court | military | local | education | public
    name_ko: str


@cache
def _exchange_doc() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(
        resources.files("insa.people").joinpath("data/organisations.yaml").read_text("utf-8")
    )
    return doc


@cache
def exchange_organisations() -> tuple[ExchangeOrg, ...]:
    """The election commission, the constitutional court, the military, and one local
    government and one education office per region, each with its own code."""
    doc = _exchange_doc()
    orgs = [ExchangeOrg(o["code"], o["kind"], o["name_ko"]) for o in doc["special"]]
    for r in doc["regions"]:
        orgs.append(ExchangeOrg(f"LG-{r['code']}", "local", r["name_ko"]))
        orgs.append(ExchangeOrg(f"EDU-{r['code']}", "education", f"{r['name_ko']}교육청"))
    codes = [o.code for o in orgs]
    clash = set(codes) & {a.code for a in agencies()}
    if len(set(codes)) != len(codes) or clash:
        raise ValueError(f"organisations.yaml: codes must be unique and not agency codes: {clash}")
    return tuple(orgs)


def exchange_organisation(code: str) -> ExchangeOrg | None:
    """The organisation a claim's ``source_org`` names: an agency insa serves, an exchange
    organisation, or a numbered public institution (``PI-0001``); None when unknown."""
    code = code.strip().upper()
    for a in agencies():
        if a.code == code:
            return ExchangeOrg(a.code, "central", a.name_ko)
    for o in exchange_organisations():
        if o.code == code:
            return o
    pi = _exchange_doc()["public_institution"]
    if re.fullmatch(pi["pattern"], code):
        return ExchangeOrg(code, "public", f"{pi['name_ko']} {code[3:]}")
    return None


def active_agencies(on: dt.date) -> list[AgencyDef]:
    return [a for a in agencies() if a.active_on(on)]


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` by ``weights`` (largest remainder), at least one each when possible."""
    w = np.asarray(weights, dtype=np.int64)
    floor_each = 1 if total >= 10 * len(w) else 0
    rest = total - floor_each * len(w)
    share = w * rest
    base = share // w.sum()
    remainder = share - base * w.sum()
    short = rest - int(base.sum())
    order = np.lexsort((np.arange(len(w)), -remainder))
    base[order[:short]] += 1
    return [int(b) + floor_each for b in base]


TOPICS = (
    "정책", "기획", "제도", "협력", "지원", "안전", "평가", "조사", "정보", "국제",
    "혁신", "산업", "서비스", "인재", "재정", "운영", "관리", "디지털", "미래", "균형",
)  # fmt: skip
REGIONS = (
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기",
    "강원", "충북", "충남", "전북", "전남", "경북", "경남", "제주",
)  # fmt: skip
REGIONAL_NAME = {
    "MSIT": "{r}지방우정청",
    "KNPA": "{r}경찰청",
    "MOJ": "{r}지방교정청",
    "SPO": "{r}지방검찰청",
    "NTS": "{r}지방국세청",
    "KCS": "{r}본부세관",
    "MOEL": "{r}지방고용노동청",
    "KCG": "{r}지방해양경찰청",
}
REGIONAL_DIVISIONS = (
    "총무과",
    "운영지원과",
    "민원실",
    "조사1과",
    "조사2과",
    "감사과",
    "정보통신과",
    "기획과",
)
PLANNING_DIVISIONS = ("기획재정담당관", "혁신행정담당관", "규제개혁법무담당관", "정보화담당관")


@dataclass
class OrgTree:
    """Flat org units (parallel lists) plus which units employees are placed in."""

    id: list[int]
    agency_id: list[int]
    parent_id: list[int | None]
    code: list[str]
    name: list[str]
    level: list[int]
    sort_order: list[int]
    leaves_by_agency: dict[int, np.ndarray]
    bureaus_by_agency: dict[int, np.ndarray]


def build_org_units(counts: dict[int, int], rng: np.random.Generator) -> OrgTree:
    tree = OrgTree([], [], [], [], [], [], [], {}, {})
    by_id = {a.id: a for a in agencies()}

    def add(agency: AgencyDef, parent: int | None, name: str, level: int) -> int:
        uid = len(tree.id) + 1
        tree.id.append(uid)
        tree.agency_id.append(agency.id)
        tree.parent_id.append(parent)
        tree.code.append(f"{agency.code}-{uid:05d}")
        tree.name.append(name)
        tree.level.append(level)
        tree.sort_order.append(len(tree.id))
        return uid

    for agency_id, count in sorted(counts.items()):
        if count <= 0:
            continue
        a = by_id[agency_id]
        leaves: list[int] = []
        bureaus: list[int] = []
        target = max(2, count // 30)
        regional = count > 3000
        hq_target = max(6, target // 7) if regional else target
        root = add(a, None, f"{a.name_ko} 본부", 1)
        plan = add(a, root, "기획조정실", 2)
        bureaus.append(plan)
        for d in PLANNING_DIVISIONS[: max(1, min(4, hq_target // 3))]:
            leaves.append(add(a, plan, d, 3))
        leaves.append(add(a, root, "운영지원과", 2))
        used: set[str] = set()
        remaining = max(1, hq_target - len(leaves))
        while remaining > 0:
            t1, t2 = rng.choice(len(TOPICS), size=2, replace=False)
            bname = f"{TOPICS[t1]}{TOPICS[t2]}국"
            if bname in used:
                bname = f"{TOPICS[t1]}{TOPICS[t2]}{len(used) + 1}국"
            used.add(bname)
            bureau = add(a, root, bname, 2)
            bureaus.append(bureau)
            for k in range(min(remaining, int(rng.integers(3, 7)))):
                t3 = int(rng.integers(len(TOPICS)))
                leaves.append(add(a, bureau, f"{TOPICS[t1]}{TOPICS[t3]}{k + 1}과", 3))
                remaining -= 1
        if regional:
            per_region = max(3, (target - hq_target) // len(REGIONS))
            pattern = REGIONAL_NAME.get(a.code, "{r}지방" + a.name_ko.rstrip("부처청") + "청")
            for r in REGIONS:
                office = add(a, root, pattern.format(r=r), 2)
                bureaus.append(office)
                for k in range(per_region):
                    base = REGIONAL_DIVISIONS[k % len(REGIONAL_DIVISIONS)]
                    suffix = (
                        "" if k < len(REGIONAL_DIVISIONS) else str(k // len(REGIONAL_DIVISIONS) + 1)
                    )
                    leaves.append(add(a, office, f"{base}{suffix}", 3))
        tree.leaves_by_agency[agency_id] = np.array(leaves, dtype=np.int64)
        tree.bureaus_by_agency[agency_id] = np.array(bureaus, dtype=np.int64)
    return tree
