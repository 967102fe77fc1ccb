"""Whether a maintenance window is on at a moment (windows may cross midnight)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from insa.watch.schemas import Window

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def active(window: Window, at: dt.datetime) -> bool:
    local = at.astimezone(ZoneInfo(window.timezone))
    hh, mm = (int(x) for x in window.start.split(":"))
    for days_back in (0, 1, 2, 3, 4, 5, 6, 7):  # a window that began on an earlier day
        day = local.date() - dt.timedelta(days=days_back)
        if window.every and WEEKDAYS[day.weekday()] not in window.every:
            continue
        start = dt.datetime.combine(day, dt.time(hh, mm), tzinfo=local.tzinfo)
        if start <= local < start + dt.timedelta(milliseconds=window.duration_ms):
            return True
        if start + dt.timedelta(milliseconds=window.duration_ms) <= local - dt.timedelta(days=7):
            break
    return False
