"""Receipts over the database: upload (original stored, read by OCR), confirm or correct, remove.

Only the traveller touches their receipts, and only while the settlement is open (state
``approved``). A confirmed lodging receipt sets its night's lodging; a fare receipt (a ticket
bought outside the operators' feeds) becomes a ticket of the settlement; taxi and other
receipts are kept as evidence. Every change is audited — never the image or the fields'
values, which may be personal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from stdnum.kr import brn as stdnum_brn

from insa.security.context import Ctx
from insa.travel.batch import MODES
from insa.travel.compute import MAX_WON, is_won
from insa.travel.models import TravelNight, TravelReceipt, TravelTrip
from insa.travel.ocr import ReceiptReading, TooLarge, read_receipt
from insa.travel.workflow import TransitionError, TripState, can_edit

MAX_BYTES = 10 * 1024 * 1024
KINDS = {
    "lodging": "숙박",
    "rail": "철도 운임",
    "bus": "버스 운임",
    "air": "항공 운임",
    "ship": "선박 운임",
    "taxi": "택시",
    "other": "기타",
}
FARE_KINDS = MODES  # a confirmed fare receipt is paid as a ticket of that mode
_MAGIC = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"%PDF": "application/pdf",
}


class ReceiptError(ValueError):
    """Bad upload or correction; the message names the field (Korean, for the form)."""


def content_type_of(data: bytes) -> str:
    """JPEG, PNG or PDF by their first bytes (the browser's claim is not trusted)."""
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    raise ReceiptError("영수증 파일은 JPEG, PNG 또는 PDF여야 합니다.")


def receipt_key(
    brn: str | None, date: dt.date | None, total: int | None, sha: str, *,
    approval_no: str | None = None, kind: str = "lodging",
) -> str:  # fmt: skip
    """What makes two receipts candidates for the same receipt: merchant number, date and total
    (the checks then tell colleagues at one hotel apart by the card approval number); without
    those, the file itself. A fare receipt without an approval number is keyed by its file:
    two tickets of one fare on one day (there and back) are ordinary."""
    if brn and date and total is not None and (approval_no or kind not in FARE_KINDS):
        return f"{brn}:{date.isoformat()}:{total}"
    return f"sha256:{sha}"


def ensure_open(trip: TravelTrip) -> None:
    if not can_edit(TripState(trip.state), "settlement"):
        raise TransitionError("승인된 출장의 정산 중에만 영수증을 올리거나 고칠 수 있습니다.")


def _night(ctx: Ctx, trip: TravelTrip, night_id: int | None) -> int | None:
    if night_id is None:
        return None
    found = ctx.db.scalar(
        select(TravelNight.id).where(TravelNight.id == night_id, TravelNight.trip_id == trip.id)
    )
    if found is None:
        raise ReceiptError("숙박일: 이 출장의 숙박일이 아닙니다.")
    return int(found)


def read(data: bytes) -> ReceiptReading:
    """Check the file and read it (no database: the web app runs this off the event loop)."""
    if not data:
        raise ReceiptError("영수증 파일이 비어 있습니다.")
    if len(data) > MAX_BYTES:
        raise ReceiptError("영수증 파일은 10MB 이하여야 합니다.")
    content_type_of(data)
    try:
        return read_receipt(data)
    except TooLarge:
        raise ReceiptError(
            "영수증 이미지가 너무 큽니다 (4천만 화소 이하). 사진 크기를 줄여 올려 주세요."
        ) from None
    except ValueError:
        if data.startswith(b"%PDF"):
            raise ReceiptError(
                "PDF에서 글자를 읽을 수 없습니다. 영수증을 사진으로 찍어 올려 주세요."
            ) from None
        raise ReceiptError("영수증 이미지를 읽을 수 없습니다. 다시 찍어 올려 주세요.") from None
    except OSError:
        raise ReceiptError("영수증 이미지를 열 수 없습니다. 다른 파일을 올려 주세요.") from None


def upload(
    ctx: Ctx, trip: TravelTrip, *, filename: str, data: bytes, kind: str, night_id: int | None,
    reading: ReceiptReading | None = None,
) -> TravelReceipt:  # fmt: skip
    """Store the original and what OCR read from it, unconfirmed, for the traveller to check."""
    ensure_open(trip)
    if kind not in KINDS:
        raise ReceiptError("영수증 종류를 고르세요.")
    if reading is None:
        reading = read(data)
    ctype = content_type_of(data)
    ocr: dict[str, Any] = {}
    for name in ("date", "total", "merchant", "brn", "approval_no"):
        f = getattr(reading, name)
        if f is not None:
            value = f.value.isoformat() if isinstance(f.value, dt.date) else f.value
            ocr[name] = {"value": value, "confidence": f.confidence}
    sha = hashlib.sha256(data).hexdigest()
    receipt = TravelReceipt(
        trip_id=trip.id, night_id=_night(ctx, trip, night_id), kind=kind,
        filename=(filename or "receipt")[-200:], content_type=ctype, sha256=sha, original=data,
        ocr=json.dumps(ocr, ensure_ascii=False),
        date=reading.date.value if reading.date else None,
        total=reading.total.value if reading.total else None,
        merchant=reading.merchant.value[:100] if reading.merchant else None,
        brn=reading.brn.value if reading.brn else None,
        approval_no=reading.approval_no.value[:20] if reading.approval_no else None,
        confirmed=False, created_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    ctx.db.add(receipt)
    ctx.db.flush()
    ctx.audit(
        "travel.upload_receipt", target_type="travel_trip", target_id=trip.id,
        agency_id=trip.agency_id, detail={"receipt": receipt.id, "kind": kind, "fields": sorted(ocr)},
    )  # fmt: skip
    return receipt


@dataclass(frozen=True)
class Correction:
    """The fields as the traveller confirms them (text from the form)."""

    kind: str
    date: str
    total: str
    merchant: str
    brn: str
    approval_no: str = ""
    night_id: int | None = None
    all_nights: bool = False  # one hotel bill for every night of the trip


def confirm(ctx: Ctx, trip: TravelTrip, receipt_id: int, c: Correction) -> TravelReceipt:
    """The traveller confirms or corrects the fields; a lodging receipt then sets its night."""
    ensure_open(trip)
    receipt = _own(ctx, trip, receipt_id)
    if c.kind not in KINDS:
        raise ReceiptError("종류: 영수증 종류를 고르세요.")
    try:
        date = dt.date.fromisoformat(c.date.strip())
    except ValueError:
        raise ReceiptError("날짜: YYYY-MM-DD 형식으로 적어 주세요.") from None
    text = c.total.replace(",", "").replace("원", "").strip()
    if not is_won(text):
        raise ReceiptError(f"합계: 원 단위 정수로, {MAX_WON:,}원 이하로 적어 주세요.")
    digits = "".join(ch for ch in c.brn if ch.isdigit())
    if digits and not stdnum_brn.is_valid(digits):
        raise ReceiptError("사업자등록번호: 올바른 번호가 아닙니다 (예: 123-45-67890).")
    if not digits and c.kind in ("lodging", *FARE_KINDS):
        raise ReceiptError("사업자등록번호: 숙박·운임 영수증에는 꼭 적어 주세요.")
    approval = "".join(ch for ch in c.approval_no if ch.isdigit())[:20]
    night = _night(ctx, trip, c.night_id) if c.kind == "lodging" and not c.all_nights else None
    if c.kind == "lodging" and night is None and not c.all_nights and trip.kind == "outside":
        raise ReceiptError("숙박일: 숙박 영수증은 어느 밤의 것인지 (또는 모든 밤인지) 골라 주세요.")
    lodging = c.kind == "lodging" or (receipt.confirmed and receipt.kind == "lodging")
    receipt.kind, receipt.date, receipt.total = c.kind, date, int(text)
    receipt.merchant = c.merchant.strip()[:100] or None
    receipt.brn, receipt.approval_no, receipt.night_id = digits or None, approval or None, night
    receipt.receipt_key = receipt_key(
        receipt.brn, date, receipt.total, receipt.sha256, approval_no=receipt.approval_no,
        kind=c.kind,
    )  # fmt: skip
    receipt.confirmed = True
    ctx.db.flush()
    if lodging:
        sync_nights(ctx, trip)
    ctx.audit(
        "travel.confirm_receipt", target_type="travel_trip", target_id=trip.id,
        agency_id=trip.agency_id, detail={"receipt": receipt.id, "kind": c.kind,
                                          "corrected": _corrected(receipt)},
    )  # fmt: skip
    return receipt


def _corrected(r: TravelReceipt) -> list[str]:
    """The fields the traveller changed from what OCR read (names only)."""
    read = json.loads(r.ocr)
    now = {
        "date": r.date.isoformat() if r.date else None, "total": r.total,
        "merchant": r.merchant, "brn": r.brn, "approval_no": r.approval_no,
    }  # fmt: skip
    return sorted(k for k, v in now.items() if read.get(k, {}).get("value") != v)


def remove(ctx: Ctx, trip: TravelTrip, receipt_id: int) -> None:
    ensure_open(trip)
    receipt = _own(ctx, trip, receipt_id)
    lodging = receipt.confirmed and receipt.kind == "lodging"
    ctx.db.delete(receipt)
    ctx.db.flush()
    if lodging:
        sync_nights(ctx, trip)
    ctx.audit(
        "travel.remove_receipt", target_type="travel_trip", target_id=trip.id,
        agency_id=trip.agency_id, detail={"receipt": receipt_id},
    )  # fmt: skip


def _own(ctx: Ctx, trip: TravelTrip, receipt_id: int) -> TravelReceipt:
    r = ctx.db.scalar(
        select(TravelReceipt).where(
            TravelReceipt.id == receipt_id, TravelReceipt.trip_id == trip.id
        )
    )
    if r is None:
        raise LookupError(f"receipt {receipt_id}")
    return r


def lodging_from_receipts(ctx: Ctx, trip_id: int) -> dict[int, int] | None:
    """Each night's lodging as the confirmed lodging receipts give it — a receipt for one night
    to that night, a receipt for every night shared equally (the odd won to the first nights) —
    or ``None`` when the trip has no confirmed lodging receipt (lodging is then typed in)."""
    rows = ctx.db.execute(
        select(TravelReceipt.night_id, TravelReceipt.total).where(
            TravelReceipt.trip_id == trip_id,
            TravelReceipt.kind == "lodging",
            TravelReceipt.confirmed.is_(True),
        )
    ).all()
    if not rows:
        return None
    nights = list(
        ctx.db.scalars(
            select(TravelNight.id).where(TravelNight.trip_id == trip_id).order_by(TravelNight.night)
        )
    )
    out = dict.fromkeys(nights, 0)
    spread = 0
    for night_id, total in rows:
        if night_id is None:
            spread += int(total or 0)
        elif night_id in out:
            out[night_id] += int(total or 0)
    if spread and nights:
        share, odd = divmod(spread, len(nights))
        for i, n in enumerate(nights):
            out[n] += share + (1 if i < odd else 0)
    return out


def sync_nights(ctx: Ctx, trip: TravelTrip) -> None:
    """Once a trip has lodging receipts, its nights are paid what the receipts say (before the
    cap); removing the last one leaves the nights at 0."""
    amounts = lodging_from_receipts(ctx, trip.id) or {}
    for night in ctx.db.scalars(select(TravelNight).where(TravelNight.trip_id == trip.id)):
        night.lodging = amounts.get(night.id, 0)


def of_trip(ctx: Ctx, trip_id: int) -> list[TravelReceipt]:
    return list(
        ctx.db.scalars(
            select(TravelReceipt).where(TravelReceipt.trip_id == trip_id).order_by(TravelReceipt.id)
        )
    )


def get(ctx: Ctx, trip: TravelTrip, receipt_id: int) -> TravelReceipt:
    """One receipt of a trip the caller can already see (the caller checked the trip)."""
    r = _own(ctx, trip, receipt_id)
    ctx.audit(
        "travel.view_receipt", target_type="travel_trip", target_id=trip.id,
        agency_id=trip.agency_id, detail={"receipt": receipt_id},
    )  # fmt: skip
    return r


def readings(r: TravelReceipt) -> dict[str, dict[str, Any]]:
    """What OCR read, field → {value, confidence}."""
    out: dict[str, dict[str, Any]] = json.loads(r.ocr)
    return out
