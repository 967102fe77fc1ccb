"""Korea time: everything is stored in UTC and shown in Korea time (Asia/Seoul, UTC+9 all
year: Korea keeps no daylight saving). A leaf module every layer may use."""

from __future__ import annotations

import datetime as dt

KST = dt.timezone(dt.timedelta(hours=9), "KST")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(at: dt.datetime) -> dt.datetime:
    """A stored time as aware UTC (SQLite hands back naive datetimes, which are UTC)."""
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def to_kst(at: dt.datetime) -> dt.datetime:
    """A stored (UTC) time in Korea time."""
    return as_utc(at).astimezone(KST)


def local_to_utc(local: dt.datetime) -> dt.datetime:
    """A wall-clock time in Korea (as people type them: a trip's departure) as aware UTC."""
    return (local if local.tzinfo else local.replace(tzinfo=KST)).astimezone(dt.UTC)


def today_kst() -> dt.date:
    return dt.datetime.now(KST).date()


def now_local() -> dt.datetime:
    """Korea's wall-clock time, naive (as trips' departures and returns are stored)."""
    return dt.datetime.now(KST).replace(tzinfo=None)
