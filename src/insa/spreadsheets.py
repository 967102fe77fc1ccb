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
import io
from collections.abc import Iterable
from typing import IO, Any

NAME_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width
FORMULA_START = (*NAME_START, "\t", "\r")  # what a spreadsheet may read as a formula


def safe_text(value: Any) -> Any:
    """A cell for a CSV file: text that would start a formula, neutralised."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def starts_like_formula(text: str) -> bool:
    """A name that starts like a formula (once stripped: the tab and CR are for cells)."""
    return text.strip().startswith(NAME_START)


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


CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_file(
    fmt: str,
    header: Iterable[Any],
    rows: Iterable[Iterable[Any]],
    *,
    sheet: str,
    total: Iterable[Any] | None = None,
    money: Iterable[int] = (),
) -> tuple[bytes, str]:
    """A table as a file and its media type: CSV (UTF-8 with the BOM spreadsheet programs
    need for Korean) or XLSX (the header and the ``total`` row bold, the ``money`` columns,
    0-based, as ``#,##0``); every row through this module's writers."""
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = sheet
        append_row(ws, header)
        for row in rows:
            append_row(ws, row)
        bold = [1] + ([ws.max_row + 1] if total is not None else [])
        if total is not None:
            append_row(ws, total)
        for r in bold:
            for cell in ws[r]:
                cell.font = Font(bold=True)
        for col in money:
            for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
                cell.number_format = "#,##0"
        buf = io.BytesIO()
        wb.save(buf)
        return buf.getvalue(), XLSX_TYPE
    text = io.StringIO()
    w = csv_writer(text)
    w.writerow(header)
    w.writerows(rows)
    if total is not None:
        w.writerow(total)
    return text.getvalue().encode("utf-8-sig"), CSV_TYPE
