"""Masked person names (성명 마스킹) for records that cross organisations.

The usual Korean masking keeps the first and the last syllable and hides the rest, one star
per hidden syllable: 홍길동 → 홍*동, 남궁민수 → 남**수; a two-syllable name keeps its first
(김수 → 김*); a one-syllable name is hidden whole. Spaces inside a name are dropped first, so a
foreign name written with spaces is masked the same way (latin letters count one each).
"""

from __future__ import annotations

import unicodedata


def mask_name(name: str) -> str:
    text = "".join(unicodedata.normalize("NFC", name or "").split())
    if len(text) <= 1:
        return "*" if text else ""
    if len(text) == 2:
        return text[0] + "*"
    return text[0] + "*" * (len(text) - 2) + text[-1]
