"""Runtime settings (pydantic-settings), read from ``INSA_*`` environment variables.

Keys:
- ``INSA_DATA_KEY``: 32-byte AES-GCM key (url-safe base64) that encrypts resident numbers.
- ``INSA_PSEUDONYM_KEY``: HMAC-SHA256 key (url-safe base64, at least 32 bytes) for pseudonyms.

In demo mode (``INSA_DEMO=1``) missing keys are generated once into ``var/`` (mode 0600).
Outside demo mode, anything that touches personal data refuses to start without them.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MissingKeyError(RuntimeError):
    """A required key is not configured (outside demo mode)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INSA_", extra="ignore")

    var_dir: Path = Field(
        default=Path("var"), description="Where the embedded DB and demo keys live"
    )
    database_url: str = Field(
        default="", description="SQLAlchemy URL; default sqlite:///var/insa.db"
    )
    data_key: SecretStr | None = None
    pseudonym_key: SecretStr | None = None
    demo: bool = False
    log_level: str = "INFO"
    web_threads: int = Field(
        default=4, ge=1, le=16,  # fewer than a process's pooled connections (20): db/engine.py
        description="Requests a web worker lets use the database at once (its database slots)",
    )  # fmt: skip
    web_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where insa's own web app answers (the checker watches it: /healthz)",
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'insa.db').as_posix()}"

    def ensure_var_dir(self) -> Path:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return self.var_dir

    def _key(self, name: str, value: SecretStr | None, min_len: int) -> bytes:
        env = f"INSA_{name.upper()}"
        if value is None or not value.get_secret_value():
            if not self.demo:
                raise MissingKeyError(
                    f"{env} is not set. insa refuses to handle personal data without it. "
                    f"Generate one with `insa keys generate` and set {env}, "
                    "or run in demo mode (INSA_DEMO=1) to use keys kept under var/."
                )
            return _demo_key(self.ensure_var_dir() / f"{name}.key", min_len)
        return decode_key(value.get_secret_value(), env, min_len)

    def data_key_bytes(self) -> bytes:
        key = self._key("data_key", self.data_key, 32)
        if len(key) != 32:
            raise MissingKeyError("INSA_DATA_KEY must decode to exactly 32 bytes (AES-256-GCM).")
        return key

    def pseudonym_key_bytes(self) -> bytes:
        return self._key("pseudonym_key", self.pseudonym_key, 32)

    def require_keys(self) -> None:
        """Fail fast (at start-up) when the keys are missing outside demo mode."""
        self.data_key_bytes()
        self.pseudonym_key_bytes()


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def decode_key(text: str, env: str, min_len: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii") + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise MissingKeyError(f"{env} is not valid url-safe base64.") from exc
    if len(raw) < min_len:
        raise MissingKeyError(f"{env} must decode to at least {min_len} bytes.")
    return raw


def _demo_key(path: Path, min_len: int) -> bytes:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(new_key() + "\n")
    os.chmod(path, 0o600)
    return decode_key(path.read_text().strip(), str(path), min_len)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests and CLI options that change the environment)."""
    get_settings.cache_clear()
