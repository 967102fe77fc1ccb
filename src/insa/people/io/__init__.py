"""Import and export of employees and dependents as CSV or XLSX with Korean headers.

A file (or each sheet of a workbook) is either an employee list or a dependent list,
told apart by its headers. Import validates everything first and reports every problem
as ``file:row:column: message``; only a clean set of files is written, in one transaction.
Resident numbers are exported only on explicit request, and every export is audited.
The format is documented in ``docs/import-format.md``.

The modules follow those steps: :mod:`~insa.people.io.format` (columns, codes, limits and
the shapes passed around), :mod:`~insa.people.io.reading` (CSV/XLSX → sheets),
:mod:`~insa.people.io.validation` (the values of one row), :mod:`~insa.people.io.importing`
(checks across rows and against the database, and the writing) and
:mod:`~insa.people.io.exporting`.
"""

from insa.people.io.exporting import dependent_rows, employee_rows, export
from insa.people.io.format import (
    DEPENDENT_COLUMNS,
    DEPENDENT_REQUIRED,
    EMPLOYEE_COLUMNS,
    EMPLOYEE_REQUIRED,
    RELATION_CODE,
    STATUS_CODE,
    ImportRejected,
    ImportReport,
    RowError,
    Sheet,
)
from insa.people.io.importing import import_files
from insa.people.io.reading import read_files

__all__ = [
    "DEPENDENT_COLUMNS",
    "DEPENDENT_REQUIRED",
    "EMPLOYEE_COLUMNS",
    "EMPLOYEE_REQUIRED",
    "RELATION_CODE",
    "STATUS_CODE",
    "ImportRejected",
    "ImportReport",
    "RowError",
    "Sheet",
    "dependent_rows",
    "employee_rows",
    "export",
    "import_files",
    "read_files",
]
