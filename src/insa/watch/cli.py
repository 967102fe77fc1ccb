"""``insa watch``: the failure-detection centre's commands."""

from __future__ import annotations

from pathlib import Path

import typer

watch_app = typer.Typer(
    help="장애 탐지 / Failure detection (Gatus-style monitors)", no_args_is_help=True
)
COMMANDS = (("watch", watch_app),)

LABELS = {"error": "오류", "warning": "주의", "ignored": "무시"}


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
    from insa.watch.service import validate

    found = validate(config)
    for p in found.problems:
        if p.severity != "error":
            console.print(
                f"{p.where}: ({LABELS[p.severity]}) {p.message}", highlight=False, markup=False
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
