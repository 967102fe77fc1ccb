"""Salary accounts (급여계좌) of employees: shown masked to those who may see them, changed by
the employee or their HR officer, and read whole only for a bank-transfer file. Every read
and change is audited, with the bank only; the number never reaches a log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from insa.clock import utc_now
from insa.people import accounts
from insa.people.accounts import InvalidAccount, SalaryAccountView
from insa.people.models import Employee, SalaryAccount
from insa.people.service import CHANGE_ACCOUNT, PAY_ACCOUNT, VIEW_ACCOUNT, visible
from insa.security.context import Ctx
from insa.security.principal import restrict
from insa.spreadsheets import starts_like_formula


def salary_account(ctx: Ctx, employee_id: int) -> SalaryAccountView | None:
    """The salary account, masked (``None`` when none is on file or out of scope)."""
    emp = visible(ctx, employee_id, VIEW_ACCOUNT)
    acc = ctx.db.get(SalaryAccount, employee_id) if emp is not None else None
    if emp is None or acc is None:
        return None
    ctx.audit(VIEW_ACCOUNT, target_type="employee", target_id=emp.id, agency_id=emp.agency_id)
    return _account_view(ctx, acc)


def _account_view(ctx: Ctx, acc: SalaryAccount) -> SalaryAccountView:
    number = accounts.unseal(ctx.cipher, acc.number_encrypted)
    return SalaryAccountView(acc.bank_code, accounts.bank_name(acc.bank_code), number.masked(),
                             acc.holder)  # fmt: skip


def change_salary_account(
    ctx: Ctx, employee_id: int, bank: str, number: str, holder: str = ""
) -> SalaryAccountView:
    """Record the employee's salary account (the employee's own, or as their HR officer).
    Raises :class:`LookupError` out of scope, :class:`InvalidAccount` for a bad bank, number
    or holder; audited with the bank only."""
    emp = visible(ctx, employee_id, CHANGE_ACCOUNT)
    if emp is None:
        raise LookupError(f"employee {employee_id}")
    code = accounts.bank_code(bank)
    acc_no = accounts.AccountNumber(number)
    holder = holder.strip() or emp.name
    if len(holder) > 50:
        raise InvalidAccount("예금주는 50자 이내로 적어 주세요")
    if starts_like_formula(holder) or any(ord(ch) < 32 for ch in holder):
        raise InvalidAccount("예금주는 =, +, -, @나 제어 문자로 시작할 수 없습니다")
    acc = ctx.db.get(SalaryAccount, employee_id)
    if acc is None:
        acc = SalaryAccount(employee_id=employee_id)
        ctx.db.add(acc)
    acc.bank_code, acc.holder = code, holder
    acc.number_encrypted = accounts.seal(ctx.cipher, acc_no)
    acc.updated_at = utc_now()
    ctx.db.flush()
    ctx.audit(CHANGE_ACCOUNT, target_type="employee", target_id=emp.id, agency_id=emp.agency_id,
              detail={"bank": code, "own": int(ctx.principal.employee_id == emp.id)})  # fmt: skip
    return _account_view(ctx, acc)


@dataclass(frozen=True)
class PayeeAccount:
    """Where one payment goes, whole: only for the bank-transfer file."""

    bank_code: str
    bank_name: str
    number: str
    holder: str


def payee_accounts(ctx: Ctx, employee_ids: list[int]) -> dict[int, PayeeAccount]:
    """The whole salary accounts of the employees (those in the finance officer's scope and
    with an account on file), for the bank-transfer file of a payment; audited."""
    if not employee_ids:
        return {}
    stmt = restrict(
        select(SalaryAccount, Employee.agency_id)
        .join(Employee, Employee.id == SalaryAccount.employee_id)
        .where(SalaryAccount.employee_id.in_(sorted(set(employee_ids)))),
        ctx.principal,
        PAY_ACCOUNT,
    )
    out: dict[int, PayeeAccount] = {}
    agencies: set[int] = set()
    for acc, agency_id in ctx.db.execute(stmt):
        number = accounts.unseal(ctx.cipher, acc.number_encrypted).reveal()
        out[acc.employee_id] = PayeeAccount(acc.bank_code, accounts.bank_name(acc.bank_code),
                                            number, acc.holder)  # fmt: skip
        agencies.add(agency_id)
    ctx.audit(PAY_ACCOUNT, target_type="employee",
              agency_id=next(iter(agencies)) if len(agencies) == 1 else None,
              detail={"employees": len(out)})  # fmt: skip
    return out


def with_accounts(ctx: Ctx, employee_ids: list[int]) -> set[int]:
    """Which of the employees have a salary account on file (no number is read)."""
    if not employee_ids:
        return set()
    stmt = restrict(
        select(SalaryAccount.employee_id)
        .join(Employee, Employee.id == SalaryAccount.employee_id)
        .where(SalaryAccount.employee_id.in_(sorted(set(employee_ids)))),
        ctx.principal,
        VIEW_ACCOUNT,
    )
    return set(ctx.db.scalars(stmt))
