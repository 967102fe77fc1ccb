"""``insa travel``: the stateless computation (more commands come with the workflow)."""

from __future__ import annotations

from pathlib import Path

import typer

from insa.clikit import fail

travel_app = typer.Typer(help="출장 여비 정산 / Official travel settlement", no_args_is_help=True)


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
    from insa.db.engine import session_scope
    from insa.security.audit import cli_actor
    from insa.travel.service import import_tickets
    from insa.travel.tickets import TicketFileError, read_events

    try:
        events = read_events(file)
    except TicketFileError as exc:
        for e in exc.errors:
            typer.echo(e, err=True)
        raise fail(f"{len(exc.errors)} error(s); nothing imported", 1) from None
    with session_scope(clikit.engine()) as db:
        report = import_tickets(db, events, actor=cli_actor())
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
    from insa.db.engine import session_scope
    from insa.settings import get_settings
    from insa.travel.demo import ensure_demo_trips

    if not get_settings().demo:
        raise fail("demo trips exist only in demo mode (INSA_DEMO=1)")
    with session_scope(clikit.engine()) as db:
        report = ensure_demo_trips(db, feed)
    if report["created"]:
        console.print(
            f"[green]demo trips[/] {report['created']}; tickets {report['tickets']} "
            f"({report['unmatched']} matching no trip) → {feed}"
        )
    else:
        console.print("demo trips already there")
