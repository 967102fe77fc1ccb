"""The claims as exchange-format CSV files, one per organisation, built column by column.

Names and keys go from NumPy matrices straight into Arrow string buffers, without Python
strings, so that millions of rows are written in seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from insa.allowance.hangul import HANGUL0
from insa.allowance.synth_claims.common import I32, I64, U8, Bool


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
