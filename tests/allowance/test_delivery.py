"""Deliveries at national scale: an organisation's directory of Parquet files with a
manifest (organisation, period, row count, each file's rows and SHA-256), checked before
anything is read; a delivery that does not match its manifest is refused whole — with the
files beside it still verified when ``--skip-bad-files``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from insa.allowance.claims import COLUMNS, ClaimsError, check_delivery, load_claims, month_index
from insa.allowance.verify import verify
from insa.cli import app

from .test_verify import row, write


def _parquet(path: Path, rows: list[list[str]]) -> None:
    pq.write_table(pa.table({c: [r[i] for r in rows] for i, c in enumerate(COLUMNS)}), path)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    d = tmp_path / "claims"
    d.mkdir()
    write(
        d,
        "MOE",
        [row("m1", "MOE", "husband", "child1", "김민준", "2015-03-01", "child", "2024-01")],
    )
    seoul = d / "LG-SEOUL"
    seoul.mkdir()
    _parquet(seoul / "part-0.parquet", [row("s1", "LG-SEOUL", "wife", "child1", "김민준", "2015-03-01", "child", "2024-07"),
                                       row("s2", "LG-SEOUL", "wife", "child2", "김서연", "2017-09-09", "child", "2024-01")])  # fmt: skip
    _parquet(
        seoul / "part-1.parquet",
        [row("s3", "LG-SEOUL", "x", "child7", "정서윤", "2016-08-08", "child", "2024-01")],
    )
    r = CliRunner().invoke(app, ["allowance", "manifest", str(seoul), "--period", "2025-06"])
    assert r.exit_code == 0, r.output
    return d


def _findings(d: Path, **kw: object) -> tuple[set[tuple[str, str]], object]:
    con = duckdb.connect()
    loaded = load_claims(con, d, as_of="2025-06", **kw)  # type: ignore[arg-type]
    report = verify(con, month_index("2025-06"), probabilistic=False)
    return {(f.claim_a, f.claim_b) for f in report.findings}, loaded


def test_a_delivery_is_read_with_its_manifest(sources: Path) -> None:
    doc = json.loads((sources / "LG-SEOUL" / "manifest.json").read_text(encoding="utf-8"))
    assert (
        doc["organisation"] == "LG-SEOUL"
        and doc["rows"] == 3
        and [f["rows"] for f in doc["files"]] == [2, 1]
    )
    found, loaded = _findings(sources)
    assert found == {("LG-SEOUL:s1", "MOE:m1")}
    assert loaded.rows == 4 and loaded.files == ["LG-SEOUL", "MOE.csv"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        (
            lambda d: _parquet(
                d / "part-1.parquet",
                [row("s9", "LG-SEOUL", "y", "c", "가", "2016-08-08", "child", "2024-01")] * 1
                + [row("s8", "LG-SEOUL", "y", "d", "나", "2016-08-08", "child", "2024-01")],
            ),
            "SHA-256이",
        ),
        (
            lambda d: shutil.copy(d / "part-1.parquet", d / "part-2.parquet"),
            "목록에 없는 파일입니다",
        ),
        (lambda d: (d / "part-1.parquet").unlink(), "목록에 있으나 파일이 없습니다"),
        (lambda d: (d / "manifest.json").unlink(), "manifest.json이 없습니다"),
        (lambda d: (d / "manifest.json").write_text("{", encoding="utf-8"), "JSON이 아닙니다"),
        (lambda d: _edit(d, period="2025-05"), "기준월은 2025-06입니다"),
        (lambda d: _edit(d, organisation="LG-BUSAN"), "폴더는 'LG-SEOUL'입니다"),
        (lambda d: _edit(d, rows=4), "파일에는 3행이 있습니다"),
    ],
)
def test_a_delivery_that_does_not_match_is_refused_whole(
    sources: Path, spoil: object, says: str
) -> None:
    spoil(sources / "LG-SEOUL")  # type: ignore[operator]
    src, errors = check_delivery(sources / "LG-SEOUL", "2025-06")
    assert src is None and any(says in e for e in errors), errors
    assert errors[-1] == "LG-SEOUL: 전달분 전체를 받지 않습니다"
    with pytest.raises(ClaimsError):
        _findings(sources)
    found, loaded = _findings(sources, skip_bad_files=True)  # the rest goes on, without any of it
    assert found == set() and "LG-SEOUL" in loaded.bad_files  # type: ignore[attr-defined]


def _edit(d: Path, **changes: object) -> None:
    doc = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    doc.update(changes)
    (d / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")


def test_rows_of_another_organisation_in_a_delivery_are_named(sources: Path) -> None:
    seoul = sources / "LG-SEOUL"
    _parquet(
        seoul / "part-1.parquet",
        [row("s3", "LG-BUSAN", "x", "child7", "정서윤", "2016-08-08", "child", "2024-01")],
    )
    CliRunner().invoke(app, ["allowance", "manifest", str(seoul), "--period", "2025-06"])
    with pytest.raises(ClaimsError) as got:
        _findings(sources)
    assert (
        "LG-SEOUL/part-1.parquet:1:source_org: source_org가 전달 기관이 아닙니다: LG-SEOUL"
        in got.value.errors
    )


def test_the_command_verifies_deliveries(sources: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.csv"
    r = CliRunner().invoke(
        app,
        ["allowance", "verify", str(sources), "--as-of", "2025-06", "-o", str(out), "--no-store"],
    )
    assert r.exit_code == 0, r.output
    assert "LG-SEOUL:s1" in out.read_text(encoding="utf-8")
    r = CliRunner().invoke(
        app,
        ["allowance", "verify", str(sources), "--as-of", "2025-07", "-o", str(out), "--no-store"],
    )
    assert r.exit_code == 1 and "전달분 전체를 받지 않습니다" in r.output


def test_a_file_that_spoils_the_scan_leaves_the_others_loaded(sources: Path) -> None:
    """A CSV the reader cannot parse (an unclosed quote) is named; the files read with it in
    one scan are still loaded, every row of them."""
    (sources / "NEC.csv").write_text(",".join(COLUMNS) + '\n"b1,NEC\n', encoding="utf-8")
    con = duckdb.connect()
    report = load_claims(con, sources, as_of="2025-06", skip_bad_files=True)
    assert set(report.bad_files) == {"NEC.csv"} and "MOE.csv" in report.files
    moe = con.execute("SELECT count(*) FROM claims WHERE source_org = 'MOE'").fetchone()
    assert moe == (1,) and report.rows == 4
