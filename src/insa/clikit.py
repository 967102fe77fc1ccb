"""What every ``insa`` sub-app shares: the consoles, the error exit, the engine and cipher."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console

from insa.settings import MissingKeyError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from insa.security.crypto import RRNCipher

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]오류 / error:[/] {message}", highlight=False)
    return typer.Exit(code)


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
