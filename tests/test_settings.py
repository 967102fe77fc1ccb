from __future__ import annotations

import stat
from pathlib import Path

import pytest

from insa.settings import MissingKeyError, Settings


def test_outside_demo_mode_keys_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSA_DATA_KEY")
    s = Settings()
    with pytest.raises(MissingKeyError, match="INSA_DATA_KEY is not set"):
        s.require_keys()


def test_demo_mode_generates_keys_once_with_0600(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("INSA_DATA_KEY")
    monkeypatch.delenv("INSA_PSEUDONYM_KEY")
    monkeypatch.setenv("INSA_DEMO", "1")
    s = Settings()
    k1 = s.data_key_bytes()
    p1 = s.pseudonym_key_bytes()
    assert len(k1) == 32 and len(p1) == 32 and k1 != p1
    for name in ("data_key.key", "pseudonym_key.key"):
        mode = stat.S_IMODE((tmp_path / "var" / name).stat().st_mode)
        assert mode == 0o600
    assert Settings().data_key_bytes() == k1  # kept, not regenerated


def test_bad_keys_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSA_DATA_KEY", "c2hvcnQ=")  # "short"
    with pytest.raises(MissingKeyError, match="32 bytes"):
        Settings().data_key_bytes()
    monkeypatch.setenv("INSA_DATA_KEY", "not base64 at all!!")
    with pytest.raises(MissingKeyError):
        Settings().data_key_bytes()


def test_default_database_is_sqlite_under_var(tmp_path: Path) -> None:
    assert Settings().effective_database_url == f"sqlite:///{tmp_path / 'var' / 'insa.db'}"
