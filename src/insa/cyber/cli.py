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
    store: Path | None = typer.Option(
        None, "--fingerprints", help="공식 페이지 지문 파일 / the official pages' fingerprints"
    ),
    record: bool = typer.Option(
        False, "--cases", help="경보를 사건으로 기록 (데이터베이스) / record the alerts as cases"
    ),
) -> None:
    """후보 도메인을 보호 자산과 비교해 점수·판정·근거를 CSV로 씁니다
    / Score candidate domains against the protected assets, writing FINDINGS.csv."""
    import time

    from rich.progress import Progress

    from insa.clikit import console, fail
    from insa.cyber.pages import Fetched
    from insa.cyber.scan import CandidateError, read_candidates, score_many, write_findings
    from insa.cyber.schemas import Assets

    found = _assets(assets)
    assert isinstance(found, Assets)
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
        findings = score_many(cands.domains, found, workers or None, lambda n: bar.advance(task, n))
        pages: dict[str, Fetched] = {}
        if fetch:
            from insa.cyber.scan import with_pages

            findings = iter(with_pages(list(findings), proxy, fingerprints_path(store), pages))
        kept = list(findings) if record else []
        counts = write_findings(iter(kept) if record else findings, out)
    if record:
        from insa.clikit import session
        from insa.cyber.cases import record as record_cases
        from insa.cyber.evidence import load_fingerprints
        from insa.cyber.shots import Shooter

        shots: dict[str, bytes] = {}
        with Shooter() as shooter:  # the alerts' pages, drawn where Chromium is installed
            for f in kept:
                page = pages.get(f.domain)
                html = page.html if page is not None else ""
                if f.verdict == "alert" and html:
                    png = shooter.shot(html)
                    if png:
                        shots[f.domain] = png
        with session(keys=False) as ctx:
            opened, again = record_cases(ctx.db, kept, found, pages=pages,
                                         officials=load_fingerprints(fingerprints_path(store)), shots=shots)  # fmt: skip
        console.print(f"사건: 새로 {opened}건, 다시 탐지 {again}건")
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


def fingerprints_path(given: Path | None) -> Path:
    from insa.settings import get_settings

    return given or get_settings().var_dir / "cyber" / "fingerprints.json"


assets_app = typer.Typer(help="보호 자산 / Protected assets", no_args_is_help=True)
cyber_app.add_typer(assets_app, name="assets")


@assets_app.command("fingerprint")
def cyber_assets_fingerprint(
    assets: Path = typer.Argument(..., help="보호 자산 YAML / the protected assets"),
    proxy: str | None = typer.Option(None, "--proxy", help="HTTP 프록시 / HTTP proxy"),
    store: Path | None = typer.Option(
        None, "--fingerprints", help="지문을 저장할 파일 / where to keep them"
    ),
) -> None:
    """공식 페이지를 가져와 지문을 저장합니다 (이후 --fetch 검사가 비교)
    / Fetch the official pages and keep their fingerprints for later scans."""
    from insa.clikit import console, fail
    from insa.cyber.evidence import load_fingerprints, save_fingerprints
    from insa.cyber.pages import fetch, fingerprint_of
    from insa.cyber.schemas import Assets
    from insa.cyber.shots import Shooter

    found = _assets(assets)
    assert isinstance(found, Assets)
    path = fingerprints_path(store)
    kept = load_fingerprints(path)
    failed = 0
    with Shooter() as shooter:
        for a in found.assets:
            prints = []
            for n, url in enumerate(a.pages):
                from urllib.parse import urlsplit

                parts = urlsplit(url)
                page = fetch(
                    parts.netloc,
                    proxy,
                    path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                )
                if not page.reachable:
                    failed += 1
                    console.print(
                        f"[yellow]가져오지 못했습니다[/] {url}: {page.error}", highlight=False
                    )
                    continue
                fp = fingerprint_of(page)
                if png := shooter.shot(page.html):  # the official page, drawn beside each case
                    fp.shot = f"official/{a.id}-{n}.png"
                    (path.parent / "official").mkdir(parents=True, exist_ok=True)
                    (path.parent / fp.shot).write_bytes(png)
                prints.append(fp)
                console.print(f"{a.id}: {url} → {page.url} (단어 {fp.words:,}개, 양식 {len(fp.forms)}개, "
                              f"그림 {len(fp.images)}개{', 화면 저장' if fp.shot else ''})", highlight=False)  # fmt: skip
            if prints:
                kept[a.id] = prints
    save_fingerprints(path, kept)
    console.print(f"지문 {sum(len(v) for v in kept.values())}개를 저장했습니다: {path}")
    if failed:
        raise fail(f"공식 페이지 {failed}개를 가져오지 못했습니다 (나머지는 저장)", 1)


@cyber_app.command("watch")
def cyber_watch(
    feeds: list[str] = typer.Argument(
        ..., help="피드: 새 도메인 파일이 오는 폴더, CT JSON lines 파일, tcp://호스트:포트 / feeds"
    ),
    assets: Path = typer.Option(..., "--assets", help="보호 자산 YAML / the protected assets"),
    notify: list[str] = typer.Option(
        [], "--notify", help="알림 Apprise 주소 (여러 번) / Apprise URLs to tell"
    ),
    duration: float | None = typer.Option(
        None, "--duration", min=0.1, help="이 초만큼 실행 / run this many seconds"
    ),
    state: Path | None = typer.Option(
        None, "--state", help="읽은 곳 기록 파일 / where the feeds' progress is kept"
    ),
    fetch: bool = typer.Option(
        False, "--fetch", help="페이지 증거 수집과 재확인 / fetch pages (and re-check watched ones)"
    ),
    proxy: str | None = typer.Option(None, "--proxy", help="HTTP 프록시 / HTTP proxy for --fetch"),
    store: Path | None = typer.Option(
        None, "--fingerprints", help="공식 페이지 지문 파일 / the official pages' fingerprints"
    ),
    recheck: float = typer.Option(
        21600.0,
        "--recheck",
        min=1.0,
        help="지켜보는 도메인 재확인 간격(초) / seconds between re-checks",
    ),
) -> None:
    """피드를 계속 읽어 경보를 사건으로 기록하고 알립니다 (멈출 때까지)
    / Watch feeds continuously: alerts become cases and are told through the notifications."""
    from insa.clikit import console, engine, fail
    from insa.cyber.schemas import Assets
    from insa.cyber.watching import Watcher
    from insa.notify import valid
    from insa.settings import get_settings

    found = _assets(assets)
    assert isinstance(found, Assets)
    bad = [u for u in notify if not valid(u)]
    if bad:
        raise fail(
            f"알림 주소를 Apprise가 알지 못합니다: {', '.join(u.split('://')[0] + '://…' for u in bad)}",
            1,
        )
    settings = get_settings()
    watcher = Watcher(found, engine(), notify=notify, state=state or settings.var_dir / "cyber" / "watch-state.json",
                      base_url=settings.web_url, say=lambda s: console.print(s, highlight=False, markup=False),
                      fetch=fetch, proxy=proxy, fingerprints=fingerprints_path(store), recheck_every=recheck)  # fmt: skip
    console.print(
        f"자산 {len(found.assets)}개, 피드 {len(feeds)}개를 지켜봅니다"
        + (f" ({duration:g}초)" if duration else " (Ctrl+C로 멈춤)")
    )
    try:
        stats = watcher.run(feeds, duration)
    except KeyboardInterrupt:
        watcher.stop.set()
        stats = watcher.stats
    console.print(
        f"후보 {stats.read:,}개, 경보 {stats.alerts:,}건, 새 사건 {stats.opened}건, 알림 {stats.notified}건"
    )


@cyber_app.command("demo-data")
def cyber_demo_data(
    assets: Path = typer.Argument(..., help="보호 자산 YAML / the protected assets"),
) -> None:
    """데모 사건: 몇 달 치 합성 탐지와 증거 (이미 있으면 그대로) / The demo's synthetic cases, once."""
    from insa.clikit import console, session
    from insa.cyber.demo import officials, seed
    from insa.cyber.schemas import Assets
    from insa.cyber.shots import Shooter

    found = _assets(assets)
    assert isinstance(found, Assets)
    with Shooter() as shooter, session(keys=False) as ctx:
        kept = officials(found, fingerprints_path(None), shooter.shot)
        n = seed(ctx.db, found, shot=shooter.shot)
    if kept:
        console.print(f"데모 공식 페이지 지문 {kept}개를 저장했습니다")
    console.print(f"데모 사건 {n}건을 넣었습니다" if n else "사건이 이미 있습니다: 그대로 둡니다")


# options several commands share
RULES_OPT = typer.Option(None, "--rules", help="Sigma 규칙 폴더 (기본: 내장 규칙) / rules folder")
LOOKALIKES_OPT = typer.Option(
    None, "--lookalikes", help="사칭 도메인 목록 (한 줄에 하나) / look-alike domains"
)
INDICATORS_OPT = typer.Option(
    None, "--indicators", help="공유 지표 YAML {ip, domain, hash} / indicators"
)


def _rules_dirs(given: list[Path] | None) -> list[Path]:
    from insa.cyber.sigma import shipped_dir

    return list(given) if given else [shipped_dir()]


def _placeholders(
    lookalikes: Path | None, indicators: Path | None, from_cases: bool
) -> dict[str, list[str]]:
    from insa.clikit import fail
    from insa.cyber.replay import placeholders, read_indicators

    domains: list[str] = []
    if lookalikes is not None:
        try:
            domains += [x.strip() for x in lookalikes.read_text(encoding="utf-8").splitlines()
                        if x.strip() and not x.startswith("#")]  # fmt: skip
        except OSError as exc:
            raise fail(
                f"사칭 도메인 파일을 읽지 못했습니다: {lookalikes}: {exc.strerror}", 2
            ) from None
    if from_cases:
        from insa.cyber.service import lookalike_domains
        from insa.db.engine import get_engine, session_scope

        with session_scope(get_engine()) as db:
            domains += lookalike_domains(db)
    ind = None
    if indicators is not None:
        try:
            ind = read_indicators(indicators)
        except (OSError, ValueError) as exc:
            raise fail(str(exc), 2) from None
    return placeholders(domains, ind)


@cyber_app.command("replay")
def cyber_replay(
    events: Path = typer.Argument(
        ..., help="사건 파일 (JSON lines: ECS 필드 또는 log.format+message) / events file"
    ),
    out: Path = typer.Option(..., "-o", "--output", help="사고 파일 (JSON lines) / incidents file"),
    rules: list[Path] | None = RULES_OPT,
    lookalikes: Path | None = LOOKALIKES_OPT,
    indicators: Path | None = INDICATORS_OPT,
    cases: bool = typer.Option(
        False, "--cases", help="데이터베이스의 사칭 사건 도메인도 / the database's look-alike cases"
    ),
    dead_letters: Path | None = typer.Option(
        None, "--dead-letters", help="읽지 못한 줄을 남길 파일 / dead letters file"
    ),
) -> None:
    """사건 파일을 규칙·상관 분석·사고 묶음에 그대로 흘려 봅니다 (사건의 시각을 시계로)
    / Replay events through the same pipeline, their own timestamps as the clock."""
    from insa.clikit import console, fail
    from insa.cyber import sigma
    from insa.cyber.params_events import incident_window
    from insa.cyber.replay import replay, write_incidents

    if not events.is_file():
        raise fail(f"사건 파일이 없습니다: {events}", 2)
    try:
        found = sigma.load(_rules_dirs(rules), _placeholders(lookalikes, indicators, cases))
    except sigma.RuleError as exc:
        raise fail(str(exc), 2) from None
    for p in found.problems:
        console.print(f"[yellow]규칙을 쓰지 못했습니다[/] {p}", highlight=False)
    if not found.rules:
        raise fail("쓸 수 있는 규칙이 없습니다", 2)
    with console.status("사건을 흘려 보는 중…"):
        done = replay(events, found, incident_window())
    write_incidents(done.incidents, out)
    if dead_letters is not None:
        import json

        dead_letters.write_text("".join(json.dumps({"where": d.where, "error": d.error, "line": d.line}, ensure_ascii=False)
                                        + "\n" for d in done.dead), encoding="utf-8")  # fmt: skip
    for d in done.dead[:5]:
        console.print(f"[yellow]읽지 못한 줄[/] {d.where}: {d.error}", highlight=False, markup=True)
    joint = sum(1 for i in done.incidents if i.joint)
    console.print(f"사건 {done.events:,}건 → 경보 {sum(1 for a in done.alerts if not a.continued):,}건 → 사고 {len(done.incidents):,}건 "
                  f"(합동 {joint:,}건){f', 읽지 못한 줄 {len(done.dead):,}줄' if done.dead else ''}: {out}", highlight=False)  # fmt: skip


rules_app = typer.Typer(help="Sigma 규칙 / Sigma rules", no_args_is_help=True)
cyber_app.add_typer(rules_app, name="rules")


@rules_app.command("export")
def cyber_rules_export(
    target: str = typer.Option(..., "--target", help="opensearch | elasticsearch | splunk"),
    out: Path | None = typer.Option(
        None, "-o", "--output", help="쓸 파일 (기본: 표준 출력) / output file"
    ),
    rules: list[Path] | None = RULES_OPT,
    lookalikes: Path | None = LOOKALIKES_OPT,
    indicators: Path | None = INDICATORS_OPT,
) -> None:
    """규칙을 SIEM 클러스터의 질의로 바꿉니다 (pySigma 백엔드) / Convert the rules for a SIEM cluster."""
    import sys

    from insa.clikit import console, err, fail
    from insa.cyber.export import TARGETS, export

    if target not in TARGETS:
        raise fail(f"--target은 {', '.join(TARGETS)} 중 하나입니다: {target}", 2)
    done = export(_rules_dirs(rules), target, _placeholders(lookalikes, indicators, False))
    if out is None:
        sys.stdout.write(done.text)
    else:
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(done.text, encoding="utf-8")
        tmp.replace(out)
    say = (
        console if out is not None else err
    )  # standard output carries the rules: the rest to stderr
    for name, why in done.skipped:
        say.print(f"[yellow]건너뜀[/] {name}: {why}", highlight=False)
    say.print(f"규칙 {len(done.converted)}개를 {target} 질의로 바꿨습니다" + (f" ({len(done.skipped)}개 건너뜀)" if done.skipped else "")
              + (f": {out}" if out else ""), highlight=False)  # fmt: skip


@rules_app.command("check")
def cyber_rules_check(
    rules: list[Path] | None = RULES_OPT,
) -> None:
    """규칙 폴더를 읽어 봅니다: 읽지 못한 규칙을 파일과 함께 알려 줍니다 / Check a rules folder."""
    from insa.clikit import console, fail
    from insa.cyber import sigma

    try:
        found = sigma.load(_rules_dirs(rules), _placeholders(None, None, False))
    except sigma.RuleError as exc:
        raise fail(str(exc), 2) from None
    for p in found.problems:
        console.print(f"[red]✗[/] {p}", highlight=False)
    console.print(f"규칙 {len(found.rules)}개, 상관 규칙 {len(found.correlations)}개를 읽었습니다"
                  + (f" (읽지 못한 것 {len(found.problems)}개)" if found.problems else ""))  # fmt: skip
    if found.problems:
        raise typer.Exit(1)


def tower_paths() -> tuple[Path, Path, Path]:
    """Where the control tower keeps its events, its dead letters and the pushed batches."""
    from insa.settings import get_settings

    base = get_settings().var_dir / "cyber"
    return base / "events", base / "dead", base / "spool"


@cyber_app.command("collect")
def cyber_collect(
    config: Path = typer.Argument(
        ..., help="수집기 설정 YAML (listen, senders, rules, notify) / collector config"
    ),
    duration: float | None = typer.Option(
        None, "--duration", help="이 시간(초) 뒤 멈춤 / stop after seconds"
    ),
    lookalikes: Path | None = LOOKALIKES_OPT,
) -> None:
    """통합 관제 수집기: syslog(UDP·TCP)와 HTTP 전송분을 받아 저장하고 Sigma 규칙으로 탐지합니다
    / The control tower's collector: receive, store, detect, group into incidents."""
    import asyncio

    from insa.clikit import console, fail
    from insa.cyber import sigma
    from insa.cyber.collector import Collector, ConfigError, load_config
    from insa.cyber.params_events import events_params
    from insa.db.engine import get_engine

    try:
        cfg = load_config(config)
    except ConfigError as exc:
        raise fail(str(exc), 2) from None
    found = sigma.load(
        cfg.rules or _rules_dirs(None), _placeholders(lookalikes, cfg.indicators, True)
    )
    for p in found.problems:
        console.print(f"[yellow]규칙을 쓰지 못했습니다[/] {p}", highlight=False)
    events, dead, spool = tower_paths()
    params = events_params()
    from insa.cyber import store

    gone = store.retain(events, params["retention_days"]) + store.retain(
        dead, params["retention_days"]
    )
    c = Collector(cfg, found, get_engine(), events, dead, spool, queue_size=params["tcp_queue"],
                  udp_queue=params["udp_queue"], window_seconds=params["incident_window_seconds"])  # fmt: skip
    console.print(f"규칙 {len(found.rules)}개, 상관 규칙 {len(found.correlations)}개"
                  + (f"; 보관 기간이 지난 {len(gone)}일치를 지웠습니다" if gone else ""), highlight=False)  # fmt: skip

    async def main() -> None:
        import threading

        ready = threading.Event()
        task = asyncio.create_task(c.run(duration, ready))
        while not ready.is_set() and not task.done():
            await asyncio.sleep(0.05)
        console.print(
            f"수집 중 — UDP {c.udp_port or '-'}, TCP {c.tcp_port or '-'}, 전송분 {spool} (Ctrl+C로 멈춤)",
            highlight=False,
        )
        await task

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        c.stop.set()
    n = c.counters
    console.print(f"받음 UDP {n['received_udp']:,} · TCP {n['received_tcp']:,} · HTTP {n['received_http']:,}; 저장 {n['stored']:,}, "
                  f"읽지 못함 {n['dead']:,}, UDP 버림 {n['udp_dropped']:,}; 경보 {n['alerts']:,}, 새 사고 {n['incidents']:,}",
                  highlight=False)  # fmt: skip


events_app = typer.Typer(help="저장된 보안 이벤트 / Stored security events", no_args_is_help=True)
cyber_app.add_typer(events_app, name="events")


@events_app.command("bulk")
def cyber_events_bulk(
    start: str = typer.Option(
        ..., "--from", help="부터 (ISO-8601; 시간대가 없으면 한국 시각) / from"
    ),
    end: str = typer.Option(..., "--to", help="까지 / to"),
    out: Path = typer.Option(
        ..., "-o", "--output", help="Elastic bulk 형식 파일 (NDJSON) / output"
    ),
    ministry: list[str] | None = typer.Option(
        None, "--ministry", help="부처 (여러 번) / ministries"
    ),
    index: str = typer.Option(
        "insa-events", "--index", help="인덱스 이름 앞부분 (날짜가 붙습니다) / index prefix"
    ),
) -> None:
    """저장된 이벤트를 Elasticsearch·OpenSearch의 bulk 형식으로 씁니다 (SIEM 클러스터로 옮길 때)
    / Write stored events in the Elastic bulk format, for a SIEM cluster."""
    import datetime as dt

    from insa.clikit import console, fail
    from insa.clock import KST
    from insa.cyber import store

    try:
        t0, t1 = (dt.datetime.fromisoformat(x) for x in (start, end))
    except ValueError:
        raise fail("--from, --to는 2026-12-02T09:00 꼴로 적으세요", 2) from None
    t0, t1 = ((t if t.tzinfo else t.replace(tzinfo=KST)).astimezone(dt.UTC) for t in (t0, t1))
    events, _, _ = tower_paths()
    n = 0
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f, console.status("이벤트를 쓰는 중…"):
        for line in store.elastic_bulk(store.iter_events(events, t0, t1, ministry or None), index):
            f.write(line + "\n")
            n += 1
    tmp.replace(out)
    console.print(
        f"이벤트 {n // 2:,}건을 bulk 형식으로 썼습니다: {out} (curl -H 'Content-Type: application/x-ndjson' --data-binary @{out.name} http://클러스터:9200/_bulk)",
        highlight=False,
    )


@cyber_app.command("demo-events")
def cyber_demo_events(
    web: str = typer.Option("127.0.0.1:8000", "--web", help="웹 앱 호스트:포트 / the web app"),
    syslog: str = typer.Option(
        "127.0.0.1:5514", "--syslog", help="수집기 TCP syslog 호스트:포트 / the collector"
    ),
    wait: float = typer.Option(
        120, "--wait", help="둘이 뜨기를 기다릴 최대 초 / seconds to wait for them"
    ),
) -> None:
    """데모 보안 이벤트를 수집기와 웹 앱에 보냅니다 (세 부처에 걸친 비밀번호 살포 등, 합성)
    / Send the demo's security events (a spray across three ministries, …), synthetic."""
    from insa.clikit import console, fail
    from insa.cyber.demo_events import run
    from insa.db.engine import get_engine
    from insa.security.demo import DEMO_PASSWORD

    def hostport(v: str) -> tuple[str, int]:
        h, _, p = v.rpartition(":")
        if not h or not p.isdigit():
            raise fail(f"호스트:포트가 아닙니다: {v}", 2)
        return h, int(p)

    try:
        run(
            get_engine(),
            hostport(web),
            hostport(syslog),
            DEMO_PASSWORD,
            wait,
            say=lambda m: console.print(m, highlight=False),
        )
    except RuntimeError as exc:
        raise fail(str(exc), 1) from None
