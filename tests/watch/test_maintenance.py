"""Maintenance windows: their time zone, their weekdays, across midnight."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from insa.watch.maintenance import active
from insa.watch.schemas import Window

SEOUL = ZoneInfo("Asia/Seoul")


def _at(y: int, mo: int, d: int, h: int, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=SEOUL).astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("at", "on"),
    [
        (_at(2026, 12, 6, 22, 59), False),  # Sunday, a minute before
        (_at(2026, 12, 6, 23, 0), True),  # Sunday 23:00, Seoul time
        (_at(2026, 12, 7, 0, 30), True),  # Monday 00:30: Sunday's window goes on
        (_at(2026, 12, 7, 1, 0), False),  # it ended at 01:00
        (_at(2026, 12, 7, 23, 30), False),  # Monday night: not a window day
    ],
)
def test_a_sunday_window_across_midnight(at: dt.datetime, on: bool) -> None:
    window = Window("23:00", 2 * 3_600_000, ("Sunday",), "Asia/Seoul")
    assert active(window, at) is on


def test_every_day_when_no_weekday_is_given() -> None:
    window = Window("02:00", 30 * 60_000, (), "UTC")
    assert all(active(window, dt.datetime(2026, 12, d, 2, 10, tzinfo=dt.UTC)) for d in range(1, 8))
    assert not active(window, dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC))
