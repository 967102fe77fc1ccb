"""The three-step state machine and the checks on trips, tickets and receipts."""

from __future__ import annotations

import datetime as dt

import pytest

from insa.travel.checks import (
    ReceiptRecord,
    TicketRecord,
    TripRecord,
    claimed_twice,
    holiday_trips,
    overlapping_trips,
    receipts_outside_trip,
)
from insa.travel.workflow import (
    TransitionError,
    TripState,
    apply,
    can_edit,
    ready_to_pay,
    refunds_to_collect,
)


def test_the_three_steps_and_payment() -> None:
    t = TripState()
    assert can_edit(t, "request") and not can_edit(t, "settlement")
    apply(t, "approve", actor="park", part="approver")
    assert can_edit(t, "settlement") and not can_edit(t, "request")
    apply(t, "settle", actor="lee", part="traveller")
    apply(t, "pay", actor="kim", part="finance_officer")
    assert t.state == "paid" and not can_edit(t, "settlement")
    assert [e.action for e in t.history] == ["approve", "settle", "pay"]


@pytest.mark.parametrize(
    ("steps", "action", "part", "message"),
    [
        ([], "settle", "traveller", "신청 상태인 출장은 정산 확정할 수 없습니다"),  # not approved yet
        ([], "pay", "finance_officer", "지급할 수 없습니다"),
        ([], "approve", "traveller", "출장자는 출장을 승인할 수 없습니다"),
        ([("approve", "approver")], "approve", "approver", "승인 상태인 출장은 승인할 수 없습니다"),
        ([("approve", "approver"), ("settle", "traveller"), ("pay", "finance_officer")], "cancel", "traveller", "지급 완료 상태인 출장은 취소할 수 없습니다"),
        ([("reject", "approver")], "settle", "traveller", "반려 상태인 출장은 정산 확정할 수 없습니다"),
        ([], "pay", "approver", "지급할 수 없습니다"),
    ],
)  # fmt: skip
def test_illegal_transitions_are_rejected(
    steps: list[tuple[str, str]], action: str, part: str, message: str
) -> None:
    t = TripState()
    for a, p in steps:
        apply(t, a, actor="x", part=p, reason="사유")
    before = (t.state, len(t.history))
    with pytest.raises(TransitionError, match=message):
        apply(t, action, actor="y", part=part)
    assert (t.state, len(t.history)) == before  # nothing changed


def test_rejection_needs_a_reason_and_cancelled_tickets_become_refunds() -> None:
    t = TripState()
    with pytest.raises(TransitionError, match="사유"):
        apply(t, "reject", actor="park", part="approver", reason="  ")
    apply(t, "approve", actor="park", part="approver")
    apply(t, "cancel", actor="lee", part="traveller", reason="일정 취소")
    assert refunds_to_collect(t.state, ["issued", "changed", "refunded"]) == 2
    assert refunds_to_collect("paid", ["issued"]) == 0


def test_a_trip_is_settled_after_it_ends_and_paid_only_if_settled_after_it_ended() -> None:
    """A trip of 12-15 was settled and paid on 12-02: settlement waits for the return, and a
    trip settled in advance (before this rule) is refused at payment until settled again."""
    kst = dt.timezone(dt.timedelta(hours=9))
    ends = dt.datetime(2026, 12, 15, 19, 0, tzinfo=kst)
    before, after = (
        dt.datetime(2026, 12, 2, 10, tzinfo=kst),
        dt.datetime(2026, 12, 16, 9, tzinfo=kst),
    )
    t = TripState(ends_at=ends)
    apply(t, "approve", actor="park", part="approver", now=before)
    with pytest.raises(TransitionError, match="출장이 끝난 뒤"):
        apply(t, "settle", actor="lee", part="traveller", now=before)
    assert t.state == "approved" and t.settled_at is None
    apply(t, "settle", actor="lee", part="traveller", now=ends)  # the moment of return
    assert t.settled_at == ends and ready_to_pay(t, after)
    apply(t, "pay", actor="kim", part="finance_officer", now=after)
    # settled in advance (an old record): payment refuses it
    early = TripState("settled", ends_at=ends, settled_at=before)
    assert not ready_to_pay(early, after)
    with pytest.raises(TransitionError, match="귀임"):
        apply(early, "pay", actor="kim", part="finance_officer", now=after)
    assert early.state == "settled"
    unknown = TripState("settled", ends_at=ends)  # no record of when it was settled
    with pytest.raises(TransitionError, match="지급할 수 없습니다"):
        apply(unknown, "pay", actor="kim", part="finance_officer", now=after)


def trip(tid: str, who: str, start: str, end: str) -> TripRecord:
    return TripRecord(tid, who, dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end))


def test_holiday_trips_include_lunar_holidays() -> None:
    flags = holiday_trips([
        trip("chuseok", "a", "2025-10-06T09:00", "2025-10-06T18:00"),  # 추석 (lunar)
        trip("plain", "a", "2025-10-14T09:00", "2025-10-15T18:00"),
        trip("seollal", "b", "2026-02-16T09:00", "2026-02-18T18:00"),  # 설날 연휴
    ])  # fmt: skip
    assert [f.trip_ids for f in flags] == [("chuseok",), ("seollal",)]
    assert "추석" in flags[0].message


def test_overlapping_trips_of_one_person_only() -> None:
    flags = overlapping_trips([
        trip("t1", "a", "2025-03-10T08:00", "2025-03-12T18:00"),
        trip("t2", "a", "2025-03-12T09:00", "2025-03-13T18:00"),  # overlaps t1
        trip("t3", "a", "2025-03-13T19:00", "2025-03-14T18:00"),  # after t2 ended
        trip("t4", "b", "2025-03-10T08:00", "2025-03-12T18:00"),  # someone else
    ])  # fmt: skip
    assert [f.trip_ids for f in flags] == [("t1", "t2")]


def test_receipts_outside_the_trip_and_claimed_twice() -> None:
    trips = [trip("t1", "a", "2025-03-10T08:00", "2025-03-12T18:00")]
    receipts = [
        ReceiptRecord("t1", "a", "1234567890|2025-03-11|88000|A1", dt.date(2025, 3, 11)),
        ReceiptRecord("t1", "a", "1234567890|2025-03-14|50000|A2", dt.date(2025, 3, 14)),
    ]
    flags = receipts_outside_trip(trips, receipts)
    assert [f.kind for f in flags] == ["receipt_outside_trip"] and "2025-03-14" in flags[0].message
    twice = claimed_twice([
        receipts[0],
        ReceiptRecord("t9", "b", "1234567890|2025-03-11|88000|A1", dt.date(2025, 3, 11)),  # by two
        TicketRecord("t1", "a", "K-123", "korail"),
        TicketRecord("t5", "a", "K-123", "korail"),  # by one person twice
        TicketRecord("t6", "c", "K-123", "srt"),  # another operator's ticket: not the same
    ])  # fmt: skip
    assert sorted((f.kind, f.trip_ids) for f in twice) == [
        ("receipt_claimed_twice", ("t1", "t9")),
        ("ticket_claimed_twice", ("t1", "t5")),
    ]
    assert any("2명이" in f.message for f in twice) and any("한 사람이" in f.message for f in twice)


def test_claimed_twice_within_one_trip_and_by_approval_number() -> None:
    day = dt.date(2025, 3, 11)
    key = "1234567890:2025-03-11:70000"
    # one receipt uploaded twice on one trip (nights 1 and 2): flagged
    twice = claimed_twice([ReceiptRecord("t1", "a", key, day, "555", "r1"),
                           ReceiptRecord("t1", "a", key, day, "555", "r2")])  # fmt: skip
    assert [(f.kind, f.trip_ids) for f in twice] == [("receipt_claimed_twice", ("t1",))]
    assert "한 출장에 2번" in twice[0].message
    # two colleagues at one hotel, one price, one day: different approval numbers → not the same
    assert claimed_twice([ReceiptRecord("t1", "a", key, day, "555", "r1"),
                          ReceiptRecord("t2", "b", key, day, "556", "r2")]) == []  # fmt: skip
    # an approval number left blank cannot hide a duplicate
    blank = claimed_twice([ReceiptRecord("t1", "a", key, day, "555", "r1"),
                           ReceiptRecord("t3", "a", key, day, "", "r3")])  # fmt: skip
    assert [f.trip_ids for f in blank] == [("t1", "t3")]


def test_overlaps_inside_a_longer_trip_are_all_found() -> None:
    flags = overlapping_trips([
        trip("A", "a", "2025-03-01T08:00", "2025-03-10T18:00"),
        trip("B", "a", "2025-03-02T08:00", "2025-03-04T18:00"),
        trip("C", "a", "2025-03-03T08:00", "2025-03-05T18:00"),  # overlaps A and B
        trip("D", "a", "2025-03-10T18:00", "2025-03-11T18:00"),  # starts as A ends: no overlap
    ])  # fmt: skip
    assert sorted(f.trip_ids for f in flags) == [("A", "B"), ("A", "C"), ("B", "C")]
