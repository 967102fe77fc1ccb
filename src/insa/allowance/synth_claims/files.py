"""The claims as exchange-format CSV files, one per organisation, built column by column.

Names and keys go from NumPy matrices straight into Arrow string buffers, without Python
strings, so that millions of rows are written in seconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

from insa.allowance.claims import COLUMNS, month_text
from insa.allowance.hangul import HANGUL0
from insa.allowance.synth_claims.common import CHILD, I32, I64, RELATIONS, U8, Bool
from insa.allowance.synth_claims.households import World
from insa.allowance.synth_claims.rows import ClaimRows, Numbering


def claim_table(w: World, rows: ClaimRows, num: Numbering) -> Any:
    """The claims in file order (by organisation, then start month), in :data:`COLUMNS`."""
    c, d, b = w.claimants, w.deps, w.base
    r_person, r_start, r_end = rows.person, rows.start, rows.end
    r_rel = d.rel[r_person]
    r_co = b.child_order[r_person]
    r_amount = b.amount[r_person]
    asof_m = w.asof.month
    months_lo = int(min(r_start.min(), asof_m))
    months_hi = int(max(r_start.max(), r_end.max(), asof_m))
    month_texts = pa.array([month_text(m) for m in range(months_lo, months_hi + 1)])

    o = num.order
    end_o = r_end[o]
    co_o = r_co[o]
    table = pa.table(
        {
            "claim_id": claim_ids(num.seq[o]),
            "source_org": pa.array(w.codes).take(pa.array(rows.org[o])),
            "claimant_key": fixed_strings(c.key[rows.claimant[o]]),
            "claimant_name": utf8(c.name[rows.claimant[o]]),
            "claimant_birth_date": pa.array(c.dob[rows.claimant[o]].astype(np.int32), pa.date32()),
            "dependent_key": fixed_strings(d.key[r_person[o]], ~rows.keyless[o]),
            "dependent_name": utf8(rows.name[o]),
            "dependent_birth_date": pa.array(d.dob[r_person[o]].astype(np.int32), pa.date32()),
            "relation": pa.array(RELATIONS).take(pa.array(r_rel[o])),
            "child_order": pa.array(co_o, pa.int64(), mask=(r_rel[o] != CHILD) | (co_o < 1)),
            "start_month": month_texts.take(pa.array(r_start[o] - months_lo)),
            "end_month": month_texts.take(
                pa.array(np.maximum(end_o - months_lo, 0), mask=end_o < 0)
            ),
            "monthly_amount": pa.array(r_amount[o], pa.int64()),
        }
    )
    assert tuple(table.column_names) == COLUMNS
    return table


def write_claims(
    out_dir: Path, table: Any, num: Numbering, org: I64, codes: list[str]
) -> list[Path]:
    """One ``<ORG>.csv`` per organisation from the table in file order; return the paths."""
    n_rows = len(org)
    sorted_org = org[num.order]
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    opts = pa_csv.WriteOptions(quoting_style="none", quoting_header="none")
    bounds = np.r_[num.org_first, n_rows]
    for j, lo in enumerate(num.org_first.tolist()):
        code = codes[int(sorted_org[lo])]
        path = out_dir / f"{code}.csv"
        pa_csv.write_csv(table.slice(lo, int(bounds[j + 1]) - lo), str(path), opts)
        files.append(path)
    return files


def utf8(names: I32) -> Any:
    """A matrix of syllable codes + 1 (0-padded on the right) → an Arrow string array."""
    cp = names.astype(np.int64) - 1 + HANGUL0
    valid = names > 0
    b = np.empty((*names.shape, 3), dtype=np.uint8)
    b[..., 0] = 0xE0 | (cp >> 12)
    b[..., 1] = 0x80 | ((cp >> 6) & 0x3F)
    b[..., 2] = 0x80 | (cp & 0x3F)
    data = b[valid].reshape(-1)
    offsets = np.zeros(len(names) + 1, dtype=np.int32)
    np.cumsum(valid.sum(axis=1) * 3, out=offsets[1:])
    return pa.StringArray.from_buffers(len(names), pa.py_buffer(offsets), pa.py_buffer(data))


def fixed_strings(chars: U8, valid: Bool | None = None) -> Any:
    """An (n, w) byte matrix of ASCII → an Arrow string array (null where not ``valid``)."""
    n, w = chars.shape
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
    bitmap = None
    if valid is not None:
        if not valid.all():
            bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.LargeStringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars)), bitmap
    )


def claim_ids(seq: I64) -> Any:
    """1 → 'C00000001' (a fixed-width ASCII column built without Python strings)."""
    digits = np.empty((len(seq), 9), dtype=np.uint8)
    digits[:, 0] = ord("C")
    v = seq.copy()
    for j in range(8, 0, -1):
        digits[:, j] = ord("0") + v % 10
        v //= 10
    return fixed_strings(digits)
