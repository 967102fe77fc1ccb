"""Year-end settlement tables: the tax authority's simplified data, runs and results.

- ``yearend_nts_data``: one row per employee and tax year — the items of the National Tax
  Service's simplified data (연말정산 간소화 자료) and the employee's declaration
  (소득·세액공제신고서 flags), imported by ``insa yearend import-nts``. Amount columns carry
  the names of the engine's columns (:data:`insa.yearend.engine.CASE_FIELDS`).
- ``yearend_runs``: every settlement batch (who, when, scope, version, totals).
- ``yearend_results``: the latest result per employee and tax year, with the version of the
  run that produced it; a re-run replaces its scope's rows in one transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from insa.db.base import Base, Money

# The simplified-data amounts, named as the engine's columns (integer won).
NTS_AMOUNTS: tuple[str, ...] = (
    "employment", "credit", "debit", "cash_receipt", "culture", "traditional_market",
    "public_transport", "insurance_general", "insurance_disabled", "med_special", "med_other",
    "med_infertility", "med_premature", "med_reimbursed", "edu_self", "edu_disabled",
    "don_political", "don_hometown", "don_general", "don_religious", "monthly_rent",
    "pension_savings", "irp", "subscription", "lease", "mortgage",
)  # fmt: skip
# The employee's declaration flags.
NTS_FLAGS: tuple[str, ...] = ("disabled", "single_parent", "household_head", "married_this_year")

# Every amount a settlement stores per employee (the engine's output columns).
RESULT_AMOUNTS: tuple[str, ...] = (
    "total_salary", "earned_income_deduction", "earned_income_amount", "basic_deduction",
    "additional_deduction", "pension_deduction", "insurance_premium_deduction",
    "housing_deduction", "housing_subscription_deduction", "card_deduction",
    "special_income_deduction", "tax_base", "computed_tax", "earned_income_credit",
    "child_credit", "birth_credit", "pension_account_credit", "insurance_credit",
    "medical_credit", "education_credit", "donation_credit", "political_donation_credit",
    "hometown_donation_credit", "monthly_rent_credit", "marriage_credit", "standard_credit",
    "total_credits", "determined_tax", "local_tax", "withheld_income_tax", "withheld_local_tax",
    "balance_income_tax", "balance_local_tax",
)  # fmt: skip


nts_table = Table(
    "yearend_nts_data",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("employee_id", ForeignKey("employees.id", ondelete="CASCADE"), nullable=False),
    Column("tax_year", SmallInteger, nullable=False),
    *(Column(name, Money, nullable=False) for name in NTS_AMOUNTS),
    *(Column(name, Boolean, nullable=False) for name in NTS_FLAGS),
    # per-person education entries as JSON: {"preschool_school": [...], "university": [...]}
    Column("education_items", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),  # idempotent re-import
    Column("source_file", String(255), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("employee_id", "tax_year"),
)


class YearendRun(Base):
    """연말정산 실행 — one settlement batch (a re-run of the same scope gets the next version)."""

    __tablename__ = "yearend_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tax_year: Mapped[int] = mapped_column(SmallInteger, index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))  # None = all
    version: Mapped[int] = mapped_column(Integer)
    employees: Mapped[int] = mapped_column(Integer)
    determined_tax: Mapped[int] = mapped_column(Money)
    balance_income_tax: Mapped[int] = mapped_column(Money)
    balance_local_tax: Mapped[int] = mapped_column(Money)
    refunds: Mapped[int] = mapped_column(Integer)  # employees with a refund
    actor: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    load_ms: Mapped[int] = mapped_column(Integer)
    compute_ms: Mapped[int] = mapped_column(Integer)
    store_ms: Mapped[int] = mapped_column(Integer)


results_table = Table(
    "yearend_results",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", ForeignKey("yearend_runs.id", ondelete="CASCADE"), nullable=False),
    Column("employee_id", ForeignKey("employees.id", ondelete="CASCADE"), nullable=False),
    Column("agency_id", ForeignKey("agencies.id"), nullable=False),
    Column("tax_year", SmallInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("method", String(8), nullable=False),  # itemized | standard
    *(Column(name, Money, nullable=False) for name in RESULT_AMOUNTS),
    UniqueConstraint("employee_id", "tax_year"),
    Index("ix_yearend_results_agency_year", "agency_id", "tax_year"),
)


runs_table: Table = YearendRun.__table__  # type: ignore[assignment]
