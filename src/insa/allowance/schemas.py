"""The shapes of the family-allowance package: a finding's fields as the verification reports
them (one declaration, extended by :class:`insa.allowance.verify.Finding` and by the API's
:class:`FindingOut`), the API's pages of findings, the differences of the entitlement and the
report of storing a run's findings."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from pydantic import BaseModel
from pydantic.dataclasses import dataclass as api_dataclass


@dataclass
class FindingFields:
    """A finding as the verification reports it: the columns of the findings CSV, in order
    (:data:`insa.allowance.verify.FINDING_COLUMNS`)."""

    finding_id: str
    kind: str
    match: str  # exact | probable
    probability: float
    claim_a: str  # source_org:claim_id
    claim_b: str
    dependent_key: str
    overlap_start: str
    overlap_end: str
    overlap_months: int
    overpaid_amount: int
    recover_from: str


# A stored finding in /api/v1: the reported fields, then its resolution. (No docstring: it
# would become the OpenAPI schema's description.)
@api_dataclass
class FindingOut(FindingFields):
    claimant_a_name: str  # masked (홍*동)
    claimant_b_name: str
    status: str
    reason: str | None
    recovered_amount: int | None


def finding_out(stored: Any) -> FindingOut:
    """The API shape of a stored finding (:class:`insa.allowance.models.Finding`)."""
    return FindingOut(**{f.name: getattr(stored, f.name) for f in fields(FindingOut)})


class FindingPageOut(BaseModel):
    items: list[FindingOut]
    total: int
    page: int
    pages: int
    totals: dict[str, dict[str, int]]


@dataclass
class Difference:
    """One employee's month where payroll paid a family allowance other than the rules'."""

    employee_no: str
    agency: str
    month: int
    paid: int
    due: int

    @property
    def difference(self) -> int:
        return self.paid - self.due


@dataclass
class StoreReport:
    """A verification run stored: its id, the findings new to it and those seen before."""

    run_id: int
    new: int
    seen_again: int
