"""``insa watch``: the failure-detection centre's commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

watch_app = typer.Typer(
    help="장애 탐지 / Failure detection (Gatus-style monitors)", no_args_is_help=True
)
COMMANDS = (("watch", watch_app),)


@watch_app.command("validate")
def watch_validate(
    config: Path = typer.Argument(
        ..., help="Gatus 설정 파일 또는 폴더 / a Gatus configuration file or directory"
    ),
) -> None:
    """설정 검사: 모든 점검을 실행할 수 있으면 0, 아니면 file:line: 메시지를 모두 보이고 1
    / Validate: exit 0 when every endpoint can run (printing what is ignored), else list every
    error as file:line: message and exit 1."""
    from insa.clikit import console
    from insa.watch.schemas import SEVERITY_LABELS
    from insa.watch.service import validate

    found = validate(config)
    for p in found.problems:
        if p.severity != "error":
            console.print(
                f"{p.where}: ({SEVERITY_LABELS[p.severity]}) {p.message}",
                highlight=False,
                markup=False,
            )
    for p in found.errors:
        console.print(f"{p.where}: {p.message}", highlight=False, markup=False)
    kinds: dict[str, int] = {}
    for m in found.monitors:
        kinds[m.kind] = kinds.get(m.kind, 0) + 1
    summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "없음"
    if found.errors:
        console.print(f"[red]오류 {len(found.errors)}건[/]: 점검을 시작할 수 없습니다 "
                      f"(파일 {len(found.files)}개, 점검 {len(found.monitors)}개: {summary})")  # fmt: skip
        raise typer.Exit(1)
    console.print(f"[green]설정이 올바릅니다[/]: 파일 {len(found.files)}개, 점검 {len(found.monitors)}개 "
                  f"({summary}), 알림 {len(found.notifiers)}종")  # fmt: skip


LOCK = "watch.checker"


@contextmanager
def _checker_lock(engine: Any, duration: float | None) -> Iterator[bool]:
    """One checker at a time per database. On PostgreSQL a second one stands by (an advisory
    lock: the server frees it when the active checker's connection ends, even on SIGKILL)
    and takes over at once; yields whether this one had to wait. SQLite runs one checker:
    a second is refused."""
    from insa.clikit import console
    from insa.db.locks import BatchBusy, batch_lock

    what = "장애 점검기"
    try:
        with batch_lock(engine, LOCK, what):
            yield False
            return
    except BatchBusy:
        if engine.dialect.name != "postgresql":
            raise BatchBusy(
                "다른 점검기가 이 데이터베이스로 실행 중입니다 (SQLite는 점검기 하나만 실행합니다)"
            ) from None
    console.print("대기: 다른 점검기가 실행 중입니다. 멈추면 이어받습니다 / standing by")
    with batch_lock(engine, LOCK, what, wait=duration if duration is not None else float("inf")):
        yield True


@watch_app.command("run")
def watch_run(
    config: Path = typer.Argument(
        ..., help="Gatus 설정 파일 또는 폴더 / a Gatus configuration file or directory"
    ),
    events_out: Path | None = typer.Option(
        None,
        "--events-out",
        help="사건 기록 JSON Lines (이어 씀) / events file, one JSON object a line (appended)",
    ),
    duration: float | None = typer.Option(
        None,
        "--duration",
        min=0.1,
        help="이 초만큼 실행 (없으면 멈출 때까지) / run this many seconds",
    ),
    metrics: str = typer.Option(
        "127.0.0.1:9464",
        "--metrics",
        help="Prometheus 지표(/metrics)를 낼 주소, off면 끔 / where to serve the checks' metrics, or off",
    ),
    own: bool = typer.Option(
        True,
        "--self/--no-self",
        help="insa 자신(웹 앱·데이터베이스)도 점검 / also watch insa's own web app and database",
    ),
) -> None:
    """점검 실행: 멈출 때까지(또는 --duration초) 모든 점검을 돌리고 사건을 기록
    / Run the checker until stopped (or for --duration seconds), writing every event."""
    from insa.clikit import console, fail
    from insa.clock import to_kst
    from insa.watch.checker import run
    from insa.watch.incidents import Event
    from insa.watch.service import validate

    found = validate(config)
    if not found.ok:
        for p in found.errors:
            console.print(f"{p.where}: {p.message}", highlight=False, markup=False)
        raise fail(f"설정 오류 {len(found.errors)}건: insa watch validate로 확인하세요", 1)
    pushed = sum(1 for m in found.monitors if m.kind == "push")
    from insa.settings import get_settings
    from insa.watch.own import own_monitors

    extra = own_monitors(get_settings().web_url, found) if own else ()
    console.print(f"점검 {len(found.monitors)}개를 시작합니다" + (f" (푸시 {pushed}개)" if pushed else "")
                  + (f", insa 자체 점검 {len(extra)}개" if extra else "")
                  + (f" ({duration:g}초)" if duration else " (Ctrl+C로 멈춤)"))  # fmt: skip

    def said(e: Event) -> None:
        word = "[red]장애 발생[/]" if e.event == "open" else "[green]복구[/]"
        console.print(
            f"{to_kst(e.time):%H:%M:%S} {word} {e.monitor} · {e.incident}", highlight=False
        )

    import time

    from insa.clikit import engine
    from insa.db.locks import BatchBusy
    from insa.watch.metrics import CheckerMetrics
    from insa.watch.probes import Clients
    from insa.watch.store import Store

    eng = engine()
    store = Store(eng, {m.key: m.ministry for m in found.monitors if m.ministry})
    gauges = CheckerMetrics()
    served = None
    if metrics.lower() != "off":
        try:
            served = gauges.serve(metrics)
            console.print(f"지표: http://{metrics}/metrics")
        except (OSError, ValueError) as exc:
            console.print(f"[yellow]지표를 낼 수 없습니다[/] ({metrics}: {exc}); 점검은 계속합니다")
    started = time.monotonic()
    try:
        with _checker_lock(eng, duration) as took_over:
            if took_over:
                console.print("활성 점검기가 멈춰 이 점검기가 이어받습니다 / taking over")
            left = None if duration is None else max(0.0, duration - (time.monotonic() - started))
            stats = run(found, events_out, left, on_event=said, store=store, extra=extra,
                        clients=Clients(eng), on_result=gauges.observe)  # fmt: skip
    except BatchBusy as exc:
        raise fail(str(exc), 1) from None
    except KeyboardInterrupt:
        console.print("멈췄습니다")
        return
    finally:
        if served is not None:
            served[0].shutdown()
    late = sorted(stats.late_ms)
    p99 = late[int(len(late) * 0.99)] if late else 0
    console.print(f"점검 {stats.checks:,}회, 사건 {stats.events}건, 지연 p99 {p99} ms")


@watch_app.command("demo-target")
def watch_demo_target(
    port: int = typer.Option(8091, "--port", help="HTTP 포트 / HTTP port"),
    db_port: int = typer.Option(
        8092, "--db-port", help="법령 DB(TCP) 포트 / the law database's TCP port"
    ),
) -> None:
    """데모 점검 대상: 시작 1분 뒤 3분간(이후 15분마다) 법령 DB 장애를 연출
    / The demo's loopback target with a scripted outage (1 minute after start, 3 minutes, every 15)."""
    import asyncio

    from insa.clikit import console
    from insa.watch.demo import serve_target

    console.print(
        f"데모 점검 대상: http://127.0.0.1:{port}/, 법령 DB tcp://127.0.0.1:{db_port} (1분 뒤 장애 연출)"
    )
    try:
        asyncio.run(serve_target("127.0.0.1", port, db_port))
    except KeyboardInterrupt:
        pass


@watch_app.command("demo-history")
def watch_demo_history(
    config: Path = typer.Argument(..., help="Gatus 설정 / the demo's configuration"),
    days: int = typer.Option(90, "--days", min=1, max=400, help="며칠 치 / days of history"),
) -> None:
    """데모 기록: 점검 대상마다 90일 치 시간별 결과와 지난 장애(공개 메모 포함), 이미 있으면 그대로
    / Synthetic history for the demo's monitors (hourly results, past incidents); once."""
    from insa.clikit import console, engine, fail
    from insa.watch.demo import seed_history
    from insa.watch.service import validate

    found = validate(config)
    if not found.ok:
        raise fail(f"설정 오류 {len(found.errors)}건: insa watch validate로 확인하세요", 1)
    n = seed_history(engine(), found.monitors, days)
    console.print(
        f"시간별 기록 {n:,}건을 넣었습니다" if n else "기록이 이미 있습니다: 그대로 둡니다"
    )
