"""Ticket feeds: validation, latest event wins (re-import changes nothing), matching."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from insa.travel.tickets import (
    TicketEvent,
    TicketFileError,
    TripWindow,
    latest,
    match,
    read_events,
)


def ev(
    tid: str, status: str = "issued", at: str = "2025-03-01T10:00", **over: Any
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ticket_id": tid, "operator": "korail", "passenger_key": "2018000236", "mode": "rail",
        "class": "standard", "from_station": "서울역", "to_station": "부산역",
        "departure": "2025-03-10T07:30", "arrival": "2025-03-10T10:10", "fare": 59800,
        "status": status, "issued_at": "2025-03-01T10:00",
    }  # fmt: skip
    if status == "changed":
        base["changed_at"] = at
    if status == "refunded":
        base["refunded_at"] = at
    base.update(over)
    return base


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_latest_event_wins_and_reimport_is_idempotent(tmp_path: Path) -> None:
    rows = [ev("A1"), ev("A1", "changed", "2025-03-05T09:00", fare=61000), ev("B2"),
            ev("B2", "refunded", "2025-03-08T09:00")]  # fmt: skip
    events = read_events(write(tmp_path / "korail.jsonl", rows))
    state = latest(events)
    assert state[("korail", "A1")].fare == 61_000 and state[("korail", "B2")].status == "refunded"
    # the same file twice, or the events in another order: the same state
    twice = latest(events + list(reversed(events)))
    assert {k: (v.status, v.fare) for k, v in twice.items()} == {
        k: (v.status, v.fare) for k, v in state.items()
    }


def test_bad_lines_are_reported_by_file_line_and_field(tmp_path: Path) -> None:
    bad = [
        ev("A1", fare=-1),
        ev("A2", mode="train"),
        {"ticket_id": "x"},
        ev("A3", arrival="2025-03-10T06:00"),
    ]
    path = write(tmp_path / "srt.jsonl", bad)
    with path.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
    with pytest.raises(TicketFileError) as exc:
        read_events(path)
    errors = exc.value.errors
    for prefix in (
        "srt.jsonl:1:fare:",
        "srt.jsonl:2:mode:",
        "srt.jsonl:3:operator:",
        "srt.jsonl:4:arrival:",
        "srt.jsonl:5: invalid JSON",
    ):
        assert any(e.startswith(prefix) for e in errors), (prefix, errors)


def test_matching_by_person_time_and_destination() -> None:
    trips = [
        TripWindow("busan", "2018000236", dt.datetime(2025, 3, 10, 9), dt.datetime(2025, 3, 11, 18), "부산광역시 연제구"),
        TripWindow("daegu", "2018000236", dt.datetime(2025, 3, 10, 9), dt.datetime(2025, 3, 10, 18), "대구광역시"),
        TripWindow("none", "2018000236", dt.datetime(2025, 4, 1, 9), dt.datetime(2025, 4, 1, 18), "세종"),
    ]  # fmt: skip
    tickets = latest(
        [
            TicketEvent.model_validate(r)
            for r in (ev("A1"), ev("Z9", passenger_key="someone-else"), ev("late", departure="2025-03-12T07:00"))
        ]
    )  # fmt: skip
    m = match(tickets, trips)
    assert m.matched == {("korail", "A1"): "busan"}  # 07:30 is within 6 h before 09:00; 부산 fits
    assert sorted(m.unmatched_tickets) == [("korail", "Z9"), ("korail", "late")]
    assert m.trips_without_tickets == ["daegu", "none"]
