"""``insa yearend``: compute (stateless), import-nts, synth-nts, run, explain, receipt, filing."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from insa import clikit
from insa.clikit import agency_id, console, echo_error, err, fail

yearend_app = typer.Typer(help="연말정산 / Year-end tax settlement", no_args_is_help=True)
COMMANDS = (("yearend", yearend_app),)


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
    )


@yearend_app.command("compute")
def yearend_compute(
    input_file: Path = typer.Argument(
        ..., help="사례 JSON 배열 / JSON array of cases (docs/yearend.md)"
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="결과 JSON (없으면 표준출력) / output JSON (default stdout)"
    ),
) -> None:
    """연말정산 계산 (저장하지 않음) / Settle cases from a JSON file; nothing is stored."""
    from insa.clikit import json_contract
    from insa.yearend.compute import compute_cases

    json_contract(input_file, output, compute_cases, "case")


@yearend_app.command("import-nts")
def yearend_import_nts(
    source: Path = typer.Argument(
        ...,
        help="간소화 자료 폴더 또는 파일 (*.json 직원별, *.jsonl 일괄) / folder or file of simplified data",
    ),
) -> None:
    """국세청 간소화 자료를 가져옵니다 (전부 아니면 전무) / Import the NTS simplified data, all or nothing."""
    from insa.db.locks import BatchBusy
    from insa.yearend.nts import NtsImportError, import_nts

    engine = clikit.engine()
    with _progress("간소화 자료 / simplified data") as progress:
        task = progress.add_task("", total=None)
        try:
            report = import_nts(
                engine, source, on_progress=lambda d, t: progress.update(task, completed=d, total=t)
            )
        except BatchBusy as exc:
            raise fail(str(exc), 1) from None
        except NtsImportError as exc:
            for e in exc.errors:
                echo_error(e)
            raise fail(
                f"{len(exc.errors)}개 오류 — 아무것도 저장하지 않았습니다 / {len(exc.errors)} error(s), nothing written",
                1,
            ) from None
    console.print(
        f"[green]imported[/] {report.documents:,} documents from {report.files} file(s): "
        f"{report.inserted:,} new, {report.replaced:,} replaced, {report.unchanged:,} unchanged"
    )


@yearend_app.command("synth-nts")
def yearend_synth_nts(
    out: Path = typer.Argument(..., help="출력 JSON Lines 파일 / output .jsonl"),
    year: int = typer.Option(2025, "--year", help="귀속연도 / tax year"),
    seed: int = typer.Option(2025, "--seed", help="난수 시드 / random seed"),
    agency: str | None = typer.Option(None, "--agency", help="기관코드 / agency code"),
) -> None:
    """합성 간소화 자료를 만듭니다 (데모·벤치마크용) / Write synthetic simplified data for the seeded employees."""
    from insa.yearend.synth import dependent_counts, employee_numbers, generate

    engine = clikit.engine()
    with engine.connect() as conn:
        numbers = employee_numbers(conn, agency_id(conn, agency))
        dependents = dependent_counts(conn, numbers)
    with _progress("합성 간소화 자료 / synthetic data") as progress:
        task = progress.add_task("", total=len(numbers))
        n = generate(numbers, year, seed, out, dependents=dependents,
                     on_progress=lambda d, _t: progress.update(task, completed=d))  # fmt: skip
    console.print(f"[green]wrote[/] {n:,} documents → {out}")


@yearend_app.command("run")
def yearend_run(
    year: int = typer.Option(..., "--year", help="귀속연도 / tax year"),
    agency: str | None = typer.Option(
        None, "--agency", help="기관코드 (없으면 전 기관) / agency code (default: every agency)"
    ),
) -> None:
    """원클릭 연말정산: 급여·부양가족·간소화 자료로 전원 정산하고 결과를 교체 저장 / Settle everyone in one batch."""
    from insa.yearend.service import SettlementError, run_settlement

    engine = clikit.engine()
    with engine.connect() as conn:
        aid = agency_id(conn, agency)
    with _progress("연말정산 / settlement") as progress:
        task = progress.add_task("", total=4)
        try:
            report = run_settlement(
                engine,
                year,
                agency_id=aid,
                on_progress=lambda name, d, t: progress.update(
                    task, completed=d, total=t, description=name
                ),
            )
        except SettlementError as exc:
            raise fail(str(exc)) from None
    t = Table(title=f"{year}년 귀속 연말정산 — run {report.run_id} (v{report.version})")
    t.add_column("항목 / item")
    t.add_column("값 / value", justify="right")
    for label, value in (
        ("정산 인원 / employees", f"{report.employees:,}"),
        ("결정세액 합계 / determined tax", f"{report.determined_tax:,}원"),
        ("차감징수 소득세 / balance (income tax)", f"{report.balance_income_tax:,}원"),
        ("차감징수 지방소득세 / balance (local tax)", f"{report.balance_local_tax:,}원"),
        ("환급 인원 / refunds", f"{report.refunds:,}"),
        (
            "시간 / seconds (load + compute + store)",
            f"{report.load_s:.2f} + {report.compute_s:.2f} + {report.store_s:.2f}",
        ),
    ):
        t.add_row(label, value)
    console.print(t)


@yearend_app.command("explain")
def yearend_explain(
    employee_no: str = typer.Argument(..., help="직원번호 / employee number"),
    year: int = typer.Option(..., "--year", help="귀속연도 / tax year"),
    as_json: bool = typer.Option(False, "--json", help="JSON으로 출력 / print JSON"),
) -> None:
    """한 사람의 정산 내역을 원 단위까지 설명 / Explain one employee's settlement, line by line."""
    from insa.yearend.service import UnknownEmployee, explain_by_number

    with clikit.session(keys=False) as ctx:
        try:
            ex = explain_by_number(ctx, employee_no, year)
        except UnknownEmployee as exc:
            raise fail(str(exc)) from None
    if ex is None:
        raise fail(f"{employee_no}: no payroll in {year}")
    if as_json:
        typer.echo(json.dumps(ex.result, ensure_ascii=False, indent=2, default=str))
        return
    t = Table(title=f"{employee_no} — {year}년 귀속 연말정산 / year-end settlement")
    t.add_column("항목 / item")
    t.add_column("금액 / won", justify="right")
    t.add_column("근거 / rule")
    t.add_column("법령 / source")
    for line in ex.result["lines"]:
        t.add_row(line["item"], f"{line['amount']:,}", line["rule"], line["source"])
    console.print(t)
    if ex.stored is None:
        console.print(
            "[yellow]저장된 정산 결과가 없습니다 (insa yearend run) / no stored run yet[/]"
        )
    elif ex.stale:
        console.print(
            "[yellow]마지막 정산 이후 자료가 바뀌었습니다: 다시 정산하면 위 금액이 저장됩니다 / "
            "data changed since the last run[/]"
        )
    else:
        console.print(
            f"[green]저장된 결과(v{ex.stored['version']})와 일치 / matches the stored result[/]"
        )


@yearend_app.command("receipt")
def yearend_receipt(
    employee_nos: list[str] = typer.Argument(None, help="직원번호 / employee numbers"),
    year: int = typer.Option(..., "--year", help="귀속연도 / tax year"),
    agency: str | None = typer.Option(
        None, "--agency", help="기관 전원 (정산 결과가 있는 직원) / everyone settled in the agency"
    ),
    out: Path = typer.Option(Path("."), "-o", "--out", help="출력 폴더 / output folder"),
) -> None:
    """근로소득 원천징수영수증 PDF (직원별 한 파일) / Withholding receipts, one PDF per employee."""
    from insa.files import inside
    from insa.yearend.documents import DocumentUnavailable
    from insa.yearend.service import UnknownEmployee, receipt_by_number, settled_employee_nos

    with clikit.session() as ctx:
        out.mkdir(parents=True, exist_ok=True)
        if agency is not None:
            numbers = settled_employee_nos(ctx, year, agency_id(ctx.connection, agency))
        else:
            numbers = list(employee_nos or [])
        if not numbers:
            raise fail("no employees: name employee numbers or --agency (after `insa yearend run`)")
        written = 0
        with _progress("원천징수영수증 / receipts") as progress:
            task = progress.add_task("", total=len(numbers))
            for no in numbers:
                try:
                    doc = receipt_by_number(ctx, no, year)
                except (UnknownEmployee, DocumentUnavailable) as exc:
                    raise fail(str(exc)) from None
                if doc is None:
                    err.print(f"[yellow]{no}: no payroll in {year} — skipped[/]")
                    progress.update(task, advance=1)
                    continue
                inside(out, doc.name).write_bytes(doc.data)
                written += 1
                progress.update(task, advance=1)
    console.print(f"[green]wrote[/] {written:,} receipt(s) → {out}")


@yearend_app.command("filing")
def yearend_filing(
    agency: str = typer.Option(..., "--agency", help="기관코드 / agency code"),
    year: int = typer.Option(..., "--year", help="귀속연도 / tax year"),
    out: Path | None = typer.Option(
        None, "-o", "--out", help="출력 파일 (기본: 국세청 파일명) / output file"
    ),
) -> None:
    """근로소득 지급명세서 전산매체 (정산 결과로) / The agency's electronic filing file."""
    from insa.yearend.documents import DocumentUnavailable
    from insa.yearend.filing.errors import FilingError
    from insa.yearend.service import filing_file

    with clikit.session() as ctx:
        aid = agency_id(ctx.connection, agency)
        assert aid is not None
        try:
            doc = filing_file(ctx, aid, year)
        except (DocumentUnavailable, FilingError) as exc:
            raise fail(str(exc)) from None
    target = out or Path(doc.name)
    target.write_bytes(doc.data)
    err.print(
        "[yellow]주민등록번호 전체가 포함된 파일입니다 (국세청 제출용) / the file holds full RRNs[/]"
    )
    console.print(f"[green]wrote[/] {len(doc.data):,} bytes → {target}")


@yearend_app.command("read-filing")
def yearend_read_filing(
    file: Path = typer.Argument(..., help="전산매체 파일 / filing file"),
    year: int = typer.Option(..., "--year", help="귀속연도 (레이아웃) / tax year of the layout"),
) -> None:
    """전산매체 파일을 다시 읽어 검증하고 요약 / Re-parse a filing file, check it, summarise it."""
    from insa.yearend.filing.errors import FilingError
    from insa.yearend.filing.reader import parse_filing

    try:
        sub = parse_filing(file.read_bytes(), year)
    except (OSError, FilingError) as exc:
        raise fail(f"{file}: {exc}") from None
    t = Table(title=f"{file.name} — {year}년 귀속 지급명세서")
    t.add_column("원천징수의무자 / agent")
    t.add_column("인원 / employees", justify="right")
    t.add_column("총급여 / total salary", justify="right")
    t.add_column("결정세액 / determined tax", justify="right")
    for a in sub.agents:
        t.add_row(
            a.name,
            f"{len(a.employees):,}",
            f"{sum(e.amounts['total_salary'] for e in a.employees):,}",
            f"{sum(e.amounts['determined_tax'] for e in a.employees):,}",
        )
    console.print(t)
    console.print("[green]every record, count and total checks out[/]")
