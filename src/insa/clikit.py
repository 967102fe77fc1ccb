"""What every ``insa`` sub-app shares: the consoles, the error exit, the engine and cipher,
and the command's context (:func:`session`: one transaction, the operator as the actor)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from insa.security.logs import redact
from insa.settings import MissingKeyError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from insa.security.context import Ctx
    from insa.security.crypto import RRNCipher


class RedactingConsole(Console):
    """A console whose text passes :func:`insa.security.logs.redact`: whatever a command
    prints — a message, an error naming a value from a file — shows no resident number."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(redact(o) if isinstance(o, str) else o for o in objects), **kwargs)


console = RedactingConsole(soft_wrap=True)
err = RedactingConsole(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]오류 / error:[/] {message}", highlight=False)
    return typer.Exit(code)


def echo_error(message: object) -> None:
    """One line on standard error, plain (an import's ``file:row:column: message``), masked."""
    typer.echo(redact(str(message)), err=True)


def cipher() -> RRNCipher:
    from insa.security.crypto import cipher_from_settings

    try:
        return cipher_from_settings()
    except MissingKeyError as exc:
        raise fail(str(exc)) from None


def engine() -> Engine:
    from insa.db.engine import get_engine
    from insa.db.migrate import is_current

    eng = get_engine()
    if not is_current(eng):
        raise fail(
            "the database is not at the latest schema: run `insa db upgrade` first / 먼저 insa db upgrade 를 실행하세요"
        )
    return eng


@contextmanager
def session(*, keys: bool = True) -> Iterator[Ctx]:
    """One transaction for a command, committed when the block ends without an error, in a
    context whose actor is the operator (``cli:<user>``): services scope and audit through
    it as they do for a web request. ``keys=False`` for commands that need no data key."""
    from insa.db.engine import session_scope
    from insa.security.context import Ctx

    eng = engine()
    c = cipher() if keys else None
    with session_scope(eng) as db:
        yield Ctx.command_line(db, c)


def agency_id(conn: Connection, code: str | None) -> int | None:
    from sqlalchemy import select

    from insa.people.models import Agency

    if code is None:
        return None
    found = conn.scalar(select(Agency.id).where(Agency.code == code.upper()))
    if found is None:
        raise fail(f"no agency with code {code!r} (see `insa people agencies`)")
    return int(found)


def employee_id(conn: Connection, employee_no: str) -> int:
    from sqlalchemy import select

    from insa.people.models import Employee

    found = conn.scalar(select(Employee.id).where(Employee.employee_no == employee_no))
    if found is None:
        raise fail(f"no employee {employee_no}")
    return int(found)


def json_contract(
    input_file: Path,
    output: Path | None,
    compute: Callable[[list[Any]], tuple[list[dict[str, Any]], int]],
    noun: str,
) -> None:
    """The shape every stateless ``compute`` command shares: a JSON array in, results in the
    same order out (a file or stdout), one stderr line per error (``FILE: noun ID: FIELD:
    message``), exit code 1 when any item failed."""
    import json

    try:
        raw = json.loads(input_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fail(f"{input_file}: {exc}") from None
    if not isinstance(raw, list):
        raise fail(f"{input_file}: the input must be a JSON array")
    results, failed = compute(raw)
    text = json.dumps(results, ensure_ascii=False, indent=2, default=str)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)
    for r in results:
        for e in r.get("errors", []):
            typer.echo(
                f"{input_file.name}: {noun} {r['id']}: {e['field']}: {e['message']}", err=True
            )
    if failed:
        raise typer.Exit(1)
