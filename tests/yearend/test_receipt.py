"""근로소득 원천징수영수증 PDF: the printed amounts are the engine's, RRNs are masked, fonts embed."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any, cast

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from insa.yearend.receipt import (
    ReceiptAgency,
    ReceiptData,
    ReceiptDependent,
    ReceiptEmployee,
    render_many_pdf,
    render_receipt_html,
    render_receipt_pdf,
)
from insa.yearend.scalar import compute
from insa.yearend.schemas import Case

# PwC Worldwide Tax Summaries, Korea: salary 100M, spouse without income, children 12 and 10
PWC_2025: dict[str, Any] = {
    "id": "pwc-2025",
    "tax_year": 2025,
    "taxpayer": {"birth_date": "1980-05-01"},
    "wages": {"total_salary": 100_000_000},
    "dependents": [
        {"relation": "spouse", "birth_date": "1982-01-01"},
        {"relation": "child", "birth_date": "2013-03-01"},
        {"relation": "child", "birth_date": "2015-03-01"},
    ],
    "withheld": {"income_tax": 11_500_000, "local_tax": 1_150_000},
}

AGENCY = ReceiptAgency(
    name="행정안전부",
    representative="장관 홍길동",
    brn="1348300123",
    address="세종특별자치시 도움6로 42 정부세종청사",
)

FAMILY = (
    ReceiptDependent("본인", "김민준", "800501-1******", basic=True),
    ReceiptDependent("배우자", "이서연", "820101-2******", basic=True),
    ReceiptDependent("자녀", "김하은", "130301-4******", basic=True, child=True),
    ReceiptDependent("자녀", "김도윤", "150301-3******", basic=True, child=True),
)


def _employee(name: str = "김민준", rrn: str = "800501-1******") -> ReceiptEmployee:
    return ReceiptEmployee(
        name=name,
        masked_rrn=rrn,
        employee_no="E2025-00123",
        org_unit="디지털정부혁신실 정책기획과",
        work_start=dt.date(2025, 1, 1),
        work_end=dt.date(2025, 12, 31),
        address="세종특별자치시 한누리대로 2130",
    )


def _receipt(
    case: dict[str, Any] = PWC_2025,
    dependents: Sequence[ReceiptDependent] = FAMILY,
    employee: ReceiptEmployee | None = None,
) -> ReceiptData:
    result = compute(Case.model_validate(case))
    salary = result["total_salary"]
    return ReceiptData(
        tax_year=case["tax_year"],
        agency=AGENCY,
        employee=employee or _employee(),
        result=result,
        pay={"salary": salary - 12_000_000, "bonus": 12_000_000, "nontaxable": 2_400_000},
        dependents=dependents,
        issued_on=dt.date(2026, 2, 27),
    )


def _read(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def _font_names(reader: PdfReader) -> set[str]:
    names: set[str] = set()
    for page in reader.pages:
        resources = cast(DictionaryObject, page["/Resources"].get_object())
        fonts = cast(DictionaryObject, resources["/Font"].get_object())
        names |= {str(cast(DictionaryObject, f.get_object())["/BaseFont"]) for f in fonts.values()}
    return names


@pytest.fixture(scope="module")
def pwc() -> tuple[ReceiptData, bytes]:
    data = _receipt()
    return data, render_receipt_pdf(data)


def test_pwc_receipt_prints_the_engines_amounts(pwc: tuple[ReceiptData, bytes]) -> None:
    data, pdf = pwc
    assert pdf.startswith(b"%PDF")
    reader, text = _read(pdf)
    assert len(reader.pages) <= 2
    assert "근로소득 원천징수영수증" in text
    assert "소득자 보관용" in text
    assert "위의 원천징수액(근로소득)을 정히 영수(지급)합니다." in text
    assert "김민준" in text
    assert "800501-1******" in text
    assert "134-83-00123" in text
    r = data.result
    assert r["determined_tax"] == 12_080_000
    assert "12,080,000" in text
    for key in ("total_salary", "determined_tax", "local_tax", "tax_base", "computed_tax"):
        assert f"{r[key]:,}" in text, key
    assert f"{r['balance_income_tax']:,}" in text  # 580,000
    assert f"{r['balance_local_tax']:,}" in text
    for person in FAMILY:
        assert person.name in text
        assert person.masked_rrn in text
    assert "표준세액공제" in text  # the PwC family is better off with the standard credit
    assert r["method"] == "standard"


def test_only_nanum_fonts_are_embedded(pwc: tuple[ReceiptData, bytes]) -> None:
    names = _font_names(_read(pwc[1])[0])
    assert names, "no fonts embedded"
    assert all("Nanum" in n for n in names), names  # no fallback font: every glyph is Nanum


def test_refund_shows_the_negative_balance() -> None:
    case = {**PWC_2025, "withheld": {"income_tax": 12_181_658, "local_tax": 1_218_166}}
    data = _receipt(case)
    assert data.result["balance_income_tax"] == -101_650
    _, text = _read(render_receipt_pdf(data))
    assert "-101,650" in text
    assert f"{data.result['balance_local_tax']:,}" in text  # -10,160
    assert "(환급)" in text


@pytest.mark.parametrize("rrn", ["8005011234567", "800501-1234567", "800501-1", ""])
def test_a_full_rrn_is_refused(rrn: str) -> None:
    with pytest.raises(ValueError, match="마스킹") as caught:
        _employee(rrn=rrn)
    assert "1234567" not in str(caught.value)  # the refusal never echoes the number
    with pytest.raises(ValueError, match="마스킹"):
        ReceiptDependent("자녀", "김하은", rrn, basic=True)


def test_html_is_escaped() -> None:
    html = render_receipt_html(_receipt(employee=_employee(name="<b>김민준</b>")))
    assert "&lt;b&gt;김민준&lt;/b&gt;" in html
    assert "<b>김민준" not in html


def test_pay_must_add_up_to_total_salary() -> None:
    data = _receipt()
    with pytest.raises(ValueError, match="총급여"):
        ReceiptData(
            tax_year=2025,
            agency=AGENCY,
            employee=_employee(),
            result=data.result,
            pay={"salary": 100_000_000, "bonus": 12_000_000},
        )


def test_business_registration_number_has_ten_digits() -> None:
    with pytest.raises(ValueError, match="10자리"):
        ReceiptAgency("행정안전부", "장관", "12345", "세종")


def test_a_large_household_stays_on_two_pages() -> None:
    parents = [
        ReceiptDependent("직계존속", f"김부모{i}", "500101-1******", basic=True, senior=True)
        for i in range(14)
    ]
    case = {
        **PWC_2025,
        "dependents": [
            *PWC_2025["dependents"],
            *[{"relation": "parent", "birth_date": "1950-01-01"}] * 14,
        ],
    }
    reader, text = _read(render_receipt_pdf(_receipt(case, [*FAMILY, *parents])))
    assert len(reader.pages) <= 2
    assert "김부모13" in text


def test_many_receipts_make_one_pdf() -> None:
    first = _receipt()
    second = _receipt(employee=_employee(name="박지우", rrn="850203-2******"))
    pdf = render_many_pdf([first, second])
    reader, text = _read(pdf)
    assert pdf.startswith(b"%PDF")
    assert len(reader.pages) == 4
    assert "김민준" in reader.pages[0].extract_text()
    assert "박지우" in reader.pages[2].extract_text()
    assert "850203-2******" in text
    with pytest.raises(ValueError):
        render_many_pdf([])


def test_a_receipt_without_its_korean_font_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without NanumGothic every Hangul syllable would be an empty box: no PDF, a clear
    Korean error instead of a WeasyPrint warning in the log."""
    import insa.yearend.receipt as receipt

    assert receipt.KOREAN_FONT in receipt._korean_fonts()  # installed here (make test)
    monkeypatch.setattr(receipt, "_korean_fonts", lambda: frozenset({"DejaVu Sans"}))
    data = _receipt(PWC_2025)
    with pytest.raises(receipt.MissingFont, match="fonts-nanum"):
        render_receipt_pdf(data)
    with pytest.raises(receipt.MissingFont, match="한글 글꼴"):
        render_many_pdf([data])
