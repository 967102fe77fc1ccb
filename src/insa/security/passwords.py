"""Password hashing with argon2id (argon2-cffi's recommended parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
_hasher = PasswordHasher()


class WeakPassword(ValueError):
    pass


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"비밀번호는 {MIN_LENGTH}자 이상이어야 합니다 (at least {MIN_LENGTH} characters)"
        )
    if password.isdigit() or password.isalpha():
        raise WeakPassword(
            "비밀번호에 문자와 숫자·기호를 섞어 주세요 (mix letters with digits or symbols)"
        )


def hash_password(password: str) -> str:
    check_policy(password)
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("insa-dummy-password-for-timing")


def verify_password(stored: str | None, password: str) -> bool:
    """Constant work whether or not the user exists (a dummy hash is verified then)."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)
