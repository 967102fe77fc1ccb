"""Encryption at rest (AES-256-GCM) and keyed pseudonyms (HMAC-SHA256) for RRNs.

Stored form: ``version(1) || nonce(12) || ciphertext+tag``. The associated data names
the kind of secret (``insa:rrn:v1``; TOTP seeds use their own), so a sealed TOTP seed can
never be decrypted as an RRN or the other way round. It does not bind a value to one row.
Pseudonym = lowercase hex HMAC-SHA256(INSA_PSEUDONYM_KEY, the 13 digits without hyphen):
the only form in which a resident number may leave the organisation.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from insa.security.rrn import RRN

KEY_VERSION = 1
NONCE_BYTES = 12
AAD = b"insa:rrn:v1"


class DecryptionError(RuntimeError):
    """Ciphertext could not be decrypted (wrong key or tampered). Never carries the value."""


class RRNCipher:
    """Encrypts and decrypts RRNs with one AES-GCM key; pseudonymises with one HMAC key."""

    __slots__ = ("_aead", "_hmac_key")

    def __init__(self, data_key: bytes, pseudonym_key: bytes) -> None:
        if len(data_key) != 32:
            raise ValueError("data key must be 32 bytes")
        self._aead = AESGCM(data_key)
        self._hmac_key = pseudonym_key

    def __repr__(self) -> str:
        return "RRNCipher(<keys hidden>)"

    def encrypt(self, rrn: RRN) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        ct = self._aead.encrypt(nonce, rrn.reveal().encode("ascii"), AAD)
        return bytes([KEY_VERSION]) + nonce + ct

    def encrypt_digits_many(self, digits: Sequence[str]) -> list[bytes]:
        """Bulk path for already-validated 13-digit strings (the generator's hot path)."""
        enc = self._aead.encrypt
        n = len(digits)
        nonces = os.urandom(NONCE_BYTES * n)
        head = bytes([KEY_VERSION])
        out: list[bytes] = []
        append = out.append
        for i, d in enumerate(digits):
            nonce = nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES]
            append(head + nonce + enc(nonce, d.encode("ascii"), AAD))
        return out

    def decrypt(self, blob: bytes) -> RRN:
        if not blob or blob[0] != KEY_VERSION or len(blob) < 1 + NONCE_BYTES + 16:
            raise DecryptionError("unknown ciphertext format")
        nonce, ct = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, ct, AAD)
        except InvalidTag:
            raise DecryptionError("RRN ciphertext failed authentication (wrong key?)") from None
        return RRN(plain.decode("ascii"))

    def seal(self, data: bytes, purpose: str) -> bytes:
        """Encrypt any other secret (e.g. a TOTP seed) with the data key, bound to ``purpose``."""
        nonce = os.urandom(NONCE_BYTES)
        return bytes([KEY_VERSION]) + nonce + self._aead.encrypt(nonce, data, purpose.encode())

    def unseal(self, blob: bytes, purpose: str) -> bytes:
        if not blob or blob[0] != KEY_VERSION or len(blob) < 1 + NONCE_BYTES + 16:
            raise DecryptionError("unknown ciphertext format")
        try:
            return self._aead.decrypt(
                blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :], purpose.encode()
            )
        except InvalidTag:
            raise DecryptionError("ciphertext failed authentication") from None

    def pseudonym(self, rrn: RRN) -> str:
        return pseudonym(self._hmac_key, rrn.reveal())

    def pseudonym_digits_many(self, digits: Iterable[str]) -> list[str]:
        key = self._hmac_key
        new = hmac.new
        sha = hashlib.sha256
        return [new(key, d.encode("ascii"), sha).hexdigest() for d in digits]


def pseudonym(key: bytes, rrn_digits: str) -> str:
    """HMAC-SHA256(key, 13 digits without hyphen), lowercase hex (the public definition)."""
    digits = rrn_digits.replace("-", "")
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def cipher_from_settings() -> RRNCipher:
    from insa.settings import get_settings

    s = get_settings()
    return RRNCipher(s.data_key_bytes(), s.pseudonym_key_bytes())
