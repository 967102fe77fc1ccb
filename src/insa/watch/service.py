"""The failure-detection centre's face: validating a monitors' configuration (a Gatus file or
a directory of them; :mod:`insa.watch.config`)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from insa.security.logs import redact
from insa.watch.config import load
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
    """A configuration given as text (the page, the API), read as a file named ``name`` would
    be; problems name that file."""
    if len(text) > MAX_TEXT:
        raise ValueError(f"설정이 너무 깁니다 (최대 {MAX_TEXT:,}자)")
    safe = Path(name).name if Path(name).suffix in (".yaml", ".yml") else "config.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / safe
        file.write_text(text, encoding="utf-8")
        found = load(file)
    return _renamed(found, str(file), safe)


def _renamed(config: Config, old: str, new: str) -> Config:
    from dataclasses import replace

    problems = tuple(replace(p, where=replace(p.where, file=new)) if p.where.file == old else p
                     for p in config.problems)  # fmt: skip
    monitors = tuple(replace(m, where=replace(m.where, file=new)) for m in config.monitors)
    return replace(config, files=(new,), problems=problems, monitors=monitors)


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
