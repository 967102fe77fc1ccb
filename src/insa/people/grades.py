"""Grades (직급) and positions (직위) — the fixed catalogue the generator and importer use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GradeDef:
    code: str
    name_ko: str
    pay_family: str  # general_service: 일반직 봉급표 · senior_executive: 고위공무원 연봉제
    rank: int


GRADES: tuple[GradeDef, ...] = (
    GradeDef("SCS", "고위공무원단", "senior_executive", 0),
    GradeDef("G1", "1급", "general_service", 1),
    GradeDef("G2", "2급", "general_service", 2),
    GradeDef("G3", "3급", "general_service", 3),
    GradeDef("G4", "4급", "general_service", 4),
    GradeDef("G5", "5급", "general_service", 5),
    GradeDef("G6", "6급", "general_service", 6),
    GradeDef("G7", "7급", "general_service", 7),
    GradeDef("G8", "8급", "general_service", 8),
    GradeDef("G9", "9급", "general_service", 9),
)
GRADE_CODES = tuple(g.code for g in GRADES)
GRADE_BY_NAME = {g.name_ko: g for g in GRADES} | {g.code: g for g in GRADES}


@dataclass(frozen=True)
class PositionDef:
    code: str
    name_ko: str
    is_manager: bool


POSITIONS: tuple[PositionDef, ...] = (
    PositionDef("HEAD", "실장", True),
    PositionDef("DG", "국장", True),
    PositionDef("DIR", "과장", True),
    PositionDef("TL", "팀장", True),
    PositionDef("SEC", "서기관", False),
    PositionDef("ADM", "사무관", False),
    PositionDef("OFF", "주무관", False),
)
POSITION_BY_NAME = {p.name_ko: p for p in POSITIONS} | {p.code: p for p in POSITIONS}
