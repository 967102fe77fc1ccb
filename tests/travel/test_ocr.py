"""Receipts read by Tesseract (Korean model): rendered receipts with rotation, noise and a
phone-photo look; field accuracy over a set, and the PDF text path."""

from __future__ import annotations

import datetime as dt
import random

from insa.travel.ocr import ReceiptFields, read_receipt, render_receipt, valid_brn

NAMES = ("부산역 비즈니스호텔", "서울 스테이 명동", "대구 그랜드모텔", "한빛택시", "세종 호텔")
STYLES = (
    {},
    {"rotate": 3.0},
    {"noise": 0.01},
    {"photo": True},
    {"rotate": -2.5, "noise": 0.005, "photo": True},
)


def test_fields_are_read_from_rendered_receipts() -> None:
    rng = random.Random(11)
    hits = {"date": 0, "total": 0, "brn": 0, "merchant": 0}
    n = 10
    for i in range(n):
        f = ReceiptFields(rng.choice(NAMES), valid_brn(100 + i), dt.date(2025, rng.randint(1, 12), rng.randint(1, 28)),
                          rng.randint(3, 20) * 11_000)  # fmt: skip
        r = read_receipt(render_receipt(f, seed=i, **STYLES[i % len(STYLES)]))
        hits["date"] += bool(r.date and r.date.value == f.date)
        hits["total"] += bool(r.total and r.total.value == f.total)
        hits["brn"] += bool(r.brn and r.brn.value == f.brn)
        hits["merchant"] += bool(
            r.merchant and r.merchant.value.replace(" ", "") == f.merchant.replace(" ", "")
        )
        for fld in (r.date, r.total, r.brn):
            assert fld is None or 0.0 <= fld.confidence <= 1.0
    accuracy = {k: v / n for k, v in hits.items()}
    print("field accuracy on rendered receipts:", accuracy)
    assert all(a >= 0.9 for a in accuracy.values()), accuracy


def test_an_invalid_registration_number_is_not_taken() -> None:
    # python-stdnum rejects it: the first three digits (the tax office) must be 101 or more
    f = ReceiptFields("세종 호텔", "0991234567", dt.date(2025, 5, 5), 77_000)
    r = read_receipt(render_receipt(f))
    assert r.brn is None and r.total is not None and r.total.value == 77_000


def test_pdf_receipts_are_read_from_their_text() -> None:
    import weasyprint  # type: ignore[import-untyped]

    brn = valid_brn(7)
    html = (f"<p style='font-family: NanumGothic'>상호: 카드매출전표<br>사업자번호: {brn[:3]}-{brn[3:5]}-{brn[5:]}<br>"
            "일시: 2025-04-01 12:00<br>합계: 45,000원</p>")  # fmt: skip
    r = read_receipt(weasyprint.HTML(string=html).write_pdf())
    assert (r.date and r.date.value, r.total and r.total.value, r.brn and r.brn.value) == (
        dt.date(2025, 4, 1),
        45_000,
        brn,
    )


def test_misread_huge_totals_and_16_bit_scans() -> None:
    import io

    import numpy as np
    from PIL import Image

    from insa.travel.ocr import _fields, _open_image

    assert _fields("합계: 99999999999999999999999원", []).total is None
    assert _fields("합계: 88,000원", []).total is not None
    # a 16-bit greyscale scan keeps its contrast when brought to 8 bits
    arr = np.full((40, 60), 60000, dtype=np.uint16)
    arr[10:30, 10:50] = 1000
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    img = _open_image(buf.getvalue())
    assert img.mode == "L" and img.getextrema() == (0, 255)
