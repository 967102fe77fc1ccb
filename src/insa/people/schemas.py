"""The shapes of people records as the pages, the API and the CLI see them (no ciphertext:
resident numbers only masked)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pydantic import BaseModel


@dataclass(frozen=True)
class EmployeeRow:
    id: int
    employee_no: str
    name: str
    agency_code: str
    agency_name: str
    org_unit: str
    grade: str
    step: int
    position: str | None
    status: str  # 재직 / 휴직 / 퇴직


@dataclass(frozen=True)
class EmployeeDetail(EmployeeRow):
    rrn_masked: str
    birth_date: dt.date
    sex: str
    hire_date: dt.date
    email: str | None
    phone: str | None
    org_path: str


@dataclass(frozen=True)
class DependentRow:
    id: int
    relation: str
    name: str
    rrn_masked: str
    birth_date: dt.date
    disabled: bool
    same_household: bool
    public_servant: bool
    annual_income: int
    allowance_from: dt.date | None
    allowance_until: dt.date | None


class AgencyOut(BaseModel):
    id: int
    code: str
    name_ko: str
    kind: str
    valid_from: dt.date | None
    valid_until: dt.date | None


class EmployeePage(BaseModel):
    items: list[EmployeeRow]
    total: int
    total_is_lower_bound: bool = False  # true when more than `total` (10,000) matched
    page: int
    size: int
    pages: int


class PayrollOut(BaseModel):
    year: int
    month: int
    base_pay: int
    position_allowance: int
    longevity_allowance: int
    longevity_bonus: int
    holiday_bonus: int
    family_allowance: int
    overtime_allowance: int
    meal_allowance: int
    gross_pay: int
    taxable_pay: int
    nontaxable_pay: int
    income_tax: int
    local_income_tax: int
    pension_contribution: int
    health_insurance: int
    long_term_care: int
    net_pay: int


class OrgUnitOut(BaseModel):
    id: int
    name: str
    level: int
