"""Resident registration numbers (주민등록번호): a value type that never shows itself.

``RRN`` holds the 13 digits but its ``str``/``repr``/format are always masked
(``900101-1******``); only :meth:`RRN.reveal` returns the digits, and only the
crypto and pseudonym functions call it. Validation uses python-stdnum.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.kr import rrn as stdnum_rrn

_DIGITS: Final = re.compile(r"^\d{6}-?\d{7}$")
MASKED_PATTERN: Final = re.compile(r"^\d{6}-[1-8]\*{6}$")


class InvalidRRN(ValueError):
    """The text is not a valid RRN. The message never contains the number itself."""


class RRN:
    __slots__ = ("_digits",)

    def __init__(self, text: str) -> None:
        digits = text.strip().replace("-", "")
        if not digits.isdigit() or len(digits) != 13:
            raise InvalidRRN("주민등록번호는 13자리 숫자여야 합니다 (RRN must be 13 digits)")
        try:
            stdnum_rrn.validate(digits, allow_future=False)
        except (InvalidChecksum, InvalidComponent) as exc:
            # Numbers assigned since October 2020 carry random digits after the sex digit:
            # no region code and no check digit. Only their date and sex digit can be checked.
            if not _random_since_2020(digits):
                if isinstance(exc, InvalidChecksum):
                    raise InvalidRRN(
                        "주민등록번호 검증번호가 맞지 않습니다 (RRN checksum fails)"
                    ) from None
                raise InvalidRRN(
                    "주민등록번호의 생년월일·성별·지역 부분이 올바르지 않습니다 (RRN has an invalid part)"
                ) from None
        except (InvalidFormat, InvalidLength):
            raise InvalidRRN(
                "주민등록번호의 생년월일·성별·지역 부분이 올바르지 않습니다 (RRN has an invalid part)"
            ) from None
        self._digits = digits

    def reveal(self) -> str:
        """The 13 digits without hyphen. Call only to encrypt, pseudonymise or export by flag."""
        return self._digits

    def formatted(self) -> str:
        """The full number with hyphen (for an explicit, audited export only)."""
        return f"{self._digits[:6]}-{self._digits[6:]}"

    def masked(self) -> str:
        return mask(self._digits)

    @property
    def birth_date(self) -> dt.date:
        birth: dt.date = stdnum_rrn.get_birth_date(self._digits)
        return birth

    @property
    def sex(self) -> str:
        return "M" if self._digits[6] in "13579" else "F"

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"RRN('{self.masked()}')"

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RRN) and other._digits == self._digits

    def __hash__(self) -> int:
        return hash(("RRN", self._digits))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("RRN values are not picklable")


RANDOM_SINCE = dt.date(2020, 10, 1)


def _random_since_2020(digits: str) -> bool:
    try:
        born = stdnum_rrn.get_birth_date(digits, allow_future=False)
    except (InvalidComponent, ValueError):
        return False
    return bool(born >= RANDOM_SINCE and digits[6] in "3478")


def mask(digits_or_formatted: str) -> str:
    """``9001011234567`` or ``900101-1234567`` → ``900101-1******``."""
    d = digits_or_formatted.replace("-", "")
    return f"{d[:6]}-{d[6:7]}******"


def mask_text(text: str) -> str:
    """Any text given as an RRN, valid or not, masked for a message or a repr.

    ``9001011234567`` (or with a hyphen or space) → ``900101-1******``, like :func:`mask`;
    text with fewer than seven digits shows no digit past the sixth and no other character
    (``12345`` → ``12345``, ``abc`` → ``***``).
    """
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 7:
        return mask(digits)
    return f"{digits[:6]}{'*' * max(len(text) - 6, 0)}" if digits else "*" * len(text)


def is_masked(text: str) -> bool:
    return bool(MASKED_PATTERN.match(text.strip()))


def looks_like_rrn(text: str) -> bool:
    return bool(_DIGITS.match(text.strip()))


def check_digit(first12: str) -> str:
    digit: str = stdnum_rrn.calc_check_digit(first12)
    return digit
