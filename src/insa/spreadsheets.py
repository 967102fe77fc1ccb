"""The one way insa writes CSV and XLSX: text stays text.

A value that starts like a formula (``=HYPERLINK(…)``, ``+``, ``-``, ``@``, a tab or a
carriage return, or their full-width forms) is a live formula when a spreadsheet program
opens the file: a name typed by an outside organisation would run in the receiving agency's
workbook. So every writer goes through here:

* **CSV** (:func:`csv_writer`): a text cell that starts with one of those characters gets a
  leading apostrophe (the OWASP rule for CSV injection); numbers are written as they are, so
  a negative amount stays a number.
* **XLSX** (:func:`append_row`): every text cell is stored as a string cell, never a formula,
  whatever it starts with; numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_text(value: Any) -> Any:
    """A cell for a CSV file: text that would start a formula, neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def starts_like_formula(text: str) -> bool:
    return text.strip().startswith(FORMULA_START[:4] + FORMULA_START[6:])


class SafeCsvWriter:
    """``csv.writer`` whose every text cell passes :func:`safe_text`."""

    def __init__(self, fh: IO[str], **kwargs: Any) -> None:
        self._w = csv.writer(fh, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([safe_text(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh: IO[str], **kwargs: Any) -> SafeCsvWriter:
    return SafeCsvWriter(fh, **kwargs)


def append_row(ws: Any, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet (normal or write-only), text as string cells."""
    from openpyxl.cell import WriteOnlyCell

    if getattr(ws, "_write_only", False) or type(ws).__name__ == "WriteOnlyWorksheet":
        cells = []
        for v in values:
            cell = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
            cells.append(cell)
        ws.append(cells)
        return
    values = list(values)
    ws.append(values)
    row = ws.max_row
    for col, v in enumerate(values, start=1):
        if isinstance(v, str):
            ws.cell(row, col).data_type = "s"
