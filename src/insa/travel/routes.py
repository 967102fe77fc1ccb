"""The three steps in the web app, phone first: request → approve → settle (then payment).
Routes parse, call the services and render; the services scope and audit."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from insa.clock import today_kst
from insa.people import salary
from insa.spreadsheets import table_file
from insa.travel import counters, feeds, finance, service
from insa.travel import receipts as rc
from insa.travel.checks_db import checks_for, flag_label
from insa.travel.compute import MAX_WON, is_won
from insa.travel.workflow import STATE_LABELS, TransitionError, TripState, can_edit
from insa.web.deps import (
    CtxDep,
    Forbidden,
    NavItem,
    NotFound,
    csrf_protect,
    download,
    flash,
    page_gate,
    render,
    see_other,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
PARTS = (service.REQUEST, service.APPROVE, service.PAY)  # whoever plays a part in the steps
NAV = (
    NavItem("출장", "/travel", lambda p: any(p.can(x) for x in PARTS), order=50),
    NavItem(
        "출장 현황",
        "/travel/trips",
        lambda p: p.can(service.VIEW) and not p.can(service.PAY),  # finance: its own page
        order=51,
    ),
)
TRANSPORT = {
    "rail": "철도",
    "bus": "버스",
    "air": "항공",
    "ship": "선박",
    "car": "자가용",
    "official": "공용차량",
}


def _ids(form: Any) -> list[int]:
    return [int(str(v)) for v in form.getlist("trip_id") if str(v).isdigit()]


def _trip(ctx: Any, trip_id: int) -> tuple[Any, str]:
    """The trip and the caller's part in it, or a 404 (outside the caller's scope)."""
    found = service.get_trip(ctx, trip_id)
    if found is None:
        raise NotFound()
    return found


def _conflict(request: Request, ctx: Any, message: str) -> Response:
    """A refused action: nothing of the request is kept (a bulk action is all or nothing)."""
    service.abandon(ctx)
    return render(
        request, "error.html", status_code=409, title="처리할 수 없습니다", message=message
    )


@router.get("/travel/trips", response_class=HTMLResponse, dependencies=[page_gate(service.VIEW)])
def travel_trips(
    request: Request, ctx: CtxDep, state: str = "", month: str = "", q: str = "",
    agency: Annotated[str, Query(alias="agency_id")] = "", page: Annotated[int, Query(ge=1)] = 1,
) -> Response:  # fmt: skip
    """The agency's trips (every agency's for central administrators), read-only, filtered."""
    error = None
    state = state if state in STATE_LABELS else ""
    try:
        found = service.trips_overview(ctx, state=state, month=month, q=q,
                                       agency_id=_positive_int(agency), page=page)  # fmt: skip
    except ValueError as exc:
        error, found = str(exc), service.trips_overview(ctx, state=state, q=q, page=page)
    return render(request, "travel/trips.html", result=found, labels=STATE_LABELS, error=error,
                  form={"state": state, "month": month, "q": q}, transport=TRANSPORT)  # fmt: skip


@router.get("/travel", response_class=HTMLResponse, dependencies=[page_gate(*PARTS, service.VIEW)])
def travel_home(request: Request, ctx: CtxDep) -> Response:
    p = ctx.principal
    if p.can(service.APPROVE):
        return RedirectResponse("/travel/approvals", status_code=303)
    if p.can(service.PAY):
        return RedirectResponse("/travel/finance", status_code=303)
    if not p.can(service.REQUEST):  # HR officers, central administrators: read-only
        return RedirectResponse("/travel/trips", status_code=303)
    return _home(request, ctx)


def _home(
    request: Request, ctx: Any, *, typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    """My trips and the request form (filled from the profile, or as typed after an error)."""
    trips = service.list_trips(ctx, service.REQUEST)
    day = today_kst() + dt.timedelta(days=7)
    me = service.profile(ctx)
    first, last = me.get("hours", ("08:00", "19:00"))
    form = {"purpose": "", "destination": me.get("destination", "") if me else "",
            "start": f"{day}T{first}", "end": f"{day}T{last}",
            "transport": me.get("transport", "rail") if me else "rail",
            "official_vehicle": "1" if me and me.get("official_vehicle") else "", "kind": "outside"}  # fmt: skip
    form |= typed or {}
    return render(request, "travel/index.html", status_code=status_code, trips=trips,
                  labels=STATE_LABELS, transport=TRANSPORT, me=me, form=form, errors=errors or {})  # fmt: skip


@router.post("/travel", response_class=HTMLResponse)
def travel_request(
    request: Request,
    ctx: CtxDep,
    purpose: Annotated[str, Form()],
    destination: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    transport: Annotated[str, Form()] = "rail",
    official_vehicle: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "outside",
) -> Response:
    typed = {"purpose": purpose, "destination": destination, "start": start, "end": end,
             "transport": transport, "official_vehicle": official_vehicle, "kind": kind}  # fmt: skip
    try:
        trip = service.request_trip(
            ctx, purpose=purpose, destination=destination,
            start=_when(start, "start"), end=_when(end, "end"),
            transport=transport if transport in TRANSPORT else "rail",
            official_vehicle=bool(official_vehicle) or transport == "official",
            kind=kind if kind in ("outside", "within") else "outside",
        )  # fmt: skip
    except PermissionError as exc:
        raise Forbidden(str(exc)) from None
    except service.RequestError as exc:  # the form again, as typed, the message beside the field
        return _home(request, ctx, typed=typed, errors={exc.field: str(exc)}, status_code=422)
    return see_other(f"/travel/{trip.id}", "출장을 신청했습니다. 결재권자의 승인을 기다립니다.")


def _when(text: str, field: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise service.RequestError(
            field, "날짜와 시각을 YYYY-MM-DD HH:MM 형식으로 적어 주세요."
        ) from None


@router.get(
    "/travel/approvals", response_class=HTMLResponse, dependencies=[page_gate(service.APPROVE)]
)
def travel_approvals(request: Request, ctx: CtxDep) -> Response:
    pending = service.list_trips(ctx, service.APPROVE, ("requested",))
    checks = checks_for(ctx, [t.id for t, _, _ in pending])
    return render(
        request, "travel/approvals.html", trips=pending, transport=TRANSPORT, checks=checks
    )


@router.post("/travel/approvals", response_class=HTMLResponse)
async def travel_bulk_approve(request: Request, ctx: CtxDep) -> Response:
    form = await request.form()
    ids = _ids(form)
    try:
        service.decide(ctx, ids, "approve")
    except LookupError:
        raise NotFound() from None
    except TransitionError as exc:
        return _conflict(request, ctx, str(exc))
    if not ids:
        return see_other("/travel/approvals", "승인할 출장을 고르지 않았습니다.", "warn")
    return see_other(
        "/travel/approvals", f"출장 {len(ids)}건을 승인했습니다. 출장자가 다녀온 뒤 정산합니다."
    )


@router.get("/travel/finance", response_class=HTMLResponse, dependencies=[page_gate(service.PAY)])
def travel_finance(request: Request, ctx: CtxDep) -> Response:
    settled = service.list_trips(ctx, service.PAY, ("settled",))
    checks = checks_for(ctx, [t.id for t, _, _ in settled])
    accounts = salary.with_accounts(ctx, [t.employee_id for t, _, _ in settled])
    preselected = {t.id: t.total or 0 for t, _, _ in settled
                   if not checks.get(t.id) and t.employee_id in accounts}  # fmt: skip
    return render(
        request, "travel/finance.html", trips=settled, counters=counters.counters(ctx),
        checks=checks, accounts=accounts, preselected=preselected,
        preselected_total=sum(preselected.values()),
        refunds=feeds.refunds_to_collect(ctx), overpaid=finance.overpaid(ctx),
        unmatched=feeds.unmatched_tickets(ctx),
        missing=feeds.trips_without_tickets(ctx), labels=STATE_LABELS, transport=TRANSPORT,
        today=service.today_kst().isoformat(),
    )  # fmt: skip


@router.post("/travel/finance/pay")
async def travel_pay(request: Request, ctx: CtxDep) -> Response:
    form = await request.form()
    ids = _ids(form)
    fmt = str(form.get("format", "csv"))
    try:
        paid = finance.pay(ctx, ids)
    except LookupError:
        raise NotFound() from None
    except TransitionError as exc:
        return _conflict(request, ctx, str(exc))
    rows = finance.payment_rows(ctx, paid)
    total = sum(r.amount for r in rows)
    return flash(_payment_file(rows, fmt, service.today_kst()),
                 f"출장 {len(rows)}건, 합계 {total:,}원을 지급했습니다. 지급 파일을 내려받았습니다.")  # fmt: skip


@router.post(
    "/travel/finance/recover", response_class=HTMLResponse, dependencies=[page_gate(service.PAY)]
)
async def travel_recover(request: Request, ctx: CtxDep) -> Response:
    """Record money recovered from a traveller after a refund following payment."""
    form = await request.form()
    text = str(form.get("amount", "")).replace(",", "").strip()
    trip_id = _positive_int(form.get("trip_id"))
    if trip_id is None:
        raise NotFound()
    try:
        if not is_won(text):
            raise ValueError("환수액은 원 단위 정수로 적어 주세요.")
        finance.record_recovery(ctx, trip_id, int(text))
    except LookupError:
        raise NotFound() from None
    except ValueError as exc:
        return _invalid(request, str(exc))
    return see_other("/travel/finance", f"환수액 {int(text):,}원을 기록했습니다.")


@router.get("/travel/finance/payments", dependencies=[page_gate(service.PAY)])
def travel_payments(ctx: CtxDep, on: str = "", format: str = "csv") -> Response:
    """The payment file again: the trips paid on a day (Korean time), in the caller's agency."""
    try:
        day = dt.date.fromisoformat(on) if on else service.today_kst()
    except ValueError:
        raise NotFound() from None
    return _payment_file(finance.payment_rows(ctx, finance.paid_on(ctx, day)), format, day)


PAYMENT_HEADER = (
    "직원번호",
    "성명",
    "은행코드",
    "은행",
    "계좌번호",
    "예금주",
    "지급액(원)",
    "적요",
)
# the same in CSV and XLSX; the last row is the total (합계, the number of transfers, the sum)


def _payment_file(rows: list[finance.PaymentRow], fmt: str, day: dt.date) -> Response:
    """The bank-transfer file, CSV (UTF-8 with BOM) or XLSX: one row per transfer, each to
    the traveller's salary account, and a total row."""
    total = ("합계", f"{len(rows)}건", "", "", "", "", sum(r.amount for r in rows), "")
    kind = "xlsx" if fmt == "xlsx" else "csv"
    content, media = table_file(kind, PAYMENT_HEADER, (r.cells() for r in rows),
                                sheet="여비 지급", total=total, money=(6,))  # fmt: skip
    return download(content, media, f"travel-payment-{day.isoformat()}.{kind}")


@router.get("/travel/{trip_id}", response_class=HTMLResponse)
def travel_trip(request: Request, ctx: CtxDep, trip_id: int) -> Response:
    trip, part = _trip(ctx, trip_id)
    result = (
        service.settlement(ctx, trip) if trip.state in ("approved", "settled", "paid") else None
    )
    estimate = service.estimate(ctx, trip) if trip.state == "requested" else None
    return render(
        request, "travel/trip.html", trip=trip, part=part, result=result, labels=STATE_LABELS,
        transport=TRANSPORT, editable=can_edit(TripState(trip.state), "settlement"),
        checks=checks_for(ctx, [trip.id]).get(trip.id, []), kinds=rc.KINDS,
        flag_label=flag_label, history=service.history(ctx, trip), estimate=estimate,
        tickets=service.tickets_of(ctx, trip),
    )  # fmt: skip


@router.post("/travel/{trip_id}/nights", response_class=HTMLResponse)
async def travel_nights(request: Request, ctx: CtxDep, trip_id: int) -> Response:
    form = await request.form()
    trip = _own_trip(ctx, trip_id)
    values: dict[int, tuple[int, bool, bool]] = {}
    for key, value in form.items():
        if key.startswith("lodging-") and (nid := _positive_int(key.split("-", 1)[1])) is not None:
            text = str(value).replace(",", "").strip() or "0"
            if not is_won(text):
                return _invalid(
                    request, f"숙박비: 원 단위 정수로, {MAX_WON:,}원 이하로 적어 주세요."
                )
            values[nid] = (
                int(text),
                bool(form.get(f"relatives-{nid}")),
                bool(form.get(f"unavoidable-{nid}")),
            )
    try:
        service.update_nights(ctx, trip, values)
    except TransitionError as exc:
        return _conflict(request, ctx, str(exc))
    return see_other(f"/travel/{trip_id}", "숙박비를 고쳐 정산을 다시 계산했습니다.")


@router.post("/travel/{trip_id}/action", response_class=HTMLResponse)
def travel_action(
    request: Request, ctx: CtxDep, trip_id: int,
    action: Annotated[str, Form()], reason: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    trip, part = _trip(ctx, trip_id)
    try:
        if action == "settle" and part == "traveller":
            service.settle(ctx, trip)
        elif action == "cancel" and part in ("traveller", "approver"):
            service.cancel(ctx, trip, part, reason or "취소")
        elif action in ("approve", "reject") and part == "approver":
            service.decide(ctx, [trip.id], action, reason)
        elif action == "pay" and part == "finance_officer":
            finance.pay(ctx, [trip.id])
        else:
            raise TransitionError(
                f"{STATE_LABELS.get(trip.state, trip.state)} 상태의 출장에는 이 처리를 할 수 없습니다."
            )
    except TransitionError as exc:
        return _conflict(request, ctx, str(exc))
    return see_other(f"/travel/{trip_id}", DONE.get(action, "처리했습니다."))


DONE = {
    "settle": "정산을 확정했습니다. 재무담당자가 지급합니다.",
    "cancel": "출장을 취소했습니다.",
    "approve": "출장을 승인했습니다. 출장자가 다녀온 뒤 정산합니다.",
    "reject": "출장을 반려했습니다. 출장자에게 사유가 보입니다.",
    "pay": "출장비를 지급했습니다.",
}


def _own_trip(ctx: Any, trip_id: int) -> Any:
    trip, part = _trip(ctx, trip_id)
    if part != "traveller":
        raise NotFound()
    return trip


def _invalid(request: Request, message: str) -> Response:
    return render(request, "error.html", status_code=422, title="입력 오류", message=message)


def _positive_int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdigit() else None


@router.post("/travel/{trip_id}/receipts", response_class=HTMLResponse)
async def travel_receipt_upload(request: Request, ctx: CtxDep, trip_id: int) -> Response:
    """Upload a photo or PDF of a receipt: stored as sent, read by OCR, then shown to confirm."""
    form = await request.form()
    trip = _own_trip(ctx, trip_id)
    htmx = request.headers.get("hx-request") == "true"
    upload = form.get("file")
    try:
        if upload is None or isinstance(upload, str):
            raise rc.ReceiptError("영수증 파일을 골라 주세요.")
        data = await upload.read(rc.MAX_BYTES + 1)
        rc.ensure_open(trip)  # before spending OCR time
        reading = await run_in_threadpool(rc.read, data)  # Tesseract takes a second or two
        receipt = rc.upload(
            ctx, trip, filename=upload.filename or "receipt", data=data, reading=reading,
            kind=str(form.get("kind", "lodging")), night_id=_positive_int(form.get("night_id")),
        )  # fmt: skip
    except (rc.ReceiptError, TransitionError) as exc:
        if htmx:  # shown beside the form, which stays as it is
            return HTMLResponse(f'<p class="alert" role="alert">{escape(str(exc))}</p>')
        if isinstance(exc, TransitionError):
            return _conflict(request, ctx, str(exc))
        return _invalid(request, str(exc))
    url = f"/travel/{trip_id}/receipts/{receipt.id}"
    if htmx:
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


@router.get("/travel/{trip_id}/receipts/{receipt_id}", response_class=HTMLResponse)
def travel_receipt(request: Request, ctx: CtxDep, trip_id: int, receipt_id: int) -> Response:
    trip, part = _trip(ctx, trip_id)
    try:
        receipt = rc.get(ctx, trip, receipt_id)
    except LookupError:
        raise NotFound() from None
    nights = service.nights_of(ctx, trip.id)
    return render(
        request, "travel/receipt.html", trip=trip, receipt=receipt, read=rc.readings(receipt),
        kinds=rc.KINDS, nights=nights,
        editable=part == "traveller" and can_edit(TripState(trip.state), "settlement"),
    )  # fmt: skip


@router.get("/travel/{trip_id}/receipts/{receipt_id}/original")
def travel_receipt_original(ctx: CtxDep, trip_id: int, receipt_id: int) -> Response:
    """The stored original, exactly as uploaded."""
    trip, _ = _trip(ctx, trip_id)
    try:
        receipt = rc.get(ctx, trip, receipt_id)
    except LookupError:
        raise NotFound() from None
    suffix = {"image/jpeg": ".jpg", "image/png": ".png"}.get(receipt.content_type, ".pdf")
    return download(receipt.original, receipt.content_type, f"receipt-{receipt.id}{suffix}",
                    inline=True, headers={"X-Content-Type-Options": "nosniff",
                                          "Cache-Control": "private, no-store"})  # fmt: skip


@router.post("/travel/{trip_id}/receipts/{receipt_id}", response_class=HTMLResponse)
async def travel_receipt_confirm(
    request: Request, ctx: CtxDep, trip_id: int, receipt_id: int
) -> Response:
    """The traveller confirms or corrects what OCR read (or removes the receipt)."""
    form = await request.form()
    trip = _own_trip(ctx, trip_id)
    try:
        if form.get("action") == "delete":
            rc.remove(ctx, trip, receipt_id)
        else:
            rc.confirm(ctx, trip, receipt_id, rc.Correction(
                kind=str(form.get("kind", "")), date=str(form.get("date", "")),
                total=str(form.get("total", "")), merchant=str(form.get("merchant", "")),
                brn=str(form.get("brn", "")), approval_no=str(form.get("approval_no", "")),
                night_id=_positive_int(form.get("night_id")), all_nights=form.get("night_id") == "all",
            ))  # fmt: skip
    except LookupError:
        raise NotFound() from None
    except rc.ReceiptError as exc:
        return _invalid(request, str(exc))
    except TransitionError as exc:
        return _conflict(request, ctx, str(exc))
    done = (
        "영수증을 지웠습니다." if form.get("action") == "delete" else "영수증 내용을 확인했습니다."
    )
    return see_other(f"/travel/{trip_id}", done)


ROUTERS = (router,)
