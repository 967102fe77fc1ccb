"""Double-claim verification: the exchange format, every finding kind, decoys, re-runs."""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
from dataclasses import fields
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from insa.allowance.claims import COLUMNS, ClaimsError, key_of, load_claims, month_index
from insa.allowance.models import Finding, FindingEvent
from insa.allowance.schemas import FindingFields, FindingOut
from insa.allowance.verify import FINDING_COLUMNS, finding_id, verify
from insa.cli import app

KEY = b"k" * 32


def k(person: str) -> str:
    return hashlib.sha256(person.encode()).hexdigest()


def row(cid: str, org: str, claimant: str, dep: str | None, name: str, born: str, rel: str,
        start: str, end: str = "", amount: int = 50_000) -> list[str]:  # fmt: skip
    return [cid, org, k(claimant), f"직원{claimant}", "1980-01-01", k(dep) if dep else "", name,
            born, rel, "1" if rel == "child" else "", start, end, str(amount)]  # fmt: skip


def write(d: Path, org: str, rows: list[list[str]]) -> None:
    with (d / f"{org}.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(rows)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    d = tmp_path / "claims"
    d.mkdir()
    write(d, "MOE", [
        row("m1", "MOE", "husband", "child1", "김민준", "2015-03-01", "child", "2024-01"),
        # spouses who split their children: the wife claims child 2 only — no finding
        row("m2", "MOE", "husband", "spouse", "이영희", "1982-02-02", "spouse", "2024-01", amount=40_000),
        # a transfer closed in time: ended before the new agency's claim began — no finding
        row("m3", "MOE", "mover", "mother", "박순자", "1950-05-05", "lineal_ascendant", "2023-01", "2024-06", 20_000),
        # an open transfer: the old claim was never closed
        row("m4", "MOE", "leaver", "child9", "최하늘", "2014-07-07", "child", "2022-01"),
        # a namesake with a different key — no finding
        row("m5", "MOE", "other", "namesake1", "정서윤", "2016-08-08", "child", "2024-01"),
    ])  # fmt: skip
    write(d, "LG-SEOUL", [
        # the same child claimed by the other spouse (a double claim), from 2024-07
        row("s1", "LG-SEOUL", "wife", "child1", "김민준", "2015-03-01", "child", "2024-07", amount=80_000),
        row("s2", "LG-SEOUL", "wife", "child2", "김서연", "2017-09-09", "child", "2024-01"),
        row("s3", "LG-SEOUL", "mover", "mother", "박순자", "1950-05-05", "lineal_ascendant", "2024-07", "", 20_000),
        row("s4", "LG-SEOUL", "leaver", "child9", "최하늘", "2014-07-07", "child", "2025-01"),
        row("s5", "LG-SEOUL", "x", "namesake2", "정서윤", "2016-08-08", "child", "2024-01"),
        # overlaps only after the as-of month — no finding
        row("s6", "LG-SEOUL", "late", "child1", "김민준", "2015-03-01", "child", "2026-01"),
    ])  # fmt: skip
    # an organisation without resident numbers: a probable double of child1 (one syllable off)
    write(d, "PI-0001", [
        row("p1", "PI-0001", "aunt", None, "김민중", "2015-03-01", "child", "2025-01"),
        row("p2", "PI-0001", "aunt", None, "한가람", "2010-10-10", "child", "2025-01"),
    ])  # fmt: skip
    return d


AS_OF = month_index("2025-06")


def _run(sources: Path, probabilistic: bool = True) -> dict[tuple[str, str], object]:
    con = duckdb.connect()
    load_claims(con, sources)
    report = verify(con, AS_OF, probabilistic=probabilistic)
    return {(f.claim_a, f.claim_b): f for f in report.findings}


def test_every_kind_is_found_with_overlap_amount_and_who_repays(sources: Path) -> None:
    found = _run(sources)
    double = found[("LG-SEOUL:s1", "MOE:m1")]
    assert (double.kind, double.match, double.probability) == ("double_claim", "exact", 1.0)  # type: ignore[attr-defined]
    # 2024-07 .. 2025-06 = 12 months; the later-started claim (s1, 80,000/month) repays
    assert (double.overlap_start, double.overlap_end, double.overlap_months) == (
        "2024-07",
        "2025-06",
        12,
    )  # type: ignore[attr-defined]
    assert (double.recover_from, double.overpaid_amount) == ("LG-SEOUL:s1", 12 * 80_000)  # type: ignore[attr-defined]
    transfer = found[("LG-SEOUL:s4", "MOE:m4")]
    assert transfer.kind == "open_transfer"  # type: ignore[attr-defined]
    assert transfer.recover_from == "MOE:m4" and transfer.overlap_months == 6  # type: ignore[attr-defined]
    probable = [f for f in found.values() if f.match == "probable"]  # type: ignore[attr-defined]
    assert {(p.claim_a, p.claim_b) for p in probable} >= {
        ("LG-SEOUL:s1", "PI-0001:p1"),
        ("MOE:m1", "PI-0001:p1"),
    }  # type: ignore[attr-defined]
    assert all(p.probability >= 0.9 and p.kind == "double_claim" for p in probable)  # type: ignore[attr-defined]
    # decoys: the split children, the closed transfer, the namesakes, the late claim
    involved = {c for pair in found for c in pair}
    assert not involved & {"MOE:m2", "LG-SEOUL:s2", "MOE:m3", "LG-SEOUL:s3", "MOE:m5",
                           "LG-SEOUL:s5", "LG-SEOUL:s6", "PI-0001:p2"}  # fmt: skip
    assert len(found) == len({f.finding_id for f in found.values()})  # type: ignore[attr-defined]


def test_finding_ids_are_stable_and_exact_only_skips_linkage(sources: Path) -> None:
    a, b = _run(sources), _run(sources)
    assert {f.finding_id for f in a.values()} == {f.finding_id for f in b.values()}  # type: ignore[attr-defined]
    f = a[("LG-SEOUL:s1", "MOE:m1")]
    assert f.finding_id == finding_id("double_claim", "LG-SEOUL:s1", "MOE:m1")  # type: ignore[attr-defined]
    assert all(f.match == "exact" for f in _run(sources, probabilistic=False).values())  # type: ignore[attr-defined]


def test_bad_files_are_reported_by_file_row_and_column(sources: Path) -> None:
    bad = row("b1", "NEC", "someone", "x", "홍길동", "2015-02-30", "kid", "2024-13", amount=5)
    bad[2] = "NOT-HEX"
    write(sources, "NEC", [bad, row("b1", "NEC", "y", "z", "홍", "2015-01-01", "child", "2024-01")])
    (sources / "CCOURT.csv").write_text("claim_id,who\n1,2\n", encoding="utf-8")
    con = duckdb.connect()
    with pytest.raises(ClaimsError) as exc:
        load_claims(con, sources)
    errors = exc.value.errors
    for expected in ("NEC.csv:2:claimant_key:", "NEC.csv:2:dependent_birth_date:",
                     "NEC.csv:2:relation:", "NEC.csv:2:start_month:", "NEC.csv:2:claim_id: 'b1' appears 2",
                     "CCOURT.csv:1: missing column(s) source_org"):  # fmt: skip
        assert any(e.startswith(expected) for e in errors), (expected, errors)
    report = load_claims(con, sources, skip_bad_files=True)
    assert set(report.bad_files) == {"NEC.csv", "CCOURT.csv"} and report.rows == 13


def test_pseudonymize_matches_the_definition_and_never_writes_numbers(tmp_path: Path) -> None:
    from insa.allowance.claims import PSEUDONYMIZE_IN

    key_file = tmp_path / "shared.key"
    key_file.write_text(base64.urlsafe_b64encode(KEY).decode(), encoding="ascii")
    src = tmp_path / "raw.csv"
    values = dict.fromkeys(PSEUDONYMIZE_IN, "")
    values |= {"claim_id": "1", "source_org": "EDU-BUSAN", "claimant_rrn": "800101-1000008",
               "claimant_name": "김", "claimant_birth_date": "1980-01-01", "dependent_rrn": "1503013000003",
               "dependent_name": "민", "dependent_birth_date": "2015-03-01", "relation": "child",
               "start_month": "2024-01", "monthly_amount": "50000"}  # fmt: skip
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PSEUDONYMIZE_IN)
        w.writeheader()
        w.writerow(values)
    out = tmp_path / "EDU-BUSAN.csv"
    r = CliRunner().invoke(
        app, ["allowance", "pseudonymize", str(src), str(out), "--key-file", str(key_file)]
    )
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    assert "8001011000008" not in text and "800101-1000008" not in text
    got = next(csv.DictReader(text.splitlines()))
    assert got["claimant_key"] == hmac.new(KEY, b"8001011000008", "sha256").hexdigest()
    assert got["dependent_key"] == key_of(KEY, "1503013000003")
    assert list(got) == list(COLUMNS)
    values["dependent_rrn"] = "1503013000004"  # bad checksum
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PSEUDONYMIZE_IN)
        w.writeheader()
        w.writerow(values)
    bad = CliRunner().invoke(
        app,
        [
            "allowance",
            "pseudonymize",
            str(src),
            str(tmp_path / "x.csv"),
            "--key-file",
            str(key_file),
        ],
    )
    assert bad.exit_code == 1 and "raw.csv:2:dependent_rrn:" in bad.output
    assert "1503013000004" not in bad.output and not (tmp_path / "x.csv").exists()


def test_one_declaration_of_a_findings_fields() -> None:
    """The CSV's columns are the reported fields; the API adds the claimants' masked names and
    the resolution after them."""
    assert FINDING_COLUMNS == tuple(f.name for f in fields(FindingFields))
    assert tuple(f.name for f in fields(FindingOut)) == (
        *FINDING_COLUMNS, "claimant_a_name", "claimant_b_name", "status", "reason",
        "recovered_amount",
    )  # fmt: skip


def test_cli_verify_writes_the_fixed_columns_and_keeps_status_on_rerun(
    sources: Path, migrated: Engine, tmp_path: Path
) -> None:
    out = tmp_path / "findings.csv"
    args = ["allowance", "verify", str(sources), "--as-of", "2025-06", "-o", str(out),
            "--reports", str(tmp_path / "reports")]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert tuple(header) == FINDING_COLUMNS
    assert (tmp_path / "reports" / "summary.xlsx").exists()
    assert (tmp_path / "reports" / "MOE.xlsx").exists()
    with migrated.begin() as conn:
        first = dict(conn.execute(select(Finding.finding_id, Finding.status)).all())
        fid = next(iter(first))
        conn.execute(
            update(Finding)
            .where(Finding.finding_id == fid)
            .values(status="dismissed", reason="검토 완료")
        )
    # a new claim appears; the re-run adds only the new finding and keeps the dismissal
    with (sources / "MOE.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(
            row("m9", "MOE", "cousin", "child2", "김서연", "2017-09-09", "child", "2025-03")
        )
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    with migrated.connect() as conn:
        second = dict(conn.execute(select(Finding.finding_id, Finding.status)).all())
    assert set(first) < set(second)
    assert second[fid] == "dismissed"
    assert "seen before (status kept)" in r.output
    with migrated.connect() as conn:  # every finding seen again carries the new run
        runs = conn.execute(select(Finding.first_seen_run, Finding.last_seen_run)).all()
        names = conn.execute(select(Finding.claimant_a_name, Finding.claimant_b_name)).all()
        found = conn.execute(select(FindingEvent.finding_id, FindingEvent.run_id,
                                    FindingEvent.status_from, FindingEvent.status_to)).all()  # fmt: skip
    assert {last for _, last in runs} == {2} and {first for first, _ in runs} == {1, 2}
    # the claimants' names are kept masked only (직원cousin → 직*****n), and each finding's
    # history starts once, with the run that found it (a re-run adds nothing for known ones)
    assert names and all(a.startswith("직*") and b.startswith("직*") for a, b in names)
    assert len(found) == len(second) and len({f for f, *_ in found}) == len(second)
    assert {(r, fr, to) for _, r, fr, to in found} == {(1, None, "open"), (2, None, "open")}
    bad = CliRunner().invoke(app, ["allowance", "verify", str(sources), "--as-of", "2025-13"])
    assert bad.exit_code == 2


def test_parquet_files_are_read_like_csv(sources: Path) -> None:
    con = duckdb.connect()
    src = str(sources / "MOE.csv").replace("'", "''")
    dst = str(sources / "MOE.parquet").replace("'", "''")
    con.execute(
        f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{dst}' (FORMAT parquet)"
    )
    (sources / "MOE.csv").unlink()
    found = _run(sources)
    assert ("LG-SEOUL:s1", "MOE:m1") in found
    bad = duckdb.connect()
    bad.execute(
        f"COPY (SELECT * REPLACE ('bad' AS relation) FROM read_parquet('{dst}')) "
        f"TO '{dst}' (FORMAT parquet)"
    )
    with pytest.raises(ClaimsError) as exc:
        load_claims(duckdb.connect(), sources)
    assert any(e.startswith("MOE.parquet:1:relation:") for e in exc.value.errors)


def test_pseudonymize_accepts_numbers_issued_since_october_2020(tmp_path: Path) -> None:
    # a child born 2021-03-01, numbered after the 2020 reform: random digits, no check digit
    from insa.allowance.claims import PSEUDONYMIZE_IN, pseudonymize

    src = tmp_path / "raw.csv"
    values = dict.fromkeys(PSEUDONYMIZE_IN, "")
    values |= {"claim_id": "1", "source_org": "EDU-BUSAN", "claimant_rrn": "800101-1000008",
               "claimant_name": "김", "claimant_birth_date": "1980-01-01", "dependent_rrn": "210301-4123450",
               "dependent_name": "민", "dependent_birth_date": "2021-03-01", "relation": "child",
               "start_month": "2024-01", "monthly_amount": "50000"}  # fmt: skip
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PSEUDONYMIZE_IN)
        w.writeheader()
        w.writerow(values)
    assert pseudonymize(src, tmp_path / "out.csv", KEY) == 1
    got = next(csv.DictReader((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()))
    assert got["dependent_key"] == key_of(KEY, "2103014123450")
    values["dependent_rrn"] = "210301-4123451x"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=PSEUDONYMIZE_IN)
        w.writeheader()
        w.writerow(values)
    with pytest.raises(ClaimsError, match="raw.csv:2:dependent_rrn"):
        pseudonymize(src, tmp_path / "out2.csv", KEY)


def test_a_csv_written_halfway_leaves_nothing(tmp_path: Path) -> None:
    from insa.allowance.claims import write_csv_atomic

    def rows():  # type: ignore[no-untyped-def]
        yield ["a", "1"]
        raise RuntimeError("disk full")

    out = tmp_path / "findings.csv"
    with pytest.raises(RuntimeError):
        write_csv_atomic(out, ("x", "y"), rows())
    assert list(tmp_path.iterdir()) == []
    assert write_csv_atomic(out, ("x", "y"), [["a", "1"], ["b", "2"]]) == 2
    assert out.read_text(encoding="utf-8").splitlines() == ["x,y", "a,1", "b,2"]


def test_a_claimant_who_claims_the_other_as_spouse_links_the_pair(tmp_path: Path) -> None:
    """The household comparison reads the claimants themselves too: when one claims the
    other as a spouse (the other's name and birth date among its dependents), their claims of
    one child are likelier the same child than two namesakes' — the probability rises."""

    def run(spouse_claimed: bool) -> float:
        d = tmp_path / ("linked" if spouse_claimed else "plain")
        d.mkdir()
        moe = [row("m1", "MOE", "husband", "kid", "박하준", "2016-04-04", "child", "2024-01")]
        if (
            spouse_claimed
        ):  # the husband claims the wife (직원wife, born 1980-01-01, as row() writes)
            moe.append(
                row("m2", "MOE", "husband", "wife", "직원wife", "1980-01-01", "spouse", "2024-01")
            )
        write(d, "MOE", moe)
        write(
            d,
            "PI-0001",
            [row("p1", "PI-0001", "wife", None, "박하준", "2016-04-04", "child", "2024-03")],
        )
        con = duckdb.connect()
        load_claims(con, d)
        report = verify(con, AS_OF, threshold=0.0)
        (f,) = [f for f in report.findings if f.match == "probable"]
        return f.probability

    assert run(spouse_claimed=True) > run(spouse_claimed=False)
