"""근로소득 원천징수영수증 (소득세법 시행규칙 별지 제24호서식(1)) as a PDF, one per employee.

The amounts come unchanged from :func:`insa.yearend.scalar.compute`; this module only lays
them out like the official form (Jinja2 template ``templates/receipt.html``, rendered by
WeasyPrint with the Debian Nanum fonts — nothing is fetched at run time).

Resident registration numbers are accepted only already masked (``800501-1******``): the
dataclasses refuse anything with more than seven digits, so a full number can never be printed.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
from weasyprint import HTML  # type: ignore[import-untyped]
from weasyprint.document import Document  # type: ignore[import-untyped]
from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

from insa.security.rrn import is_masked
from insa.yearend.rules import rules_for

__all__ = [
    "ReceiptAgency",
    "ReceiptData",
    "ReceiptDependent",
    "ReceiptEmployee",
    "MissingFont",
    "render_many_pdf",
    "render_receipt_html",
    "render_receipt_pdf",
]

MAX_PAGES = 2
COPY_LABEL = "소득자 보관용"


def _require_masked(rrn: str, whose: str) -> None:
    """Refuse a resident registration number that is not masked (never echo the number)."""
    if not is_masked(rrn):
        raise ValueError(
            f"{whose}: 주민등록번호는 마스킹된 값(예: 800501-1******)만 출력할 수 있습니다 "
            "(only a masked RRN may be printed)"
        )


@dataclass(frozen=True)
class ReceiptAgency:
    """징수의무자: the withholding agent (the agency)."""

    name: str
    representative: str
    brn: str  # 사업자등록번호, 10 digits (hyphens allowed)
    address: str

    def __post_init__(self) -> None:
        digits = self.brn.replace("-", "")
        if len(digits) != 10 or not digits.isdigit():
            raise ValueError("사업자등록번호는 10자리 숫자여야 합니다 (BRN must be 10 digits)")

    @property
    def brn_formatted(self) -> str:
        d = self.brn.replace("-", "")
        return f"{d[:3]}-{d[3:5]}-{d[5:]}"


@dataclass(frozen=True)
class ReceiptEmployee:
    """소득자: the employee. ``masked_rrn`` must already be masked (``800501-1******``)."""

    name: str
    masked_rrn: str
    employee_no: str
    org_unit: str
    work_start: dt.date
    work_end: dt.date
    resident: bool = True
    foreigner: bool = False
    address: str = ""

    def __post_init__(self) -> None:
        _require_masked(self.masked_rrn, "소득자")
        if self.work_end < self.work_start:
            raise ValueError("근무기간의 종료일이 시작일보다 빠릅니다 (work_end < work_start)")


@dataclass(frozen=True)
class ReceiptDependent:
    """One row of 인적공제 명세 (include the 본인 row first if it should be listed)."""

    relation: str  # Korean label: 본인, 배우자, 자녀, 부모 ...
    name: str
    masked_rrn: str
    basic: bool = False
    senior: bool = False
    disabled: bool = False
    child: bool = False
    birth_adoption: bool = False

    def __post_init__(self) -> None:
        _require_masked(self.masked_rrn, f"부양가족 {self.relation}")


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on one receipt.

    ``result`` is the dict returned by :func:`insa.yearend.scalar.compute`. ``pay`` holds the
    year's totals at this workplace: ``salary`` (급여) and ``bonus`` (상여) are the taxable
    parts and must add up to ``result["total_salary"]``; ``nontaxable`` (비과세) is extra.
    """

    tax_year: int
    agency: ReceiptAgency
    employee: ReceiptEmployee
    result: Mapping[str, Any]
    pay: Mapping[str, int]
    dependents: Sequence[ReceiptDependent] = field(default_factory=tuple)
    issued_on: dt.date = field(default_factory=dt.date.today)

    def __post_init__(self) -> None:
        unknown = set(self.pay) - {"salary", "bonus", "nontaxable"}
        if unknown:
            raise ValueError(f"pay has unknown keys: {sorted(unknown)}")
        taxable = self.pay.get("salary", 0) + self.pay.get("bonus", 0)
        if taxable != self.result["total_salary"]:
            raise ValueError(
                f"급여 + 상여 ({taxable:,}) ≠ 총급여 ({self.result['total_salary']:,}): "
                "pay['salary'] and pay['bonus'] must be the taxable totals"
            )
        if self.result.get("tax_year", self.tax_year) != self.tax_year:
            raise ValueError("result was computed for another tax year")


# ---------------------------------------------------------------------------------------------
# view model: the rows of the form, in the form's order


@dataclass(frozen=True)
class Row:
    label: str
    amount: int | None
    note: str = ""
    strong: bool = False
    text: str = ""  # shown in the amount column when ``amount`` is None


@dataclass(frozen=True)
class Group:
    """Rows under one heading cell (``rowspan``); a group with an empty title spans columns."""

    title: str
    rows: list[Row]


def _line_rule(result: Mapping[str, Any], item: str) -> str:
    for line in result.get("lines", ()):
        if line["item"] == item:
            return str(line["rule"]).replace("\u2212", "-")  # NanumGothic has no U+2212
    return ""


def _deduction_groups(data: ReceiptData) -> list[Group]:
    r = data.result
    per_person = int(rules_for(data.tax_year)["deductions.personal_basic"])
    persons = r["basic_deduction"] // per_person if per_person else 0
    housing = r["housing_deduction"] - r["housing_subscription_deduction"]
    sub = r["housing_subscription_deduction"]
    standard = r["method"] == "standard"
    special_note = "표준세액공제 적용으로 제외" if standard else ""
    return [
        Group("", [Row("총급여", r["total_salary"], strong=True)]),
        Group("", [Row("근로소득공제", r["earned_income_deduction"])]),
        Group("", [Row("근로소득금액", r["earned_income_amount"], strong=True)]),
        Group("기본공제", [Row("본인·배우자·부양가족", r["basic_deduction"], f"{persons}명")]),
        Group(
            "추가공제",
            [
                Row(
                    "경로우대·장애인·부녀자·한부모",
                    r["additional_deduction"],
                    _line_rule(r, "추가공제"),
                )
            ],
        ),
        Group("연금보험료공제", [Row("공적연금 (공무원연금 등)", r["pension_deduction"])]),
        Group(
            "특별소득공제",
            [
                Row("보험료 (건강·장기요양·고용)", r["insurance_premium_deduction"], special_note),
                Row("주택자금 (임차차입금·저당차입금이자)", housing, special_note),
                Row("계", r["special_income_deduction"], strong=True),
            ],
        ),
        Group(
            "그 밖의 소득공제",
            [
                Row("주택마련저축 (주택청약)", sub),
                Row("신용카드 등 사용액", r["card_deduction"]),
                Row("계", sub + r["card_deduction"], strong=True),
            ],
        ),
        Group("", [Row("종합소득 과세표준", r["tax_base"], strong=True)]),
        Group("", [Row("산출세액", r["computed_tax"], strong=True)]),
    ]


def _credit_groups(data: ReceiptData) -> list[Group]:
    r = data.result
    standard = r["method"] == "standard"
    off = "표준세액공제 적용" if standard else ""
    salary = r["total_salary"]
    rate = f"{r['determined_tax'] * 100 / salary:.1f}%" if salary else "0.0%"
    return [
        Group("", [Row("근로소득 세액공제", r["earned_income_credit"])]),
        Group(
            "자녀세액공제",
            [Row("자녀 (8세 이상)", r["child_credit"]), Row("출산·입양", r["birth_credit"])],
        ),
        Group("", [Row("연금계좌 세액공제", r["pension_account_credit"])]),
        Group(
            "특별세액공제",
            [
                Row("보장성보험료", r["insurance_credit"], off),
                Row("의료비", r["medical_credit"], off),
                Row("교육비", r["education_credit"], off),
                Row("기부금 ― 정치자금", r["political_donation_credit"]),
                Row("기부금 ― 고향사랑", r["hometown_donation_credit"]),
                Row("기부금 ― 특례·일반·종교", r["donation_credit"], off),
            ],
        ),
        Group("", [Row("표준세액공제", r["standard_credit"])]),
        Group("", [Row("월세액 세액공제", r["monthly_rent_credit"], off)]),
        Group("", [Row("결혼세액공제", r["marriage_credit"])]),
        Group("", [Row("세액공제 계", r["total_credits"], strong=True)]),
        Group("", [Row("결정세액", r["determined_tax"], strong=True)]),
        Group("", [Row("실효세율 (결정세액 ÷ 총급여)", None, text=rate)]),
    ]


def _amount(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _period(start: dt.date, end: dt.date) -> str:
    return f"{start:%Y.%m.%d.} ~ {end:%Y.%m.%d.}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("insa.yearend", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["won"] = _amount
    return env


def _html(data: ReceiptData, compact: bool) -> str:
    r = data.result
    method_reason = _line_rule(r, "공제 방법 선택")
    year_end = dt.date(data.tax_year, 12, 31)
    pay = {k: data.pay.get(k, 0) for k in ("salary", "bonus", "nontaxable")}
    return (
        _environment()
        .get_template("receipt.html")
        .render(
            d=data,
            r=r,
            pay=pay,
            copy_label=COPY_LABEL,
            period=_period(data.employee.work_start, data.employee.work_end),
            mid_year_leaver=data.employee.work_end < year_end,
            deductions=_deduction_groups(data),
            credits=_credit_groups(data),
            method_label="표준세액공제" if r["method"] == "standard" else "항목별 공제",
            method_reason=method_reason,
            compact=compact,
        )
    )


def render_receipt_html(data: ReceiptData) -> str:
    """The receipt as a self-contained HTML page (inline CSS, no external resources)."""
    return _html(data, compact=False)


def _document(data: ReceiptData, fonts: FontConfiguration) -> Document:
    doc: Document = HTML(string=_html(data, compact=False)).render(font_config=fonts)
    if len(doc.pages) > MAX_PAGES:  # many dependents: tighter rows and a smaller type size
        doc = HTML(string=_html(data, compact=True)).render(font_config=fonts)
    return doc


class MissingFont(RuntimeError):
    """The Korean font the documents are set in is not installed: a PDF would show empty
    boxes for every Hangul syllable, so none is made."""


KOREAN_FONT = "NanumGothic"  # receipt.css sets every text in it (Debian fonts-nanum)


@cache
def _korean_fonts() -> frozenset[str]:
    """Font families fontconfig has for Korean (what WeasyPrint will find)."""
    try:
        done = subprocess.run(
            ["fc-list", ":lang=ko", "family"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    families = {f.strip() for line in done.stdout.splitlines() for f in line.split(",")}
    return frozenset(f for f in families if f)


def require_korean_font() -> None:
    """Refuse to lay out a document without its Korean glyphs (loudly, not a log warning)."""
    if KOREAN_FONT not in _korean_fonts():
        raise MissingFont(
            f"한글 글꼴 {KOREAN_FONT}이(가) 설치되어 있지 않아 문서를 만들 수 없습니다 "
            "(관리자: apt-get install fonts-nanum) / the Korean font is not installed"
        )


def render_receipt_pdf(data: ReceiptData) -> bytes:
    """One receipt as PDF bytes (A4, at most two pages for a usual household)."""
    require_korean_font()
    pdf: bytes = _document(data, FontConfiguration()).write_pdf()
    return pdf


def render_many_pdf(receipts: Sequence[ReceiptData]) -> bytes:
    """Every receipt in one PDF, each starting on a new page (metadata from the first)."""
    if not receipts:
        raise ValueError("no receipts to render")
    require_korean_font()
    fonts = FontConfiguration()
    documents = [_document(d, fonts) for d in receipts]
    pages = [page for doc in documents for page in doc.pages]
    pdf: bytes = documents[0].copy(pages).write_pdf()
    return pdf
