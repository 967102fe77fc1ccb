"""``insa seed`` and ``insa people …``: the synthetic government, import and export of
employees and dependents, the agency registry."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from insa import clikit

console, err = clikit.console, clikit.err
_fail, _cipher, _engine = clikit.fail, clikit.cipher, clikit.engine

people_app = typer.Typer(
    help="직원·부양가족 가져오기와 내보내기 / Employees and dependents", no_args_is_help=True
)
root_app = typer.Typer()  # commands at the top level: insa seed
COMMANDS = ((None, root_app), ("people", people_app))


@root_app.command("seed")
def seed_cmd(
    employees: int = typer.Option(
        20_000, "--employees", "-n", min=1, max=999_999, help="직원 수 / number of employees"
    ),
    seed: int = typer.Option(
        2025, "--seed", "-s", help="난수 시드 (같으면 같은 데이터) / random seed"
    ),
    year: int = typer.Option(2025, "--year", help="급여 연도 / payroll year"),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="기존 직원 데이터를 지우고 다시 만듭니다 / discard existing employees",
    ),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="비어 있을 때만 / only when the database holds no employees"
    ),
) -> None:
    """가상 정부(합성 데이터)를 만듭니다 / Fill the database with a synthetic government."""
    from sqlalchemy import func, select

    from insa.db.locks import BatchBusy
    from insa.params import ParameterError
    from insa.people.models import Employee
    from insa.people.seed import SeedError
    from insa.people.seed import seed as run_seed
    from insa.people.synth import SeedConfig

    engine = _engine()
    cipher = _cipher()
    if if_empty:
        with engine.connect() as conn:
            n = conn.scalar(select(func.count()).select_from(Employee)) or 0
        if n:
            console.print(f"already seeded ({n:,} employees); nothing to do")
            return
    if not replace:
        with engine.connect() as conn:
            n = conn.scalar(select(func.count()).select_from(Employee)) or 0
        if n:
            raise _fail(f"the database already holds {n:,} employees; use --replace to seed again")
    cfg = SeedConfig(employees=employees, seed=seed, year=year)
    with Progress(
        TextColumn("[bold]합성 데이터 생성 / seeding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("seed", total=employees)
        try:
            report = run_seed(
                engine,
                cfg,
                cipher,
                replace=replace,
                on_progress=lambda done, _t: progress.update(task, completed=done),
            )
        except (SeedError, ParameterError, BatchBusy) as exc:
            raise _fail(str(exc)) from None
    console.print(
        f"[green]seeded[/] {report.employees:,} employees, {report.dependents:,} dependents, "
        f"{report.payroll:,} payroll rows, {report.org_units:,} org units, {report.plants:,} planted claims "
        f"in {report.seconds:.1f} s ({report.rows / report.seconds:,.0f} rows/s)"
    )


@people_app.command("import")
def people_import(
    files: list[Path] = typer.Argument(
        ..., help="CSV 또는 XLSX 파일 / CSV or XLSX files (docs/import-format.md)"
    ),
) -> None:
    """직원·부양가족을 가져옵니다 (전부 아니면 전무) / Import employees and dependents, all or nothing."""
    from insa.db.bulk import refresh_statistics
    from insa.db.locks import BatchBusy, batch_lock
    from insa.people.io import ImportRejected, import_files
    from insa.people.seed import BULK_TABLES, PEOPLE_WRITE

    engine = _engine()
    cipher = _cipher()
    try:
        with (
            batch_lock(engine, PEOPLE_WRITE, "직원·부양가족 쓰기(합성 데이터 생성·가져오기)"),
            engine.begin() as conn,
        ):
            report = import_files(conn, files, cipher)
        refresh_statistics(engine, BULK_TABLES, report.employees_added
                           + report.employees_updated + report.dependents_added)  # fmt: skip
    except BatchBusy as exc:
        raise _fail(str(exc), 1) from None
    except ImportRejected as rej:
        for e in rej.errors:
            clikit.echo_error(e)
        raise _fail(
            f"{len(rej.errors)}개 오류 — 아무것도 저장하지 않았습니다 / {len(rej.errors)} error(s), nothing written",
            1,
        ) from None
    console.print(
        f"[green]가져왔습니다 / imported[/] 직원 employees +{report.employees_added} "
        f"~{report.employees_updated}, 부양가족 dependents +{report.dependents_added} "
        f"~{report.dependents_updated}, 급여계좌 accounts {report.accounts_written}"
    )


@people_app.command("export")
def people_export(
    out: Path = typer.Argument(..., help="출력 파일 (.csv 또는 .xlsx) / output file"),
    kind: str | None = typer.Option(
        None, "--kind", help="employees | dependents (CSV는 필수 / required for CSV)"
    ),
    agency: str | None = typer.Option(None, "--agency", help="기관코드 / agency code"),
    with_rrn: bool = typer.Option(
        False, "--with-rrn", help="주민등록번호 전체 포함 (감사 기록됨) / full RRNs, audited"
    ),
    with_account: bool = typer.Option(
        False,
        "--with-account",
        help="급여계좌번호 전체 포함 (감사 기록됨) / full salary account numbers, audited",
    ),  # fmt: skip
) -> None:
    """가져오기와 같은 형식으로 내보냅니다 / Export in the import format (RRNs masked unless --with-rrn)."""
    from insa.people.io import export

    if kind not in (None, "employees", "dependents"):
        raise _fail("--kind must be employees or dependents")
    engine = _engine()
    cipher = _cipher()
    try:
        with engine.begin() as conn:
            counts = export(
                conn,
                cipher,
                out,
                kind=kind,
                agency_code=agency,
                with_rrn=with_rrn,
                with_account=with_account,
            )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if with_rrn or with_account:
        err.print(
            "[yellow]주민등록번호·계좌번호 전체가 포함된 파일입니다. 취급에 주의하세요 / "
            "file holds full personal numbers[/]"
        )
    console.print(f"[green]내보냈습니다 / exported[/] {counts} → {out}")


@people_app.command("agencies")
def people_agencies(
    all_: bool = typer.Option(
        False, "--all", help="폐지·개편 전 기관 포함 / include former agencies"
    ),
) -> None:
    """기관 목록 / The agency registry."""
    from insa.clock import today_kst
    from insa.people.registry import agencies

    t = Table("코드", "기관명", "구분", "시작", "종료", "선행기관")
    today = today_kst()
    shown = 0
    for a in agencies():
        if all_ or a.active_on(today):
            t.add_row(
                a.code,
                a.name_ko,
                a.kind,
                str(a.valid_from or ""),
                str(a.valid_until or ""),
                a.predecessor or "",
            )
            shown += 1
    console.print(t)
    console.print(f"{shown} agencies")
