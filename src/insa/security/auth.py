"""Log-in with lock-out, server-side sessions, TOTP second factor and API tokens.

Plain functions over a SQLAlchemy session; the caller owns the transaction. Secrets that
reach the browser or a client (session and API tokens) are stored only as SHA-256 digests;
TOTP seeds are sealed with the data key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, NamedTuple

import pyotp
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from insa.security import throttle
from insa.security.audit import record
from insa.security.crypto import RRNCipher
from insa.security.models import ApiToken, User, UserRole, WebSession
from insa.security.passwords import WeakPassword, hash_password, needs_rehash, verify_password
from insa.security.principal import Principal
from insa.security.roles import ROLES

SESSION_IDLE = dt.timedelta(minutes=30)
SESSION_ABSOLUTE = dt.timedelta(hours=12)
TOTP_PURPOSE = "insa:totp:v1"
TOKEN_PREFIX = "insa_"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role_code(user_id: Any) -> Any:
    return select(UserRole.role_code).where(UserRole.user_id == user_id).order_by(UserRole.id)


def role_of(db: Session, user: User) -> str:
    return db.scalar(_role_code(user.id)) or "employee"


def principal_for(
    db: Session, user: User, client_addr: str | None, role: str | None = None
) -> Principal:
    """Who is calling; ``role`` when the caller already read it (with the session)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=role or role_of(db, user),
        agency_id=user.agency_id,
        employee_id=user.employee_id,
        client_addr=client_addr,
        centre_id=user.centre_id,
    )


@dataclass
class LoginResult:
    ok: bool
    user: User | None = None
    reason: str = ""  # bad_credentials | locked | throttled | inactive
    locked_until: dt.datetime | None = None


def login(db: Session, username: str, password: str, client_addr: str | None) -> LoginResult:
    """Check a password; audit every attempt. The attempt is claimed first
    (:mod:`insa.security.throttle`: atomic, committed before the slow check), so concurrent
    attempts cannot exceed the limit: the account locks with growing back-off, and a client
    address with too many failures is refused whatever the account."""
    user = db.scalar(select(User).where(User.username == username))
    t = now()
    role = role_of(db, user) if user is not None else None
    target = user.id if user is not None else None
    # a refusal for a lock or a limit says so, so it does no hashing: a burst costs nothing
    if not throttle.address_claim(db, client_addr, t):
        record(db, actor=username[:64], actor_role=role, action="auth.login_throttled",
               client_addr=client_addr, target_type="user", target_id=target)  # fmt: skip
        return LoginResult(False, reason="throttled")
    attempt = throttle.claim(db, user.id, User.failed_logins, t) if user else None
    if attempt is not None and not attempt.allowed:
        record(db, actor=username[:64], actor_role=role, action="auth.login_locked",
               client_addr=client_addr, target_type="user", target_id=target)  # fmt: skip
        return LoginResult(False, reason="locked", locked_until=attempt.locked_until)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or attempt is None or not ok:
        locked = throttle.failed(db, user.id, attempt, t) if user and attempt else None
        record(db, actor=username[:64], actor_role=role, action="auth.login_failed",
               client_addr=client_addr, target_type="user", target_id=target)  # fmt: skip
        return LoginResult(False, reason="bad_credentials", locked_until=locked)
    if not user.is_active:
        record(db, actor=username, actor_role=role, action="auth.login_inactive",
               client_addr=client_addr, target_type="user", target_id=user.id)  # fmt: skip
        return LoginResult(False, reason="inactive")
    throttle.succeeded(db, user.id, User.failed_logins)
    throttle.address_release(db, client_addr)
    db.refresh(user)
    user.last_login_at = t
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    record(db, actor=username, actor_role=role, action="auth.login", client_addr=client_addr,
           target_type="user", target_id=user.id)  # fmt: skip
    return LoginResult(True, user=user)


def mfa_required(db: Session, user: User) -> bool:
    role = ROLES.get(role_of(db, user))
    return user.totp_enabled or (role is not None and role.mfa_required)


def create_session(
    db: Session, user: User, *, mfa_ok: bool, client_addr: str | None
) -> tuple[str, WebSession]:
    token = secrets.token_urlsafe(32)
    t = now()
    ws = WebSession(
        id=digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        mfa_ok=mfa_ok,
        created_at=t,
        last_seen_at=t,
        expires_at=t + SESSION_ABSOLUTE,
        client_addr=client_addr,
    )
    db.add(ws)
    db.flush()
    return token, ws


class LoadedSession(NamedTuple):
    """A live session, its user and the user's role."""

    session: WebSession
    user: User
    role: str


# built once: SQLAlchemy keeps the compiled form of a statement, but finds it by a key it
# recomputes for every new statement object (a third of this function's time, every request)
_SESSION_QUERY = (
    select(WebSession, User, _role_code(User.id).limit(1).scalar_subquery())
    .outerjoin(User, User.id == WebSession.user_id)
    .where(WebSession.id == bindparam("key"))
)


def load_session(db: Session, token: str | None) -> LoadedSession | None:
    """The live session of ``token`` with its user and role, in one query (this runs on
    every request); an expired or idle session, or one of a deactivated user, is ended."""
    if not token:
        return None
    found = db.execute(_SESSION_QUERY, {"key": digest(token)}).first()
    if found is None:
        return None
    ws, user, role = found
    t = now()
    last_seen = throttle.aware(ws.last_seen_at)
    expires = throttle.aware(ws.expires_at)
    assert last_seen is not None and expires is not None
    if user is None or not user.is_active or expires <= t or last_seen + SESSION_IDLE <= t:
        db.delete(ws)
        return None
    if (t - last_seen).total_seconds() > 60:
        ws.last_seen_at = t
    return LoadedSession(ws, user, role or "employee")


def end_session(db: Session, token: str | None) -> None:
    if token:
        db.execute(delete(WebSession).where(WebSession.id == digest(token)))


def logout(db: Session, token: str | None, user: User | None, client_addr: str | None) -> None:
    """End the session of ``token`` (audited when it was a user's)."""
    if user is not None:
        record(
            db,
            actor=user.username,
            actor_role=role_of(db, user),
            action="auth.logout",
            client_addr=client_addr,
            target_type="user",
            target_id=user.id,
        )
    end_session(db, token)


class PasswordChangeError(ValueError):
    """The current password was wrong, or the new one breaks the rules (a Korean message)."""


def change_password(
    db: Session, user: User, *, current: str, new: str, confirm: str, keep_session: str | None,
    client_addr: str | None,
) -> None:  # fmt: skip
    """The user changes their own password: the current one first, the same rules as at
    creation; every other session of theirs ends. Audited."""
    if not verify_password(user.password_hash, current):
        raise PasswordChangeError("현재 비밀번호가 맞지 않습니다.")
    if new != confirm:
        raise PasswordChangeError("새 비밀번호 두 칸이 서로 다릅니다.")
    if new == current:
        raise PasswordChangeError("새 비밀번호가 지금 비밀번호와 같습니다.")
    try:
        user.password_hash = hash_password(new)
    except WeakPassword as exc:
        raise PasswordChangeError(str(exc).split(" (")[0]) from None
    stmt = delete(WebSession).where(WebSession.user_id == user.id)
    if keep_session:
        stmt = stmt.where(WebSession.id != digest(keep_session))
    db.execute(stmt)
    record(
        db,
        actor=user.username,
        actor_role=role_of(db, user),
        action="auth.password_changed",
        client_addr=client_addr,
        target_type="user",
        target_id=user.id,
    )


def end_all_sessions(db: Session, user_id: int) -> None:
    db.execute(delete(WebSession).where(WebSession.user_id == user_id))


# ------------------------------------------------------------------ TOTP


def totp_begin(db: Session, cipher: RRNCipher, user: User) -> str:
    """Create a new (not yet active) TOTP seed; returns the base32 secret to show once."""
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = cipher.seal(secret.encode(), TOTP_PURPOSE)
    user.totp_enabled = False
    return secret


def totp_uri(secret: str, user: User) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="insa")


def totp_secret(cipher: RRNCipher, user: User) -> str | None:
    if user.totp_secret_encrypted is None:
        return None
    return cipher.unseal(user.totp_secret_encrypted, TOTP_PURPOSE).decode()


def totp_step(
    cipher: RRNCipher, user: User, code: str, at: dt.datetime | None = None
) -> int | None:
    """The time step (30 s) whose code ``code`` is, within one step either side of ``at``,
    or ``None``. Compared in constant time."""
    secret = totp_secret(cipher, user)
    code = code.strip().replace(" ", "")
    if not secret or not (code.isascii() and code.isdigit()) or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at or now())
    found = None
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def totp_check(cipher: RRNCipher, user: User, code: str) -> bool:
    return totp_step(cipher, user, code) is not None


def _use_step(db: Session, user: User, step: int) -> bool:
    """Accept the code of ``step`` once: only a step later than the last one accepted moves
    the mark (one atomic statement), so a replayed code, or one older than it, is refused."""
    done = db.execute(
        update(User)
        .where(User.id == user.id,
               (User.totp_last_step.is_(None)) | (User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return bool(getattr(done, "rowcount", 0))


def totp_verify(
    db: Session,
    cipher: RRNCipher,
    user: User,
    code: str,
    client_addr: str | None,
    *,
    ok_action: str = "auth.totp_ok",
) -> TotpResult:
    """The second step of a log-in: claim the attempt (limited like passwords: the account
    locks after the same number of wrong codes), check the code, accept each code once, and
    audit the attempt."""
    t = now()
    attempt = throttle.claim(db, user.id, User.totp_failures, t)
    if not attempt.allowed:
        record(db, actor=user.username, actor_role=role_of(db, user), action="auth.totp_locked",
               client_addr=client_addr, target_type="user", target_id=user.id)  # fmt: skip
        return TotpResult(False, "locked", attempt.locked_until)
    step = totp_step(cipher, user, code, t)
    replay = step is not None and not _use_step(db, user, step)
    if step is None or replay:
        locked = throttle.failed(db, user.id, attempt, t)
        record(db, actor=user.username, actor_role=role_of(db, user),
               action="auth.totp_replayed" if replay else "auth.totp_failed",
               client_addr=client_addr, target_type="user", target_id=user.id)  # fmt: skip
        if locked is not None:  # the pending sessions end with the lock
            end_all_sessions(db, user.id)
        db.commit()
        return TotpResult(False, "replayed" if replay else "bad_code", locked)
    throttle.succeeded(db, user.id, User.totp_failures)
    record(db, actor=user.username, actor_role=role_of(db, user), action=ok_action,
           client_addr=client_addr, target_type="user", target_id=user.id)  # fmt: skip
    return TotpResult(True)


@dataclass
class TotpResult:
    ok: bool
    reason: str = ""  # bad_code | replayed | locked
    locked_until: dt.datetime | None = None

    def __bool__(self) -> bool:
        return self.ok


def totp_confirm(
    db: Session, cipher: RRNCipher, user: User, code: str, client_addr: str | None
) -> TotpResult:
    """The first code from a new authenticator turns TOTP on (limited and used once, like a
    log-in code)."""
    result = totp_verify(db, cipher, user, code, client_addr, ok_action="auth.totp_enabled")
    if result:
        user.totp_enabled = True
    return result


# ------------------------------------------------------------------ API tokens


def create_api_token(db: Session, user: User, name: str) -> str:
    """Returns the token text (shown once); only its SHA-256 is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.add(
        ApiToken(
            user_id=user.id,
            name=name[:64] or "token",
            prefix=token[:12],
            token_hash=digest(token),
            created_at=now(),
        )
    )
    record(
        db,
        actor=user.username,
        actor_role=role_of(db, user),
        action="auth.token_created",
        target_type="user",
        target_id=user.id,
        detail={"name": name[:64]},
    )
    return token


def user_for_api_token(db: Session, token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = db.scalar(
        select(ApiToken).where(ApiToken.token_hash == digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    row.last_used_at = now()
    return user


def revoke_api_token(db: Session, user: User, token_id: int) -> bool:
    res = db.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now())
    )
    if res.rowcount:  # type: ignore[attr-defined]
        record(
            db,
            actor=user.username,
            actor_role=role_of(db, user),
            action="auth.token_revoked",
            target_type="api_token",
            target_id=token_id,
        )
    return bool(res.rowcount)  # type: ignore[attr-defined]
