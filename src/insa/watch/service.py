"""The failure-detection centre's face: validating a monitors' configuration (a Gatus file or
a directory of them; :mod:`insa.watch.config`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from insa.security.logs import redact
from insa.watch.config import load, load_text
from insa.watch.schemas import Config

VALIDATE = "watch.validate_config"
GRANTS = {
    "ops_operator": {VALIDATE},  # the centre's operators
    "central_admin": {VALIDATE},
}
MAX_TEXT = 1_000_000  # characters of a configuration pasted into the page or sent to the API


def validate(path: Path) -> Config:
    """The configuration at ``path``, every problem with its file and line."""
    return load(path)


def validate_text(text: str, name: str = "config.yaml") -> Config:
    """A configuration given as text (the page, the API); problems name it ``name``."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"설정이 너무 깁니다 (최대 {MAX_TEXT:,}자)")
    return load_text(text, Path(name).name or "config.yaml")


def record_push(db: Session, token: str, success: bool, error: str) -> bool:
    """A push monitor's call; False when no checker registered the token."""
    from insa.watch.models import WatchPush
    from insa.watch.store import token_digest

    row = db.get(WatchPush, token_digest(token))
    if row is None:
        return False
    row.last_at = dt.datetime.now(dt.UTC)
    row.last_ok = success
    row.last_error = redact(error)[:500] or None
    return True
