"""``insa travel``: the stateless computation, ticket imports, the demo trips and settling every
trip at once. Commands parse, call the services in one transaction (``clikit.session``) and
print."""

from __future__ import annotations

from pathlib import Path

import typer

from insa.clikit import echo_error, fail
from insa.spreadsheets import csv_writer

travel_app = typer.Typer(help="출장 여비 정산 / Official travel settlement", no_args_is_help=True)
COMMANDS = (("travel", travel_app),)


@travel_app.command("compute")
def travel_compute(
    input_file: Path = typer.Argument(
        ..., help="출장 JSON 배열 / JSON array of trips (docs/travel.md)"
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="결과 JSON (없으면 표준출력) / output JSON (default stdout)"
    ),
) -> None:
    """여비 계산 (저장하지 않음) / Compute travel expenses from a JSON file; nothing is stored."""
    from insa.clikit import json_contract
    from insa.travel.compute import compute_trips

    json_contract(input_file, output, compute_trips, "trip")


@travel_app.command("import-tickets")
def travel_import_tickets(
    file: Path = typer.Argument(
        ..., help="운송사 예매 내역 JSON Lines / operators' booking export"
    ),
) -> None:
    """승차권 자료를 가져와 출장에 연결 (같은 파일을 다시 넣어도 그대로) / Import tickets and link them to trips."""
    from insa import clikit
    from insa.clikit import console
    from insa.travel.feeds import import_tickets
    from insa.travel.tickets import TicketFileError, read_events

    try:
        events = read_events(file)
    except TicketFileError as exc:
        for e in exc.errors:
            echo_error(e)
        raise fail(f"{len(exc.errors)} error(s); nothing imported", 1) from None
    with clikit.session(keys=False) as ctx:
        report = import_tickets(ctx, events)
    console.print(
        f"[green]tickets[/] {report['tickets']:,}: {report['inserted']:,} new, {report['updated']:,} updated, "
        f"{report['unchanged']:,} unchanged; {report['linked']:,} linked to trips"
    )
    if report["unmatched_tickets"]:
        console.print(
            f"[yellow]no trip for {len(report['unmatched_tickets'])} ticket(s):[/] "
            + ", ".join(report["unmatched_tickets"][:20])
        )
    if report["trips_without_tickets"]:
        console.print(
            f"[yellow]approved trips without tickets:[/] {', '.join(map(str, report['trips_without_tickets'][:20]))}"
        )


@travel_app.command("demo-data")
def travel_demo_data(
    feed: Path = typer.Argument(..., help="만들 승차권 자료 JSON Lines / the ticket feed to write"),
) -> None:
    """데모 출장 만들기 (데모 모드 전용, 한 번만) / Create the demo trips (demo mode only, once)."""
    from insa import clikit
    from insa.clikit import console
    from insa.settings import get_settings
    from insa.travel.demo import ensure_demo_trips

    if not get_settings().demo:
        raise fail("demo trips exist only in demo mode (INSA_DEMO=1)")
    with clikit.session(keys=False) as ctx:
        report = ensure_demo_trips(ctx, feed)
    if report["created"]:
        console.print(
            f"[green]demo trips[/] {report['created']}; tickets {report['tickets']} "
            f"({report['unmatched']} matching no trip) → {feed}"
        )
    else:
        console.print("demo trips already there")


@travel_app.command("settle-all")
def travel_settle_all(
    output: Path | None = typer.Option(
        None, "-o", "--output", help="출장별 결과 CSV / per-trip results as CSV"
    ),
    all_states: bool = typer.Option(
        False, "--all", help="모든 상태의 출장 / every trip, not only approved, settled and paid"
    ),
) -> None:
    """모든 출장 일괄 정산·대사 / Settle every trip from the database at once and reconcile
    the confirmed settlements (settled, paid) with the rules; nothing is changed."""

    import numpy as np
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from insa import clikit
    from insa.clikit import console
    from insa.travel import batch

    engine = clikit.engine()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        progress.add_task("출장 읽고 정산 / loading and settling", total=None)
        rec = batch.reconcile(engine, states=None if all_states else batch.DEFAULT_STATES)
    result, differ = rec.result, rec.differ
    console.print(
        f"[green]settled[/] {result.n:,} trips in {result.load_s + result.compute_s:.1f} s "
        f"(load {result.load_s:.1f} s, compute {result.compute_s:.2f} s); "
        f"total {int(result.total.sum()):,} won"
    )
    console.print(
        f"flagged: {int(np.count_nonzero(result.flags & batch.OVER_CAP)):,} with lodging over the cap, "
        f"{int(np.count_nonzero(result.flags & batch.FIRST_CLASS)):,} with a higher class, "
        f"{int(np.count_nonzero(result.flags & batch.REFUNDED)):,} with refunded tickets, "
        f"{result.invalid:,} the rules refuse"
    )
    if len(differ):
        console.print(
            f"[yellow]{len(differ):,} confirmed settlement(s) differ from the rules:[/] "
            + ", ".join(f"#{tid} (stored {total:,})" for tid, total in differ[:20].tolist())
        )
    else:
        console.print(f"[green]all {rec.compared:,} confirmed settlements agree with the rules[/]")
    if output is not None:
        names = ("trip_id", *batch.AMOUNTS)
        cols = [getattr(result, k).tolist() for k in names]
        bits = [(bit, name) for name, bit in batch.FLAG_NAMES.items()]
        flags = [";".join(n for b, n in bits if f & b) for f in result.flags.tolist()]
        with output.open("w", encoding="utf-8", newline="") as fh:
            w = csv_writer(fh)
            w.writerow((*names, "flags"))
            w.writerows(zip(*cols, flags, strict=True))
        console.print(f"→ {output}")
    with clikit.session(keys=False) as ctx:
        batch.audit_reconciliation(ctx, rec)
    if len(differ):
        raise typer.Exit(1)
