"""Salary accounts (급여계좌): the bank and account a salary or a travel payment goes to.

An account number is personal data like a resident number: :class:`AccountNumber` never
shows itself (``str``/``repr`` are masked, ``********5678``), it is stored only sealed with
the data key under its own purpose (``insa:account:v1``, so it can never be opened as an RRN
or a TOTP seed), and only the bank-transfer file of a payment carries it whole. Banks are
data (``people/data/banks.yaml``: the clearing-system codes a transfer file needs).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import yaml

from insa.security.crypto import RRNCipher

PURPOSE: Final = "insa:account:v1"
MIN_DIGITS, MAX_DIGITS = 10, 16  # Korean bank accounts: 10–14 digits; 16 for some co-ops
_SEPARATORS: Final = re.compile(r"[\s\-.]")
MASKED_PATTERN: Final = re.compile(r"^[*\-]+[0-9]{4}$")
_DIGITS: Final = re.compile(r"[0-9]+")


class InvalidAccount(ValueError):
    """The bank or account number is not acceptable. The message never repeats the number."""


@dataclass(frozen=True)
class Bank:
    code: str  # 금융결제원 code, three digits
    name: str
    aliases: tuple[str, ...]


@cache
def banks() -> dict[str, Bank]:
    """Every bank by code, in the order of the data file."""
    text = resources.files("insa.people").joinpath("data/banks.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    out = {}
    for b in data["banks"]:
        code = str(b["code"])
        if not re.fullmatch(r"\d{3}", code) or code in out:
            raise ValueError(f"banks.yaml: bad or repeated code {code!r}")
        out[code] = Bank(code, b["name"], tuple(b.get("aliases", ())))
    return out


@cache
def _by_text() -> dict[str, str]:
    out: dict[str, str] = {}
    for b in banks().values():
        for key in (b.code, b.name, *b.aliases):
            out[_key(key)] = b.code
    return out


def _key(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


def bank_code(text: str) -> str:
    """The code of the bank named by its code, name or a usual alias (국민, KB국민은행, 004)."""
    code = _by_text().get(_key(text))
    if code is None:
        raise InvalidAccount(f"등록되지 않은 은행입니다: {text.strip()[:20]}")
    return code


def bank_name(code: str) -> str:
    b = banks().get(code)
    return b.name if b else code


class AccountNumber:
    """The digits of an account number; shown only masked."""

    __slots__ = ("_digits",)

    def __init__(self, text: str) -> None:
        digits = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))  # full-width digits
        if not _DIGITS.fullmatch(digits):
            raise InvalidAccount("계좌번호는 숫자와 '-'만 쓸 수 있습니다")
        if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
            raise InvalidAccount(f"계좌번호는 {MIN_DIGITS}~{MAX_DIGITS}자리 숫자여야 합니다")
        if len(set(digits)) == 1:
            raise InvalidAccount("계좌번호가 올바르지 않습니다 (한 숫자만 반복)")
        self._digits = digits

    def reveal(self) -> str:
        """The digits: only to seal them or to write the bank-transfer file."""
        return self._digits

    def masked(self) -> str:
        return mask(self._digits)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"AccountNumber('{self.masked()}')"

    def __format__(self, spec: str) -> str:
        return format(self.masked(), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccountNumber) and other._digits == self._digits

    def __hash__(self) -> int:
        return hash(self._digits)


def mask(digits: str) -> str:
    """All but the last four digits hidden, one star each: ``********5678``."""
    return "*" * (len(digits) - 4) + digits[-4:]


def is_masked(text: str) -> bool:
    """A masked number as exported (``******5678``): on import it keeps the stored one."""
    return bool(MASKED_PATTERN.match(text.strip())) and "*" in text


def seal(cipher: RRNCipher, number: AccountNumber) -> bytes:
    return cipher.seal(number.reveal().encode("ascii"), PURPOSE)


def unseal(cipher: RRNCipher, blob: bytes) -> AccountNumber:
    return AccountNumber(cipher.unseal(blob, PURPOSE).decode("ascii"))


@dataclass(frozen=True)
class SalaryAccountView:
    """What a page shows of a salary account: the bank and the masked number."""

    bank_code: str
    bank_name: str
    number_masked: str
    holder: str

    def __str__(self) -> str:
        return f"{self.bank_name} {self.number_masked} ({self.holder})"
