"""Year-end shapes: the stateless computation's input contract (``insa yearend compute``: one
case per person), the JSON API's responses and the documents the service hands out.

Field names are a fixed public contract (see docs/yearend.md). Every field of a case but
``id``, ``tax_year``, ``taxpayer.birth_date`` and ``wages.total_salary`` is optional and
defaults to zero, false or empty. Money is integer won: a fractional or negative amount is an
error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# integer won, 0 to 10 trillion: far above any wage, and safely inside int64 arithmetic
Won = Annotated[int, Field(ge=0, le=10**13, strict=True)]
Relation = Literal[
    "spouse", "child", "grandchild", "parent", "grandparent", "sibling", "foster_child"
]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Declaration(_M):
    """소득·세액공제신고서: what the employee declares about themself."""

    disabled: bool = False
    single_parent: bool = False
    household_head: bool = False
    married_this_year: bool = False  # 결혼세액공제 (marriage registered this year)


class Taxpayer(Declaration):
    birth_date: dt.date
    sex: Literal["M", "F"] = "M"


class Wages(_M):
    total_salary: Won  # 총급여: gross wages less non-taxable items


class Withheld(_M):
    income_tax: Won = 0
    local_tax: Won = 0


class Contributions(_M):
    pension: Won = 0
    health: Won = 0
    long_term_care: Won = 0
    employment: Won = 0


class Dependent(_M):
    relation: Relation
    birth_date: dt.date
    disabled: bool = False
    income: Won = 0
    born_or_adopted_this_year: bool = False
    birth_order: Annotated[int, Field(ge=0, le=20)] = 0


class Cards(_M):
    credit: Won = 0
    debit: Won = 0
    cash_receipt: Won = 0
    culture: Won = 0
    traditional_market: Won = 0
    public_transport: Won = 0


class Insurance(_M):
    general: Won = 0
    disabled: Won = 0


class Medical(_M):
    self_senior_disabled_child6: Won = 0
    other_dependents: Won = 0
    infertility: Won = 0
    premature: Won = 0
    reimbursed: Won = 0


class Education(_M):
    self: Won = 0
    # one item per person educated; at most 20 (the import also checks them against the
    # employee's dependents on record)
    preschool_school: Annotated[list[Won], Field(max_length=20)] = []
    university: Annotated[list[Won], Field(max_length=20)] = []
    disabled: Won = 0


class Donations(_M):
    political: Won = 0
    hometown: Won = 0
    general: Won = 0
    religious: Won = 0


class PensionAccount(_M):
    pension_savings: Won = 0
    irp: Won = 0


class Housing(_M):
    subscription_savings: Won = 0
    lease_loan_repayment: Won = 0
    mortgage_interest: Won = 0


class SimplifiedItems(_M):
    """The items of the NTS simplified-data service (간소화 자료), as the contract groups them:
    the last fields of ``Case`` and of the NTS import document (``nts.NtsDocument``).

    Pydantic puts the fields of a model's last base first, so a model lists this class first
    among its bases to keep these fields after its own: the field order shows in validation
    errors, dumps and the JSON schema.
    """

    cards: Cards = Cards()
    insurance: Insurance = Insurance()
    medical: Medical = Medical()
    education: Education = Education()
    donations: Donations = Donations()
    monthly_rent: Won = 0
    pension_account: PensionAccount = PensionAccount()
    housing: Housing = Housing()


class _CaseHead(_M):
    """The fields of ``Case`` before the simplified-data items."""

    id: str | int
    tax_year: Annotated[int, Field(ge=2000, le=2100, strict=True)]
    taxpayer: Taxpayer
    wages: Wages
    withheld: Withheld = Withheld()
    contributions: Contributions = Contributions()
    dependents: list[Dependent] = []


class Case(SimplifiedItems, _CaseHead):
    # the head fields, then the simplified-data items (no docstring: it would become the
    # JSON schema's description)
    pass


# ------------------------------------------------------------------ JSON API (/api/v1/yearend)


class Line(BaseModel):
    item: str
    amount: int
    rule: str
    source: str
    parameter: str


class SettlementOut(BaseModel):
    """One employee's settlement: the stateless contract's output plus the stored version."""

    employee_id: int
    employee_no: str
    tax_year: int
    stored_version: int | None
    stale: bool
    result: dict[str, Any]
    lines: list[Line]


class ResultRow(BaseModel):
    id: int
    employee_no: str
    name: str
    version: int
    method: str
    total_salary: int
    determined_tax: int
    withheld_income_tax: int
    balance_income_tax: int
    balance_local_tax: int


class ResultPageOut(BaseModel):
    items: list[ResultRow]
    total: int
    page: int
    size: int
    pages: int
    summary: dict[str, int]  # the totals over every matched result


# ------------------------------------------------------------------ documents


@dataclass(frozen=True)
class Document:
    """A file the service hands out (a receipt PDF, a filing file): its name and bytes."""

    name: str
    data: bytes
