"""scripts/system-deps.sh, the set-up `make test` and `make demo` run first: it names what is
missing and stops when it cannot install (not root), and installs only what is missing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "system-deps.sh"


def _stub(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def _run(
    tmp_path: Path, *, uid: int, fonts: bool, mode: str = "demo"
) -> subprocess.CompletedProcess[str]:
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    calls = tmp_path / "apt.log"
    _stub(stubs, "id", f"echo {uid}")
    _stub(stubs, "fc-list", "echo 'NanumGothic'" if fonts else "true")
    _stub(stubs, "ldconfig", "echo 'libpangoft2-1.0.so.0 libharfbuzz-subset.so.0'")
    _stub(stubs, "apt-get", f'echo "$@" >> {calls}')
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}"}
    return subprocess.run(["bash", str(SCRIPT), mode], capture_output=True, text=True, env=env,
                          timeout=60)  # fmt: skip


def test_not_root_names_the_missing_packages_and_stops(tmp_path: Path) -> None:
    done = _run(tmp_path, uid=1000, fonts=False)
    assert done.returncode == 1
    assert "missing Debian packages: fonts-nanum" in done.stderr
    assert "apt-get install -y fonts-nanum" in done.stderr
    assert not (tmp_path / "apt.log").exists()


def test_root_installs_only_what_is_missing(tmp_path: Path) -> None:
    done = _run(tmp_path, uid=0, fonts=False)
    assert done.returncode == 0, done.stderr
    installed = (tmp_path / "apt.log").read_text()
    assert "install -y -qq fonts-nanum fontconfig" in installed
    assert "libpango" not in installed  # present: not installed again


def test_nothing_missing_nothing_done(tmp_path: Path) -> None:
    done = _run(tmp_path, uid=1000, fonts=True)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "apt.log").exists()
