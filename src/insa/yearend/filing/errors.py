"""The errors of the filing: a bad layout file, a value that does not fit, a file that does not
parse. Messages name where (record, withholding agent, employee with the masked RRN, field) and
never hold a full resident registration number."""

from __future__ import annotations

from dataclasses import dataclass


class LayoutError(ValueError):
    """A layout file is missing or inconsistent (names the file and the record)."""


class FilingError(ValueError):
    """A value does not fit the layout, or a file does not parse.

    Names the record type, the employee (1-based index within its withholding agent, with the
    masked RRN), the dependent or previous employer where relevant, and the field.
    """

    def __init__(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        agent: int | None = None,
        employee: int | None = None,
        masked_rrn: str | None = None,
        item: str | None = None,
    ) -> None:
        self.record = record
        self.field = field
        self.agent = agent
        self.employee = employee
        self.masked_rrn = masked_rrn
        self.item = item
        where: list[str] = []
        if record:
            where.append(f"record {record}")
        if agent is not None:
            where.append(f"withholding agent #{agent}")
        if employee is not None:
            who = f"employee #{employee}"
            where.append(f"{who} ({masked_rrn})" if masked_rrn else who)
        if item:
            where.append(item)
        if field:
            where.append(f"field {field}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclass(frozen=True)
class Ctx:
    """Where a record comes from, for error messages (never holds a full RRN)."""

    record: str
    agent: int | None = None
    employee: int | None = None
    masked_rrn: str | None = None
    item: str | None = None

    def error(self, message: str, field: str | None = None) -> FilingError:
        return FilingError(
            message,
            record=self.record,
            field=field,
            agent=self.agent,
            employee=self.employee,
            masked_rrn=self.masked_rrn,
            item=self.item,
        )
