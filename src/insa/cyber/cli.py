"""``insa cyber``: the joint cyber safety centre's commands."""

from __future__ import annotations

from pathlib import Path

import typer

cyber_app = typer.Typer(help="사이버안전센터 / Joint cyber safety centre (look-alike domains)",
                        no_args_is_help=True)  # fmt: skip
COMMANDS = (("cyber", cyber_app),)


def _assets(path: Path) -> object:
    from insa.clikit import console
    from insa.cyber.service import assets

    found = assets(path)
    if not found.ok:
        for p in found.problems:
            console.print(str(p), highlight=False, markup=False)
        raise typer.Exit(1)
    return found


@cyber_app.command("scan")
def cyber_scan(
    candidates: Path = typer.Argument(
        ..., help="후보 도메인: 한 줄에 하나, 또는 certstream JSON lines / candidates file"
    ),
    assets: Path = typer.Option(..., "--assets", help="보호 자산 YAML / the protected assets"),
    out: Path = typer.Option(
        ..., "-o", "--out", help="결과 CSV (domain, asset, score, verdict, reasons) / findings CSV"
    ),
    fetch: bool = typer.Option(
        False, "--fetch", help="페이지 증거 수집 / fetch the pages for evidence"
    ),
    proxy: str | None = typer.Option(
        None, "--proxy", help="페이지를 가져올 HTTP 프록시 / HTTP proxy for --fetch"
    ),
    workers: int = typer.Option(
        0, "--workers", min=0, help="작업 프로세스 수 (0: 코어 수) / worker processes"
    ),
) -> None:
    """후보 도메인을 보호 자산과 비교해 점수·판정·근거를 CSV로 씁니다
    / Score candidate domains against the protected assets, writing FINDINGS.csv."""
    import time

    from rich.progress import Progress

    from insa.clikit import console, fail
    from insa.cyber.scan import CandidateError, read_candidates, score_many, write_findings
    from insa.cyber.schemas import Assets

    found = _assets(assets)
    assert isinstance(found, Assets)
    if fetch:
        raise fail(
            "--fetch(페이지 증거)는 아직 이 판에 없습니다: 도메인 신호만으로 검사하려면 --fetch 없이 실행하세요",
            2,
        )
    del proxy
    t0 = time.perf_counter()
    try:
        cands = read_candidates(candidates)
    except CandidateError as exc:
        console.print(str(exc), highlight=False, markup=False)
        raise fail("후보 파일에 오류가 있어 검사하지 않았습니다", 1) from None
    except OSError as exc:
        raise fail(f"후보 파일을 읽을 수 없습니다: {candidates} ({exc})", 1) from None
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("검사 중", total=len(cands.domains))
        counts = write_findings(
            score_many(cands.domains, found, workers or None, lambda n: bar.advance(task, n)), out
        )
    took = time.perf_counter() - t0
    console.print(f"후보 {len(cands.domains):,}개 ({cands.kind}, 중복 {cands.duplicates:,}개 제외) → {out}: "
                  f"[red]경보 {counts['alert']:,}[/] · 지켜봄 {counts['watch']:,} · 무시 {counts['ignore']:,} "
                  f"({took:.1f}초)")  # fmt: skip


@cyber_app.command("permutations")
def cyber_permutations(
    assets: Path = typer.Argument(..., help="보호 자산 YAML / the protected assets"),
    out: Path = typer.Option(
        ..., "-o", "--out", help="감시할 도메인 목록 / the domains worth watching"
    ),
) -> None:
    """등록되기 전에 지켜볼 유사 도메인 목록 (dnstwist 변형 + 한국어 표기 변형)
    / The look-alike domains worth watching before they are registered."""
    from insa.clikit import console
    from insa.cyber.permutations import permutations
    from insa.cyber.schemas import Assets

    found = _assets(assets)
    assert isinstance(found, Assets)
    rows = permutations(found)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text("".join(f"{d}\t{a}\t{how}\n" for d, a, how in rows), encoding="utf-8")
    tmp.replace(out)
    console.print(f"자산 {len(found.assets)}개 → 지켜볼 도메인 {len(rows):,}개: {out}")
