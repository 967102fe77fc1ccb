"""근로소득 지급명세서 전산매체: the fixed-length file an employer submits to the NTS.

The record layout is data, one YAML file per tax year under ``yearend/layouts/`` (see the
header of ``layouts/2024.yaml`` for the field keys, the sources and what is UNCONFIRMED). This
package only knows how to fill, write and read fields; it holds no position or length.

Records: A (submitter), then per withholding agent its B (totals) followed by every employee's
C (current employer), D (previous employers) and E (dependents, three to a record, the
employee first). Fields are measured in bytes of the file encoding (cp949: a Hangul syllable is
two bytes); text is left-justified and space-padded, numbers right-justified and zero-padded.
Sequence numbers, counts and the totals of A and B are computed here from the data.

Round trip: ``read_filing`` parses every record into a dict keyed by field name (numbers as
``int``, dates as ``datetime.date``, yes/no codes as ``bool``); ``submission_from_records``
turns those dicts back into the dataclasses and re-derives every computed field, so
``write_filing(parse_filing(data, y), y) == data`` for any file this package wrote (names cut
to fit a field are the one exception: the file keeps what fitted).

``EmployeeStatement.amounts`` is keyed by the layout's source keys (``amount_keys(year)``):
the items the NTS form has. ``settlement_amounts`` derives them from a ``scalar.compute``
result, splitting the totals the NTS form itemises; ``settlement_totals`` adds them back.
A resident registration number never appears in an error message or a repr: it is masked as
``900101-1******``.

Modules: ``statements`` (the dataclasses), ``layout`` (the YAML layouts), ``codec`` (one field
in bytes), ``writer`` and ``reader`` (records and files), ``amounts`` (the settlement's amounts
split as the form itemises them), ``errors``. ``__all__`` below is the public face; the
other names the modules share (``Ctx``, ``Built``, ``build_records``, ``encode_field`` …) are
internal to the package.
"""

from __future__ import annotations

from insa.security.rrn import mask_text as mask_rrn
from insa.yearend.filing.amounts import settlement_amounts, settlement_totals
from insa.yearend.filing.codec import fit_text
from insa.yearend.filing.errors import FilingError, LayoutError
from insa.yearend.filing.layout import (
    FieldSpec,
    Layout,
    RecordSpec,
    amount_keys,
    available_years,
    load_layout,
    parse_layout,
)
from insa.yearend.filing.reader import parse_filing, read_filing, submission_from_records
from insa.yearend.filing.statements import (
    Dependent,
    EmployeeStatement,
    PreviousEmployer,
    Submission,
    Submitter,
    WithholdingAgent,
)
from insa.yearend.filing.writer import write_filing

__all__ = [
    "Dependent",
    "EmployeeStatement",
    "FieldSpec",
    "FilingError",
    "Layout",
    "LayoutError",
    "PreviousEmployer",
    "RecordSpec",
    "Submission",
    "Submitter",
    "WithholdingAgent",
    "amount_keys",
    "available_years",
    "fit_text",
    "load_layout",
    "mask_rrn",
    "parse_filing",
    "parse_layout",
    "read_filing",
    "settlement_amounts",
    "settlement_totals",
    "submission_from_records",
    "write_filing",
]
