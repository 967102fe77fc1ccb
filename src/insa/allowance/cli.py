"""``insa allowance``: entitlement, pseudonymize, export-claims, verify."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from insa.clikit import agency_id, console, echo_error, err, fail
from insa.spreadsheets import csv_writer

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

    from insa.allowance.claims import LoadReport
    from insa.allowance.verify import VerifyReport

allowance_app = typer.Typer(
    help="가족수당 산정과 이중수급 검증 / Family allowance and double-claim verification",
    no_args_is_help=True,
)
COMMANDS = (("allowance", allowance_app),)


def _as_of(text: str) -> int:
    from insa.allowance.claims import month_index

    parts = text.split("-")
    if (
        len(parts) != 2
        or not (parts[0].isdigit() and parts[1].isdigit())
        or not 1 <= int(parts[1]) <= 12
    ):
        raise fail(f"--as-of must be YYYY-MM, not {text!r}")
    return month_index(text)


@allowance_app.command("entitlement")
def allowance_entitlement(
    year: int = typer.Option(..., "--year", help="연도 / year"),
    agency: str | None = typer.Option(None, "--agency", help="기관코드 / agency code"),
    out: Path | None = typer.Option(None, "-o", "--output", help="차이 CSV / differences CSV"),
) -> None:
    """규정에 따른 가족수당과 실제 지급액 비교 / Due allowance by the rules against what payroll paid."""

    from insa import clikit
    from insa.allowance import service

    with clikit.session(keys=False) as ctx:
        diffs = service.entitlement(ctx, year, agency_id(ctx.connection, agency))
    over = sum(d.difference for d in diffs if d.difference > 0)
    under = -sum(d.difference for d in diffs if d.difference < 0)
    people = len({d.employee_no for d in diffs})
    t = Table(title=f"{year}년 가족수당 산정 / entitlement")
    t.add_column("항목 / item")
    t.add_column("값 / value", justify="right")
    t.add_row("차이가 있는 직원 / employees with a difference", f"{people:,}")
    t.add_row("과지급 / paid above the rules", f"{over:,}원")
    t.add_row("미지급 / paid below the rules", f"{under:,}원")
    console.print(t)
    if out:
        with out.open("w", encoding="utf-8", newline="") as f:
            w = csv_writer(f)
            w.writerow(["employee_no", "agency", "month", "paid", "due", "difference"])
            for d in diffs:
                w.writerow(
                    [d.employee_no, d.agency, f"{year}-{d.month:02d}", d.paid, d.due, d.difference]
                )
        console.print(f"[green]wrote[/] {len(diffs):,} rows → {out}")


@allowance_app.command("pseudonymize")
def allowance_pseudonymize(
    src: Path = typer.Argument(
        ..., help="claimant_rrn/dependent_rrn 열이 있는 CSV / CSV with RRN columns"
    ),
    dst: Path = typer.Argument(..., help="교환 형식 CSV / exchange-format CSV"),
    key_file: Path = typer.Option(..., "--key-file", help="공유 HMAC 키 파일 / shared key file"),
) -> None:
    """주민등록번호를 키로 바꿔 교환 형식으로 / Replace resident numbers by keyed pseudonyms."""
    from insa.allowance.claims import ClaimsError, pseudonymize, read_key_file

    try:
        n = pseudonymize(src, dst, read_key_file(key_file))
    except ClaimsError as exc:
        for e in exc.errors:
            echo_error(e)
        raise fail(f"{len(exc.errors)} error(s); nothing written", 1) from None
    console.print(f"[green]wrote[/] {n:,} claims → {dst} (keys only, no resident numbers)")


@allowance_app.command("export-claims")
def allowance_export_claims(
    out_dir: Path = typer.Argument(..., help="출력 폴더 (기관별 CSV) / output folder"),
    key_file: Path = typer.Option(..., "--key-file", help="공유 HMAC 키 파일 / shared key file"),
    as_of: str = typer.Option(..., "--as-of", help="기준월 YYYY-MM / as-of month"),
    agency: str | None = typer.Option(None, "--agency", help="기관코드 / agency code"),
) -> None:
    """insa 기관의 가족수당 청구를 교환 형식으로 / insa's own claims in the exchange format."""
    from insa import clikit
    from insa.allowance import service
    from insa.allowance.claims import ClaimsError, read_key_file

    _as_of(as_of)
    try:
        key = read_key_file(key_file)
    except ClaimsError as exc:
        raise fail(str(exc)) from None
    with clikit.session() as ctx:
        out_dir.mkdir(parents=True, exist_ok=True)
        agencies, total = service.export_claims(
            ctx, key, as_of, agency_id(ctx.connection, agency), out_dir
        )
    console.print(f"[green]wrote[/] {total:,} claims of {agencies} agencies → {out_dir}")


@allowance_app.command("verify")
def allowance_verify(
    sources: Path = typer.Argument(..., help="기관별 청구 파일 폴더 / folder of claims files"),
    as_of: str = typer.Option(
        ..., "--as-of", help="기준월 YYYY-MM / count overlap up to this month"
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="발견 CSV / findings CSV"),
    reports: Path | None = typer.Option(
        None,
        "--reports",
        help="기관별 XLSX와 요약 폴더 / folder for per-organisation XLSX and summary",
    ),
    skip_bad_files: bool = typer.Option(
        False, "--skip-bad-files", help="오류 파일을 빼고 계속 / go on without bad files"
    ),
    probabilistic: bool = typer.Option(
        True,
        "--probabilistic/--exact-only",
        help="키 없는 청구의 확률적 연계 / linkage of keyless claims",
    ),
    run_on: str = typer.Option(
        "duckdb", "--engine", help="duckdb | spark (정확 일치 단계) / where the exact passes run"
    ),
    spark_master: str | None = typer.Option(
        None, "--spark-master", help="Spark 마스터 URL 또는 sc:// / a Spark master"
    ),
    threshold: float = typer.Option(
        0.9, "--threshold", min=0.5, max=0.9999, help="확률 기준 / match probability"
    ),
    store: bool = typer.Option(
        True,
        "--store/--no-store",
        help="발견을 DB에 저장 (처리 상태 유지) / keep findings in the database",
    ),
) -> None:
    """이중수급 검증 / Find double claims across organisations."""
    from insa.allowance.claims import connect
    from insa.allowance.reports import write_findings_csv, write_org_reports, write_summary
    from insa.allowance.verify import verify

    as_of_idx = _as_of(as_of)
    engine = None
    if store:  # a database not at the latest schema fails before the work, not after it
        from insa import clikit

        engine = clikit.engine()
    con = connect()
    t0 = time.perf_counter()
    loaded = _load(con, sources, skip_bad_files, as_of)
    if run_on not in ("duckdb", "spark"):
        raise fail("--engine은 duckdb 또는 spark입니다", 2)
    with console.status("검증 중 / verifying…") as status:
        report = verify(
            con, as_of_idx, probabilistic=probabilistic and run_on == "duckdb", threshold=threshold,
            on_step=lambda s: status.update(f"검증 중 / verifying: {s}"),
        )  # fmt: skip
        if run_on == "spark":  # both passes on Spark: its findings replace DuckDB's
            report = _on_spark(
                con, report, as_of_idx, spark_master, probabilistic, threshold, status.update
            )
    if output:
        write_findings_csv(output, report)
    if reports:
        write_org_reports(reports, report)
        write_summary(reports / "summary.xlsx", report)
    stored = None
    if engine is not None:
        from insa.allowance import service
        from insa.db.locks import BatchBusy, batch_lock

        try:
            with (
                batch_lock(engine, "allowance.store", "이중수급 검증 결과 저장"),
                engine.begin() as conn,
            ):
                stored = service.store_findings(conn, report, files=len(loaded.files))
        except BatchBusy as exc:
            raise fail(str(exc), 1) from None
    _print_verification(report, len(loaded.files))
    console.print(
        f"{time.perf_counter() - t0:.1f} s"
        + (
            f"; stored: {stored.new:,} new, {stored.seen_again:,} seen before (status kept)"
            if stored
            else ""
        )
    )


def _on_spark(con: DuckDBPyConnection, report: Any, as_of: int, master: str | None, probabilistic: bool,
              threshold: float | None, say: Any) -> Any:  # fmt: skip
    """The exact passes by Spark SQL over the validated claims (as Parquet), and the probable
    pass by Splink's Spark backend, with the settings of the DuckDB engine."""
    import tempfile

    try:
        from insa.allowance.spark import exact_findings, session
    except ImportError:
        raise fail("pyspark가 없습니다: pip install 'insa[spark]' (Java 17 이상 필요)", 2) from None
    say("검증 중 / verifying: Spark")
    with tempfile.TemporaryDirectory(prefix="insa-spark-") as tmp:
        parquet = Path(tmp) / "claims.parquet"
        con.execute(
            f"COPY claims TO '{str(parquet).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)"
        )
        with session(master) as spark:
            found = exact_findings(spark, parquet, as_of)
            if probabilistic:
                from insa.allowance.linkage import match_rules
                from insa.allowance.spark import probable_pairs
                from insa.allowance.verify import _finding

                say("검증 중 / verifying: Spark (Splink)")
                paired = len({c for f in found for c in (f.claim_a, f.claim_b)})
                found += [
                    _finding(r, "probable", p)
                    for r, p in probable_pairs(
                        con, spark, threshold or match_rules()[0], Path(tmp), paired
                    )
                ]
    report.findings = sorted(found, key=lambda f: (f.kind, f.match, f.claim_a, f.claim_b))
    return report


def _load(
    con: DuckDBPyConnection, sources: Path, skip_bad_files: bool, as_of: str | None = None
) -> LoadReport:
    """The claims files and deliveries into ``con``'s ``claims`` table, with a progress bar on
    stderr; a bad file or a refused delivery fails the command unless ``skip_bad_files`` (then
    each skipped one is named)."""
    from insa.allowance.claims import ClaimsError, load_claims

    with Progress(
        TextColumn("[bold]청구 파일 / claims files"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
    ) as progress:  # fmt: skip
        task = progress.add_task("", total=None)
        try:
            loaded = load_claims(
                con,
                sources,
                skip_bad_files=skip_bad_files,
                as_of=as_of,
                on_file=lambda d, t, name: progress.update(
                    task, completed=d, total=t, description=name
                ),
            )
        except ClaimsError as exc:
            for e in exc.errors:
                echo_error(e)
            raise fail(
                f"{len(exc.errors)} error(s) in the claims files; nothing verified "
                "(fix them, or --skip-bad-files to go on without those files)",
                1,
            ) from None
    for name, errors in loaded.bad_files.items():
        err.print(f"[yellow]{name}: skipped ({len(errors)} error(s)), e.g. {errors[0]}[/]")
    return loaded


def _print_verification(report: VerifyReport, files: int) -> None:
    """The findings by kind and match: how many, and the won overpaid."""
    from insa.allowance.models import KIND_LABELS

    t = Table(title=f"이중수급 검증 — {report.as_of}까지, 청구 {report.claims:,}건 ({files} files)")
    t.add_column("유형 / kind")
    t.add_column("일치 / match")
    t.add_column("건수 / findings", justify="right")
    t.add_column("과지급액 / overpaid", justify="right")
    for (kind, match), n in sorted(report.counts().items()):
        won = sum(f.overpaid_amount for f in report.findings if (f.kind, f.match) == (kind, match))
        t.add_row(KIND_LABELS.get(kind, kind), match, f"{n:,}", f"{won:,}원")
    console.print(t)


@allowance_app.command("new-key")
def allowance_new_key(
    path: Path = typer.Argument(..., help="키 파일 / key file to create"),
    if_missing: bool = typer.Option(
        False, "--if-missing", help="있으면 그대로 / keep an existing file"
    ),
) -> None:
    """기관 간 공유 HMAC 키 생성 (0600) / Create a shared exchange key file (mode 0600)."""
    import base64
    import os
    import secrets

    if path.exists():
        if if_missing:
            console.print(f"{path} exists; kept")
            return
        raise fail(f"{path} exists; refusing to overwrite a shared key")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    console.print(
        f"[green]wrote[/] a new 256-bit key → {path} (share it only with the organisations)"
    )


@allowance_app.command("manifest")
def allowance_manifest(
    folder: Path = typer.Argument(
        ..., help="기관의 Parquet 전달 폴더 (폴더 이름 = 기관 코드) / a delivery directory"
    ),
    period: str = typer.Option(..., "--period", help="전달 기준월 YYYY-MM / the delivery's month"),
) -> None:
    """전달 폴더의 manifest.json을 씁니다 (파일별 행 수와 SHA-256) / Write a delivery's manifest."""
    from insa.allowance.claims import write_manifest

    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        raise fail(f"{folder}: Parquet 파일이 있는 폴더가 아닙니다 / no *.parquet files here", 2)
    _as_of(period)
    doc = write_manifest(folder, folder.name, period)
    console.print(
        f"{folder / 'manifest.json'}: {folder.name}, {period}, 파일 {len(doc['files'])}개, {doc['rows']:,}행",
        highlight=False,
    )


ENTITLEMENT_COLUMNS = ("finding_id", "kind", "claim", "dependent_name", "relation", "stop_month", "last_month",
                       "months", "overpaid_amount", "recoverable_amount", "time_barred_amount")  # fmt: skip


@allowance_app.command("check-entitlement")
def allowance_check_entitlement(
    as_of: str = typer.Option(..., "--as-of", help="기준월 YYYY-MM / up to this month"),
    agency: str | None = typer.Option(None, "--agency", help="기관코드 / agency code"),
    out: Path | None = typer.Option(None, "-o", "--output", help="발견 CSV / findings CSV"),
    store: bool = typer.Option(
        True, "--store/--no-store", help="발견을 DB에 저장 (처리 상태 유지) / keep findings"
    ),
) -> None:
    """지급 요건 점검: 연령 초과·소득 초과·별거·4명 초과·자녀 순위 변동으로 더 지급된 가족수당을
    지급을 멈췄어야 할 달부터 찾아, 환수할 수 있는 금액과 소멸시효가 지난 금액으로 나눕니다
    / The entitlement check: overpayments by reason, with the recoverable part."""
    from insa import clikit
    from insa.allowance import service
    from insa.allowance.models import KIND_LABELS

    _as_of(as_of)
    with clikit.session(keys=False) as ctx:
        report, stored = service.check_entitlement(
            ctx, as_of, agency_id(ctx.connection, agency), store=store
        )
    t = Table(title=f"가족수당 지급 요건 점검 — {as_of}까지")
    for c in (
        "사유 / reason",
        "건수 / findings",
        "과지급 / overpaid",
        "환수 가능 / recoverable",
        "시효 경과 / time-barred",
    ):
        t.add_column(c, justify="right" if "/" in c and c[0] != "사" else "left")
    by: dict[str, list[int]] = {}
    for f in report.findings:
        rec, barred = report.amounts[f.finding_id]
        x = by.setdefault(f.kind, [0, 0, 0, 0])
        x[0] += 1
        x[1] += f.overpaid_amount
        x[2] += rec
        x[3] += barred
    for kind, (n, over, rec, barred) in sorted(by.items()):
        t.add_row(
            KIND_LABELS.get(kind, kind), f"{n:,}", f"{over:,}원", f"{rec:,}원", f"{barred:,}원"
        )
    console.print(t)
    if stored:
        console.print(
            f"저장: 새 발견 {stored.new:,}건, 다시 본 발견 {stored.seen_again:,}건 (처리 상태 유지)"
        )
    if out:
        from insa.allowance.claims import write_csv_atomic

        write_csv_atomic(out, ENTITLEMENT_COLUMNS, ([f.finding_id, f.kind, f.claim_a, f.dependent_name, f.relation,
                                                    f.overlap_start, f.overlap_end, f.overlap_months, f.overpaid_amount,
                                                    *report.amounts[f.finding_id]] for f in report.findings))  # fmt: skip
        console.print(f"[green]wrote[/] {len(report.findings):,} rows → {out}")
