"""The ``insa`` command, built from the registry: every package's sub-apps (``insa.domains``),
the database commands and ``serve``. Help is Korean / English."""

from __future__ import annotations

import os
import sys
import traceback

import typer

from insa import clikit, domains
from insa.settings import MissingKeyError, get_settings, reset_settings

console, err = clikit.console, clikit.err

app = typer.Typer(
    help="insa — 중앙행정기관 인사·급여 자동화 / HR administration for Korean central agencies",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,  # main() prints a crash itself, masked
)
db_app = typer.Typer(help="데이터베이스 마이그레이션 / Database migrations", no_args_is_help=True)
app.add_typer(db_app, name="db")
for package in domains.PACKAGES:
    for name, sub in package.commands:
        if name is None:
            app.add_typer(sub)  # its commands at the top level (insa seed)
        else:
            app.add_typer(sub, name=name)


_fail = clikit.fail


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Option("head", help="목표 리비전 / target revision")) -> None:
    """스키마를 최신으로 올리고 기준 정보(기관·센터)를 맞춥니다 / Migrate up and sync the reference data."""
    from insa.db.engine import get_engine
    from insa.db.migrate import upgrade
    from insa.domains import sync_reference_data

    get_settings().ensure_var_dir()
    engine = get_engine()
    upgrade(engine, revision)
    if revision == "head":
        with engine.begin() as conn:
            added = sync_reference_data(conn)
        console.print(
            f"[green]migrated[/] {engine.url.render_as_string(hide_password=True)} · reference rows added: {added}"
        )


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Option(
        ..., "--revision", help="목표 리비전 (base = 모두 삭제) / target revision"
    ),
    yes: bool = typer.Option(False, "--yes", help="삭제를 확인합니다 / confirm data loss"),
) -> None:
    """스키마를 되돌립니다 — 데이터와 감사 기록이 지워집니다 / Migrate down (drops data and audit log)."""
    from insa.db.engine import get_engine
    from insa.db.migrate import downgrade

    if not yes:
        raise _fail(
            "downgrading deletes data, the audit log included; repeat with --yes to confirm"
        )

    downgrade(get_engine(), revision)
    console.print(f"[yellow]downgraded to[/] {revision}")


@db_app.command("current")
def db_current() -> None:
    """현재 리비전 / Show the current revision."""
    from insa.db.engine import get_engine
    from insa.db.migrate import current_revision

    console.print(current_revision(get_engine()) or "(empty)")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="주소 / bind address"),
    port: int = typer.Option(8000, help="포트 / port"),
    workers: int = typer.Option(
        int(os.environ.get("INSA_WORKERS", "1")),
        min=1,
        max=64,
        help="작업 프로세스 수 (세션은 데이터베이스에 있음) / worker processes",
    ),  # fmt: skip
    threads: int | None = typer.Option(
        None,
        min=1,
        max=16,
        help="프로세스마다 데이터베이스를 동시에 쓰는 요청 수 (기본 INSA_WEB_THREADS, 4) / requests a worker lets use the database at once",
    ),  # fmt: skip
) -> None:
    """웹 앱을 실행합니다 / Run the web app."""
    import uvicorn

    if threads is not None:  # each worker's app reads it from its settings
        os.environ["INSA_WEB_THREADS"] = str(threads)
        reset_settings()

    from insa.web.app import create_app

    try:
        get_settings().require_keys()
    except MissingKeyError as exc:
        raise _fail(str(exc)) from None
    from insa.db.engine import get_engine
    from insa.db.migrate import is_current

    if not is_current(get_engine()):
        raise _fail(
            "the database is not at the latest schema: run `insa db upgrade` / insa db upgrade 를 실행하세요"
        )
    from insa.security.logs import uvicorn_log_config

    options: dict[str, object] = {
        "host": host, "port": port, "log_config": uvicorn_log_config(), "proxy_headers": True,
        "forwarded_allow_ips": os.environ.get("INSA_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    }  # fmt: skip
    if workers > 1:  # each worker builds its own app; sessions and locks are in the database
        import shutil

        shared = get_settings().ensure_var_dir() / "prometheus"  # the workers' metrics, added up
        shutil.rmtree(shared, ignore_errors=True)
        shared.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(shared.resolve())
        uvicorn.run("insa.web.app:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(), **options)  # type: ignore[arg-type]


def main() -> None:
    from insa.security.logs import configure

    configure(os.environ.get("INSA_LOG_LEVEL", "WARNING"))
    try:
        app()
    except MissingKeyError as exc:
        err.print(f"[bold red]오류 / error:[/] {exc}")
        sys.exit(2)
    except Exception:  # an unexpected crash: the traceback without locals, every RRN masked
        err.print(traceback.format_exc(), markup=False, highlight=False)
        err.print("[bold red]오류 / error:[/] 예기치 않은 오류로 중단했습니다 / unexpected error")
        sys.exit(1)


if __name__ == "__main__":
    main()
