"""SQLAlchemy 2 typed models for the core HR records.

Resident numbers are stored only as AES-GCM ciphertext (``rrn_encrypted``) plus the keyed
pseudonym (``rrn_pseudonym``, HMAC-SHA256 hex). Money columns are integer won.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from insa.db.base import Base, Money


class Agency(Base):
    """기관: a central administrative agency or other body served by insa."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_ko: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # 부 처 청 위원회 기타
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))  # 청 under its 부
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    domain: Mapped[str | None] = mapped_column(String(64))


class OrgUnit(Base):
    """조직: a unit in an agency's tree (본부 → 실·국 → 과, 소속기관 → 과)."""

    __tablename__ = "org_units"
    __table_args__ = (
        UniqueConstraint("agency_id", "code"),
        # the search page's bureau list (levels 1–2 of one agency) without reading the
        # agency's every unit (경찰청 has 5,814)
        Index("ix_org_units_agency_level", "agency_id", "level", "sort_order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[int] = mapped_column(SmallInteger)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class Grade(Base):
    """직급: 1–9급 and 고위공무원단, each with the pay-table family it is paid from."""

    __tablename__ = "grades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_ko: Mapped[str] = mapped_column(String(32))
    pay_family: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(SmallInteger)  # 0 = highest
    max_step: Mapped[int | None] = mapped_column(SmallInteger)


class Position(Base):
    """직위: the post an employee holds (국장, 과장, 팀장, 주무관 …)."""

    __tablename__ = "positions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_ko: Mapped[str] = mapped_column(String(32))
    is_manager: Mapped[bool] = mapped_column(default=False)


class Employee(Base):
    """직원."""

    __tablename__ = "employees"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
        CheckConstraint("status IN ('active', 'leave', 'retired')", name="status"),
        CheckConstraint("step >= 0", name="step"),
        Index(
            "ix_employees_agency_name",
            "agency_id",
            "name",
            postgresql_ops={"name": "varchar_pattern_ops"},
        ),
        Index("ix_employees_name", "name", postgresql_ops={"name": "varchar_pattern_ops"}),
        Index(
            "ix_employees_no_prefix",
            "employee_no",
            postgresql_ops={"employee_no": "varchar_pattern_ops"},
        ),
        Index("ix_employees_agency_org", "agency_id", "org_unit_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    employee_no: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    rrn_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    rrn_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    hire_date: Mapped[dt.date] = mapped_column(Date)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    step: Mapped[int] = mapped_column(SmallInteger)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    status: Mapped[str] = mapped_column(String(8), default="active")
    email: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))

    def __repr__(self) -> str:  # never the RRN, not even encrypted
        return f"Employee(id={self.id!r}, employee_no={self.employee_no!r})"


class Dependent(Base):
    """부양가족 of an employee, with the family-allowance claim period."""

    __tablename__ = "dependents"
    __table_args__ = (
        CheckConstraint(
            "relation IN ('spouse', 'child', 'grandchild', 'parent', 'grandparent', "
            "'sibling', 'foster_child')",
            name="relation",
        ),
        CheckConstraint("annual_income >= 0", name="income"),
        UniqueConstraint("employee_id", "rrn_pseudonym"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(50))
    rrn_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    rrn_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    disabled: Mapped[bool] = mapped_column(default=False)
    same_household: Mapped[bool] = mapped_column(default=True)
    annual_income: Mapped[int] = mapped_column(Money, default=0)
    public_servant: Mapped[bool] = mapped_column(default=False)
    allowance_from: Mapped[dt.date | None] = mapped_column(Date)
    allowance_until: Mapped[dt.date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"Dependent(id={self.id!r}, employee_id={self.employee_id!r})"


class SalaryAccount(Base):
    """급여계좌: the account an employee's pay and travel expenses go to. The number is sealed
    with the data key (``insa.people.accounts``), never stored or logged in clear."""

    __tablename__ = "salary_accounts"
    __table_args__ = (CheckConstraint("length(bank_code) = 3", name="bank_code"),)

    employee_id: Mapped[int] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE"), primary_key=True
    )
    bank_code: Mapped[str] = mapped_column(String(3))
    number_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    holder: Mapped[str] = mapped_column(String(50))  # 예금주
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:  # never the number, not even sealed
        return f"SalaryAccount(employee_id={self.employee_id!r}, bank_code={self.bank_code!r})"


class Payroll(Base):
    """급여: one employee's pay for one month. Items are documented in ``pay_items``."""

    __tablename__ = "payroll"
    __table_args__ = (
        UniqueConstraint("employee_id", "year", "month"),
        Index("ix_payroll_agency_period", "agency_id", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    base_pay: Mapped[int] = mapped_column(Money)  # 봉급
    position_allowance: Mapped[int] = mapped_column(Money)  # 직급보조비
    longevity_allowance: Mapped[int] = mapped_column(Money)  # 정근수당
    longevity_bonus: Mapped[int] = mapped_column(Money)  # 정근수당 가산금
    holiday_bonus: Mapped[int] = mapped_column(Money)  # 명절휴가비
    family_allowance: Mapped[int] = mapped_column(Money)  # 가족수당
    overtime_allowance: Mapped[int] = mapped_column(Money)  # 시간외근무수당
    meal_allowance: Mapped[int] = mapped_column(Money)  # 정액급식비 (non-taxable to the limit)
    gross_pay: Mapped[int] = mapped_column(Money)
    taxable_pay: Mapped[int] = mapped_column(Money)
    nontaxable_pay: Mapped[int] = mapped_column(Money)
    income_tax: Mapped[int] = mapped_column(Money)  # 소득세 원천징수
    local_income_tax: Mapped[int] = mapped_column(Money)  # 지방소득세
    pension_contribution: Mapped[int] = mapped_column(Money)  # 공무원연금 기여금
    health_insurance: Mapped[int] = mapped_column(Money)  # 건강보험료
    long_term_care: Mapped[int] = mapped_column(Money)  # 장기요양보험료
    net_pay: Mapped[int] = mapped_column(Money)
    withholding_family_count: Mapped[int] = mapped_column(SmallInteger)


class PayItem(Base):
    """급여 항목 catalogue: what each payroll column is and how it is taxed."""

    __tablename__ = "pay_items"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(16))  # pay | deduction | total
    taxable: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(String(200))


class SeedPlant(Base):
    """Ground truth the synthetic generator planted (wrong family-allowance claims)."""

    __tablename__ = "seed_plants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    other_employee_id: Mapped[int | None] = mapped_column(
        ForeignKey("employees.id", ondelete="CASCADE")
    )
    dependent_pseudonym: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(200))
