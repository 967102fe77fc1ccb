"""Attempt limits that hold under concurrent requests: passwords and TOTP codes per account,
attempts per client address.

An attempt is **claimed before it is checked**, by one atomic statement whose result decides
(``UPDATE … SET n = n + 1 … RETURNING n``; the address counter is an upsert), and the claim
is committed at once, before the slow password hash is computed: forty requests arriving
together see each other's claims, so at most :data:`LOCK_AFTER` of them are checked before
the account locks, whatever the database or the number of workers. A read-then-write
counter (``user.failed_logins += 1``) loses updates under exactly that burst.

The attempt that reaches the limit sets a provisional lock (:data:`LOCK_MAX`) in the same
statement, so later concurrent claims are refused without being checked; when it is checked
and fails, the lock is shortened to the back-off (5 minutes, doubling with each further
failure); when it succeeds, the counter and the lock are cleared. After a lock ends, the next
attempt is checked, and locks again for twice as long if it fails.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, literal, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from insa.security.models import LoginThrottle, User

LOCK_AFTER = 5  # failed attempts (passwords or codes) before the account locks
LOCK_BASE = dt.timedelta(minutes=5)  # doubles with every further failure, up to LOCK_MAX
LOCK_MAX = dt.timedelta(hours=24)
ADDRESS_LIMIT = 100  # log-ins from one client address that did not succeed …
ADDRESS_WINDOW = dt.timedelta(minutes=15)  # … within this window, then refused until it ends


def aware(t: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    if t is None:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _db_time(db: Session, t: dt.datetime) -> dt.datetime:
    """A time as the database compares it (SQLite keeps UTC text without a zone)."""
    if db.get_bind().dialect.name == "sqlite":
        return t.astimezone(dt.UTC).replace(tzinfo=None)
    return t


def backoff(number: int) -> dt.timedelta:
    """How long the ``number``-th failed attempt in a row locks the account."""
    longer: dt.timedelta = LOCK_BASE * (2 ** max(0, number - LOCK_AFTER))
    return min(longer, LOCK_MAX)


@dataclass(frozen=True)
class Claim:
    """A claimed attempt: may it be checked, its number since the last success, and the end
    of the lock that refused it."""

    allowed: bool
    number: int = 0
    locked_until: dt.datetime | None = None


def claim(db: Session, user_id: int, counter: InstrumentedAttribute[int], t: dt.datetime) -> Claim:
    """Count one attempt of ``user_id`` (``counter``: ``User.failed_logins`` or
    ``User.totp_failures``) unless the account is locked, and commit the count at once."""
    now = _db_time(db, t)
    provisional = literal(_db_time(db, t + LOCK_MAX), type_=User.locked_until.type)
    values: dict[Any, Any] = {
        counter: counter + 1,
        User.locked_until: case((counter + 1 >= LOCK_AFTER, provisional),
                                else_=User.locked_until),
    }  # fmt: skip
    row = db.execute(
        update(User)
        .where(User.id == user_id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(values)
        .returning(counter)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        locked = aware(db.scalar(select(User.locked_until).where(User.id == user_id)))
        db.commit()
        return Claim(False, locked_until=locked)
    db.commit()  # visible to every concurrent attempt before this one is checked
    return Claim(True, int(row[0]))


def failed(db: Session, user_id: int, attempt: Claim, t: dt.datetime) -> dt.datetime | None:
    """The claimed attempt failed: the one that reached the limit locks for the back-off.
    Returns the end of the lock, if any."""
    if attempt.number < LOCK_AFTER:
        return None
    until = t + backoff(attempt.number)
    db.execute(
        update(User).where(User.id == user_id).values(locked_until=_db_time(db, until))
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return until


def succeeded(db: Session, user_id: int, counter: InstrumentedAttribute[int]) -> None:
    db.execute(
        update(User).where(User.id == user_id).values({counter: 0, User.locked_until: None})
        .execution_options(synchronize_session=False)
    )  # fmt: skip


# ------------------------------------------------------------------ client addresses


def address_claim(db: Session, address: str | None, t: dt.datetime) -> bool:
    """Count a log-in attempt from ``address`` before it is checked (one atomic upsert; a
    window that has ended starts again at one), commit it, and say whether it may be
    checked: at most :data:`ADDRESS_LIMIT` attempts in a window that did not succeed
    (:func:`address_release` takes a successful one back). No address: not limited here."""
    if not address:
        return True
    addr = address[:64]
    now, cutoff = _db_time(db, t), _db_time(db, t - ADDRESS_WINDOW)
    if db.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    t_ = LoginThrottle
    expired = t_.window_start <= cutoff
    stmt = (
        upsert(t_)
        .values(client_addr=addr, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[t_.client_addr],
            set_={
                "failures": case((expired, 1), else_=t_.failures + 1),
                "window_start": case((expired, now), else_=t_.window_start),
            },
        )
        .returning(t_.failures)
    )
    n = int(db.execute(stmt).scalar_one())
    db.commit()
    return n <= ADDRESS_LIMIT


def address_release(db: Session, address: str | None) -> None:
    """A log-in from ``address`` succeeded: it does not count against the address."""
    if address:
        db.execute(
            update(LoginThrottle).where(LoginThrottle.client_addr == address[:64],
                                        LoginThrottle.failures > 0)
            .values(failures=LoginThrottle.failures - 1)
        )  # fmt: skip
