"""``insa travel``: the stateless computation (more commands come with the workflow)."""

from __future__ import annotations

import json
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
    from insa.travel.compute import compute_trips

    try:
        raw = json.loads(input_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{input_file}: {exc}") from None
    if not isinstance(raw, list):
        raise fail(f"{input_file}: the input must be a JSON array of trips")
    results, failed = compute_trips(raw)
    text = json.dumps(results, ensure_ascii=False, indent=2, default=str)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)
    for r in results:
        for e in r.get("errors", []):
            typer.echo(f"{input_file.name}: trip {r['id']}: {e['field']}: {e['message']}", err=True)
    if failed:
        raise typer.Exit(1)
