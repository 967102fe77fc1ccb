"""Korean regions → lodging-cap classes (서울특별시 / 광역시 / 그 밖의 지역).

From a destination address (its first word: 시·도 name, long or short form) or a 2-digit
시·도 code of the administrative district codes (행정표준코드). Sejong and the special
self-governing provinces are "other"; metropolitan cities are "metro".
"""

from __future__ import annotations

SEOUL = ("서울특별시", "서울시", "서울")
METRO = (
    "부산광역시", "대구광역시", "인천광역시", "광주광역시", "대전광역시", "울산광역시",
    "부산시", "대구시", "인천시", "광주시", "대전시", "울산시",
    "부산", "대구", "인천", "대전", "울산",
)  # fmt: skip
# 2-digit 시·도 codes (행정표준코드관리시스템 법정동 코드 앞 두 자리)
CODES = {
    "11": "seoul", "26": "metro", "27": "metro", "28": "metro", "29": "metro", "30": "metro",
    "31": "metro", "36": "other", "41": "other", "42": "other", "43": "other", "44": "other",
    "45": "other", "46": "other", "47": "other", "48": "other", "50": "other", "51": "other",
    "52": "other",
}  # fmt: skip


def cap_class(destination: str) -> str:
    """``seoul`` | ``metro`` | ``other`` for an address or a district code.

    "광주" alone is ambiguous (광주광역시 or 경기도 광주시) and is read as the metropolitan city
    only in its long forms; an address starting "경기도 광주시" is "other".
    """
    text = destination.strip()
    if text[:2].isdigit():
        code = text[:2]
        if code not in CODES:
            raise ValueError(f"unknown region code {text!r}")
        return CODES[code]
    first = text.split()[0] if text else ""
    if first in SEOUL:
        return "seoul"
    if first in METRO:
        return "metro"
    if not first:
        raise ValueError("empty destination")
    return "other"
