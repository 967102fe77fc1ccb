"""Page evidence through a loopback HTTP proxy made here: it refuses every CONNECT (so each
fetch falls back from https to http) and serves fixture sites by host name — the official
login page, an exact clone, a clone whose form posts elsewhere, an unrelated business on a
look-alike domain, a parked page, a redirect chain to a clone, a clone on a weak domain and
a host that does not answer. The page evidence must change the verdicts as issue 14 says."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from insa.cli import app

DATA = Path(__file__).parent / "data"


def test_page_evidence_changes_the_verdicts(tmp_path: Path, proxy: str) -> None:
    runner = CliRunner()
    prints = tmp_path / "fingerprints.json"
    r = runner.invoke(app, ["cyber", "assets", "fingerprint", str(DATA / "assets.yaml"), "--proxy", proxy,
                            "--fingerprints", str(prints)])  # fmt: skip
    assert prints.exists() and "gosi" in prints.read_text(encoding="utf-8"), r.output
    cands = tmp_path / "c.txt"
    cands.write_text("\n".join(["gosi-kr.com", "gosi-exam.net", "gosi.co.kr", "gosi.net", "g0si.kr", "goshi-info.com",
                                "gosi.org", "gosiwon-seoul.com", "naver.com", "gosi-notice.com"]) + "\n", encoding="utf-8")  # fmt: skip
    plain, fetched = tmp_path / "plain.csv", tmp_path / "fetched.csv"
    base = ["cyber", "scan", str(cands), "--assets", str(DATA / "assets.yaml"), "--workers", "1"]
    assert runner.invoke(app, [*base, "-o", str(plain)]).exit_code == 0
    r = runner.invoke(
        app, [*base, "-o", str(fetched), "--fetch", "--proxy", proxy, "--fingerprints", str(prints)]
    )
    assert r.exit_code == 0, r.output

    def rows(p: Path) -> dict[str, dict[str, str]]:
        with p.open(encoding="utf-8") as f:
            return {row["domain"]: row for row in csv.DictReader(f)}

    before, after = rows(plain), rows(fetched)
    assert list(after) == list(before)  # one row per candidate, in order
    assert (
        after["gosi-kr.com"]["verdict"] == "alert"
        and "page-clone:1.00" in after["gosi-kr.com"]["reasons"]
    )
    assert (
        after["gosi-exam.net"]["verdict"] == "alert"
        and "form-offsite" in after["gosi-exam.net"]["reasons"]
    )
    # a look-alike domain serving an exam academy: no alert
    assert before["gosi.co.kr"]["verdict"] == "alert" and after["gosi.co.kr"]["verdict"] == "watch"
    assert "unrelated-page" in after["gosi.co.kr"]["reasons"]
    assert after["gosi.net"]["verdict"] == "watch" and "parked" in after["gosi.net"]["reasons"]
    assert after["g0si.kr"]["verdict"] == "alert" and "redirects:2" in after["g0si.kr"]["reasons"]
    assert "page-clone" in after["g0si.kr"]["reasons"]
    # a weak domain (watch on its name) cloning the login page: alert
    assert (
        before["goshi-info.com"]["verdict"] != "alert"
        and after["goshi-info.com"]["verdict"] == "alert"
    )
    assert after["gosi.org"]["verdict"] == "watch" and "unreachable" in after["gosi.org"]["reasons"]
    assert after["gosiwon-seoul.com"]["verdict"] != "alert"
    assert after["naver.com"] == before["naver.com"]  # matched no asset: not fetched
    # the favicon and the logo (pHash): the clone serves the official ones, the academy its own
    kept = json.loads(prints.read_text(encoding="utf-8"))["assets"]["gosi"][0]
    assert len(kept["images"]) == 2 and kept["tlsh"].startswith("T1")
    assert "logo-match:0" in after["gosi-kr.com"]["reasons"]
    assert "logo-match" not in after["gosi.co.kr"]["reasons"]
    # a page written anew, asking only for a phone number, wearing the ministry's logo (smaller,
    # recompressed): the logo keeps it from passing for an unrelated business
    notice = after["gosi-notice.com"]
    assert before["gosi-notice.com"]["verdict"] == "alert" and notice["verdict"] == "alert", notice
    assert "logo-match" in notice["reasons"] and "unrelated-page" not in notice["reasons"]


def test_without_the_logo_the_rewritten_page_reads_as_unrelated(
    tmp_path: Path, proxy: str, monkeypatch: object
) -> None:
    """The counter-test of the one above: the same page without the logo is judged an
    unrelated business (so the logo is what decided)."""
    from .sites import SITES

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    monkeypatch.delitem(SITES, "gosi-notice.com/s/logo.jpg")
    runner = CliRunner()
    prints = tmp_path / "fingerprints.json"
    runner.invoke(app, ["cyber", "assets", "fingerprint", str(DATA / "assets.yaml"), "--proxy", proxy,
                        "--fingerprints", str(prints)])  # fmt: skip
    cands = tmp_path / "c.txt"
    cands.write_text("gosi-notice.com\n", encoding="utf-8")
    out = tmp_path / "f.csv"
    r = runner.invoke(app, ["cyber", "scan", str(cands), "--assets", str(DATA / "assets.yaml"), "-o", str(out),
                            "--workers", "1", "--fetch", "--proxy", proxy, "--fingerprints", str(prints)])  # fmt: skip
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["verdict"] == "watch" and "unrelated-page" in row["reasons"], row


def test_alerts_become_cases_with_their_evidence_and_picture(
    tmp_path: Path, proxy: str, migrated: object
) -> None:
    from sqlalchemy import select

    from insa.cyber.models import CyberCase, CyberEvidence
    from insa.db.engine import get_engine, session_scope

    runner = CliRunner()
    prints = tmp_path / "fingerprints.json"
    runner.invoke(app, ["cyber", "assets", "fingerprint", str(DATA / "assets.yaml"), "--proxy", proxy,
                        "--fingerprints", str(prints)])  # fmt: skip
    cands = tmp_path / "c.txt"
    cands.write_text("gosi-kr.com\ng0si.kr\ngosi.co.kr\nnaver.com\n", encoding="utf-8")
    args = ["cyber", "scan", str(cands), "--assets", str(DATA / "assets.yaml"), "-o", str(tmp_path / "f.csv"),
            "--workers", "1", "--fetch", "--proxy", proxy, "--fingerprints", str(prints), "--cases"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert runner.invoke(app, args).exit_code == 0  # again: no second case
    with session_scope(get_engine()) as db:
        domains = sorted(db.scalars(select(CyberCase.domain)))
        ev = {e.url: e for e in db.scalars(select(CyberEvidence))}
    assert domains == ["g0si.kr", "gosi-kr.com"]  # gosi.co.kr's academy page: no alert, no case
    clone = ev["http://gosi-kr.com/"]
    assert (
        clone.similarity == 100
        and clone.sha256
        and clone.ssdeep
        and clone.title == "사이버국가고시센터"
    )
    chain = ev["http://login-gosi.top/b"]
    assert chain.redirects == ["http://login-gosi.top/a", "/b"]
    assert clone.screenshot is not None and clone.screenshot.startswith(
        b"\x89PNG"
    )  # Chromium is installed here
