"""``insa cyber scan`` and ``insa cyber permutations``: the public contracts — the assets
YAML with every problem by file and line, candidates as text or certstream JSON lines, the
findings CSV with exactly its columns, one row per candidate, written whole or not at all."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from insa.cli import app
from insa.cyber.assets import load_text
from insa.cyber.scan import CandidateError, read_candidates

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_the_assets_file_names_every_problem_with_its_line() -> None:
    text = """assets:
  - id: gosi
    ministry: MPM
    domains: [gosi.kr]
  - id: Gosi!
    ministry: mpm
    domains: [not a domain]
    colour: red
  - id: gosi
    ministry: MPM
    domains: [gosi.kr]
    pages: [ftp://x]
allow: korea.kr
extra: 1
"""
    found = load_text(text, "a.yaml")
    lines = sorted((p.where.line, p.message[:12]) for p in found.problems)
    assert [n for n, _ in lines] == [5, 6, 7, 8, 9, 12, 13, 14]
    assert all(str(p).startswith("a.yaml:") for p in found.problems)


def test_candidates_as_text_or_certstream(tmp_path: Path) -> None:
    text = tmp_path / "c.txt"
    text.write_text(
        "# 오늘 등록된 도메인\ngosi-exam.com\n\nGOSI-EXAM.COM.\n*.hometax-refund.com\n",
        encoding="utf-8",
    )
    got = read_candidates(text)
    assert (
        got.domains == ["gosi-exam.com", "hometax-refund.com"]
        and got.duplicates == 1
        and got.kind == "text"
    )
    ct = tmp_path / "c.jsonl"
    msg = {"message_type": "certificate_update",
           "data": {"leaf_cert": {"all_domains": ["gosi.kr.login-check.top", "*.gosi.kr.login-check.top", "naver.com"]}}}  # fmt: skip
    ct.write_text(json.dumps(msg) + "\n" + json.dumps(msg) + "\n", encoding="utf-8")
    got = read_candidates(ct)
    assert got.domains == ["gosi.kr.login-check.top", "naver.com"] and got.kind == "certstream"


def test_bad_candidates_are_named_by_line_and_nothing_is_written(tmp_path: Path) -> None:
    bad = tmp_path / "c.txt"
    bad.write_text('gosi-exam.com\nnot a domain\n{"data": {}}\nok.com\n', encoding="utf-8")
    try:
        read_candidates(bad)
        raise AssertionError("accepted")
    except CandidateError as exc:
        assert f"{bad}:2:" in str(exc) and f"{bad}:3:" in str(exc)
    out = tmp_path / "f.csv"
    r = runner.invoke(
        app, ["cyber", "scan", str(bad), "--assets", str(DATA / "assets.yaml"), "-o", str(out)]
    )
    assert r.exit_code == 1 and not out.exists()


def test_scan_writes_exactly_the_contract(tmp_path: Path) -> None:
    cands = tmp_path / "c.txt"
    cands.write_text(
        "gosi-kr.com\ngosiwon-seoul.com\nnaver.com\nwww.gosi.kr\nhometax.go.kr.refund-check.xyz\n",
        encoding="utf-8",
    )
    out = tmp_path / "findings.csv"
    r = runner.invoke(app, ["cyber", "scan", str(cands), "--assets", str(DATA / "assets.yaml"), "-o", str(out),
                            "--workers", "1"])  # fmt: skip
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == ["domain", "asset", "score", "verdict", "reasons"]
        rows = {row["domain"]: row for row in reader}
    assert list(rows) == [
        "gosi-kr.com",
        "gosiwon-seoul.com",
        "naver.com",
        "www.gosi.kr",
        "hometax.go.kr.refund-check.xyz",
    ]
    assert rows["gosi-kr.com"]["verdict"] == "alert" and rows["gosi-kr.com"]["asset"] == "gosi"
    assert "dot-hyphen" in rows["gosi-kr.com"]["reasons"]
    assert rows["naver.com"] == {
        "domain": "naver.com",
        "asset": "",
        "score": "0",
        "verdict": "ignore",
        "reasons": "",
    }
    assert rows["gosiwon-seoul.com"]["verdict"] != "alert"
    assert rows["hometax.go.kr.refund-check.xyz"]["reasons"].split(";")[:2] == [
        "brand-subdomain",
        "lure:refund",
    ]
    assert all(0 <= int(r["score"]) <= 100 for r in rows.values())


def test_scan_in_worker_processes_gives_the_same_findings(tmp_path: Path) -> None:
    from insa.cyber import scan

    cands = [f"gosi{i}-exam.com" for i in range(300)] + ["naver.com", "gsoi.kr"]
    found = load_text((DATA / "assets.yaml").read_text(encoding="utf-8"))
    one = list(scan.score_many(cands, found, workers=1))
    scan.CHUNK, old = 50, scan.CHUNK
    try:
        two = list(scan.score_many(cands, found, workers=2))
    finally:
        scan.CHUNK = old
    assert one == two


def test_permutations_are_written_for_watching(tmp_path: Path) -> None:
    out = tmp_path / "watch.txt"
    r = runner.invoke(app, ["cyber", "permutations", str(DATA / "assets.yaml"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    domains = {d for d, _, _ in rows}
    assert "gosi.com" in domains and "gosi-kr.com" in domains and "hometax.com" in domains
    assert "kosi.kr" in domains  # a Korean spelling
    assert "gosi.kr" not in domains and not any(
        d.endswith(".go.kr") for d in domains
    )  # go.kr: agencies only
    assert {how.split(":")[0] for _, _, how in rows} >= {
        "dnstwist",
        "tld-swap",
        "dot-hyphen",
        "lure",
    }
