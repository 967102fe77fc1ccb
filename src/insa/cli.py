"""The ``insa`` command: one sub-app per domain (Typer + Rich). Help is Korean / English."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from insa import clikit, domains  # noqa: F401  (registers every package's permissions)
from insa.allowance.cli import allowance_app
from insa.settings import MissingKeyError, get_settings, new_key
from insa.travel.cli import travel_app
from insa.yearend.cli import yearend_app

console, err = clikit.console, clikit.err

app = typer.Typer(
    help="insa — 중앙행정기관 인사·급여 자동화 / HR administration for Korean central agencies",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals could hold personal data
)
db_app = typer.Typer(help="데이터베이스 마이그레이션 / Database migrations", no_args_is_help=True)
people_app = typer.Typer(
    help="직원·부양가족 가져오기와 내보내기 / Employees and dependents", no_args_is_help=True
)
keys_app = typer.Typer(help="암호화 키 / Encryption and pseudonym keys", no_args_is_help=True)
users_app = typer.Typer(help="사용자·역할 관리 / Users and roles", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(yearend_app, name="yearend")
app.add_typer(allowance_app, name="allowance")
app.add_typer(travel_app, name="travel")
app.add_typer(people_app, name="people")
app.add_typer(keys_app, name="keys")


_fail, _cipher, _engine = clikit.fail, clikit.cipher, clikit.engine


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Option("head", help="목표 리비전 / target revision")) -> None:
    """스키마를 최신으로 올리고 기관 목록을 맞춥니다 / Migrate up and sync the agency registry."""
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


@keys_app.command("generate")
def keys_generate() -> None:
    """새 키를 환경변수 형식으로 출력합니다 / Print fresh keys as environment lines."""
    console.print(f"INSA_DATA_KEY={new_key()}", highlight=False)
    console.print(f"INSA_PSEUDONYM_KEY={new_key()}", highlight=False)


@app.command("seed")
def seed_cmd(
    employees: int = typer.Option(
        20_000, "--employees", "-n", min=1, max=999_999, help="직원 수 / number of employees"
    ),
    seed: int = typer.Option(
        2025, "--seed", "-s", help="난수 시드 (같으면 같은 데이터) / random seed"
    ),
    year: int = typer.Option(2025, "--year", help="급여 연도 / payroll year"),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="기존 직원 데이터를 지우고 다시 만듭니다 / discard existing employees",
    ),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="비어 있을 때만 / only when the database holds no employees"
    ),
) -> None:
    """가상 정부(합성 데이터)를 만듭니다 / Fill the database with a synthetic government."""
    from sqlalchemy import func, select

    from insa.params import ParameterError
    from insa.people.models import Employee
    from insa.people.seed import SeedError
    from insa.people.seed import seed as run_seed
    from insa.people.synth import SeedConfig

    engine = _engine()
    cipher = _cipher()
    if if_empty:
        with engine.connect() as conn:
            n = conn.scalar(select(func.count()).select_from(Employee)) or 0
        if n:
            console.print(f"already seeded ({n:,} employees); nothing to do")
            return
    if not replace:
        with engine.connect() as conn:
            n = conn.scalar(select(func.count()).select_from(Employee)) or 0
        if n:
            raise _fail(f"the database already holds {n:,} employees; use --replace to seed again")
    cfg = SeedConfig(employees=employees, seed=seed, year=year)
    with Progress(
        TextColumn("[bold]합성 데이터 생성 / seeding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        task = progress.add_task("seed", total=employees)
        try:
            report = run_seed(
                engine,
                cfg,
                cipher,
                replace=replace,
                on_progress=lambda done, _t: progress.update(task, completed=done),
            )
        except (SeedError, ParameterError) as exc:
            raise _fail(str(exc)) from None
    console.print(
        f"[green]seeded[/] {report.employees:,} employees, {report.dependents:,} dependents, "
        f"{report.payroll:,} payroll rows, {report.org_units:,} org units, {report.plants:,} planted claims "
        f"in {report.seconds:.1f} s ({report.rows / report.seconds:,.0f} rows/s)"
    )


@people_app.command("import")
def people_import(
    files: list[Path] = typer.Argument(
        ..., help="CSV 또는 XLSX 파일 / CSV or XLSX files (docs/import-format.md)"
    ),
) -> None:
    """직원·부양가족을 가져옵니다 (전부 아니면 전무) / Import employees and dependents, all or nothing."""
    from insa.people.io import ImportRejected, import_files
    from insa.security.audit import cli_actor

    engine = _engine()
    cipher = _cipher()
    try:
        with engine.begin() as conn:
            report = import_files(conn, files, cipher, actor=cli_actor())
    except ImportRejected as rej:
        for e in rej.errors:
            typer.echo(str(e), err=True)
        raise _fail(
            f"{len(rej.errors)}개 오류 — 아무것도 저장하지 않았습니다 / {len(rej.errors)} error(s), nothing written",
            1,
        ) from None
    console.print(
        f"[green]imported[/] employees +{report.employees_added} ~{report.employees_updated}, "
        f"dependents +{report.dependents_added} ~{report.dependents_updated}"
    )


@people_app.command("export")
def people_export(
    out: Path = typer.Argument(..., help="출력 파일 (.csv 또는 .xlsx) / output file"),
    kind: str | None = typer.Option(
        None, "--kind", help="employees | dependents (CSV는 필수 / required for CSV)"
    ),
    agency: str | None = typer.Option(None, "--agency", help="기관코드 / agency code"),
    with_rrn: bool = typer.Option(
        False, "--with-rrn", help="주민등록번호 전체 포함 (감사 기록됨) / full RRNs, audited"
    ),
) -> None:
    """가져오기와 같은 형식으로 내보냅니다 / Export in the import format (RRNs masked unless --with-rrn)."""
    from insa.people.io import export
    from insa.security.audit import cli_actor

    if kind not in (None, "employees", "dependents"):
        raise _fail("--kind must be employees or dependents")
    engine = _engine()
    cipher = _cipher()
    try:
        with engine.begin() as conn:
            counts = export(
                conn,
                cipher,
                out,
                kind=kind,
                agency_code=agency,
                with_rrn=with_rrn,
                actor=cli_actor(),
            )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if with_rrn:
        err.print(
            "[yellow]주민등록번호 전체가 포함된 파일입니다. 취급에 주의하세요 / file holds full RRNs[/]"
        )
    console.print(f"[green]exported[/] {counts} → {out}")


@people_app.command("agencies")
def people_agencies(
    all_: bool = typer.Option(
        False, "--all", help="폐지·개편 전 기관 포함 / include former agencies"
    ),
) -> None:
    """기관 목록 / The agency registry."""
    import datetime as dt

    from insa.people.registry import agencies

    t = Table("코드", "기관명", "구분", "시작", "종료", "선행기관")
    today = dt.date.today()
    shown = 0
    for a in agencies():
        if all_ or a.active_on(today):
            t.add_row(
                a.code,
                a.name_ko,
                a.kind,
                str(a.valid_from or ""),
                str(a.valid_until or ""),
                a.predecessor or "",
            )
            shown += 1
    console.print(t)
    console.print(f"{shown} agencies")


def _password(password: str | None) -> str:
    if password:
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("비밀번호 / password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    username: str = typer.Argument(..., help="아이디 / user name"),
    role: str = typer.Option(
        ...,
        "--role",
        help="employee | hr_officer | finance_officer | approver | central_admin | security_operator | ops_operator",
    ),
    agency: str | None = typer.Option(
        None, "--agency", help="기관코드 (기관 역할은 필수) / agency code"
    ),
    employee_no: str | None = typer.Option(
        None, "--employee-no", help="연결할 직원번호 / linked employee"
    ),
    name: str | None = typer.Option(None, "--name", help="표시 이름 / display name"),
    password: str | None = typer.Option(
        None,
        "--password",
        help="비밀번호 (생략하면 입력받음) / password (prompted, or read from stdin)",
    ),
) -> None:
    """사용자를 만듭니다 / Create a user with one role and its agency scope."""
    from insa.db.engine import session_scope
    from insa.security.audit import cli_actor
    from insa.security.passwords import WeakPassword
    from insa.security.roles import ROLES
    from insa.security.users import UserError, create_user

    engine = _engine()
    pw = _password(password)
    try:
        with session_scope(engine) as db:
            user = create_user(db, username=username, role=role, password=pw, display_name=name,
                               agency_code=agency, employee_no=employee_no, actor=cli_actor())  # fmt: skip
            uid = user.id
    except (UserError, WeakPassword) as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]created[/] {username} (id {uid}, {role})")
    if ROLES[role].mfa_required:
        console.print(
            "중앙관리자는 첫 로그인 때 인증 앱(TOTP)을 등록해야 합니다 / TOTP enrolment at first log-in"
        )


@users_app.command("list")
def users_list() -> None:
    """사용자 목록 / List users."""
    from sqlalchemy import select

    from insa.db.engine import session_scope
    from insa.people.models import Agency
    from insa.security.auth import role_of
    from insa.security.models import User

    engine = _engine()
    t = Table("아이디", "이름", "역할", "기관", "2단계", "잠김")
    with session_scope(engine) as db:
        agencies = {a.id: a.code for a in db.scalars(select(Agency))}
        for u in db.scalars(select(User).order_by(User.username)):
            t.add_row(u.username, u.display_name, role_of(db, u), agencies.get(u.agency_id or 0, ""),
                      "예" if u.totp_enabled else "", str(u.locked_until or ""))  # fmt: skip
    console.print(t)


@users_app.command("set-password")
def users_set_password(
    username: str = typer.Argument(...),
    password: str | None = typer.Option(None, "--password"),
) -> None:
    """비밀번호를 바꾸고 잠금을 풉니다 / Set a password and clear a lock-out."""
    from insa.db.engine import session_scope
    from insa.security.audit import cli_actor
    from insa.security.passwords import WeakPassword
    from insa.security.users import UserError, set_password

    engine = _engine()
    try:
        with session_scope(engine) as db:
            set_password(db, username=username, password=_password(password), actor=cli_actor())
    except (UserError, WeakPassword) as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]password set[/] for {username}")


@users_app.command("assign")
def users_assign(
    approver: str = typer.Argument(..., help="결재권자 아이디 / approver user name"),
    employee_nos: list[str] = typer.Argument(..., help="직원번호 / employee numbers"),
) -> None:
    """결재권자에게 직원을 배정합니다 / Assign employees to an approver."""
    from insa.db.engine import session_scope
    from insa.security.audit import cli_actor
    from insa.security.users import UserError, assign

    engine = _engine()
    try:
        with session_scope(engine) as db:
            n = assign(db, approver=approver, employee_nos=employee_nos, actor=cli_actor())
    except UserError as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]assigned[/] {n} employee(s) to {approver}")


@users_app.command("token")
def users_token(
    username: str = typer.Argument(...), name: str = typer.Option("cli", "--name")
) -> None:
    """API 토큰을 발급합니다 (한 번만 표시) / Issue an API token (shown once)."""
    from sqlalchemy import select

    from insa.db.engine import session_scope
    from insa.security.auth import create_api_token
    from insa.security.models import User

    engine = _engine()
    with session_scope(engine) as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            raise _fail(f"unknown user {username!r}")
        token = create_api_token(db, user, name)
    console.print(token, highlight=False)


@users_app.command("demo")
def users_demo() -> None:
    """데모 로그인을 만들고 보여 줍니다 (데모 모드 전용) / Create and print the demo log-ins (demo mode only)."""
    from insa.db.engine import session_scope
    from insa.security.demo import DEMO_PASSWORD, ensure_demo_users

    if not get_settings().demo:
        raise _fail("demo log-ins exist only in demo mode (INSA_DEMO=1)")
    engine = _engine()
    cipher = _cipher()
    with session_scope(engine) as db:
        logins = ensure_demo_users(db, cipher)
    from insa.security.models import ROLES

    console.print(
        f"insa 데모 로그인 / demo log-ins — 비밀번호 / password: {DEMO_PASSWORD}", highlight=False
    )
    for d in logins:
        label = f"{ROLES[d.role]} ({d.role})"
        console.print(f"  {d.username:<15} {label:<28} {d.note}", highlight=False)


@users_app.command("totp-code")
def users_totp_code(username: str = typer.Argument(...)) -> None:
    """현재 TOTP 코드 (데모 모드 전용) / Current TOTP code (demo mode only)."""
    import pyotp
    from sqlalchemy import select

    from insa.db.engine import session_scope
    from insa.security.auth import totp_secret
    from insa.security.models import User

    if not get_settings().demo:
        raise _fail("only in demo mode (INSA_DEMO=1)")
    engine = _engine()
    with session_scope(engine) as db:
        user = db.scalar(select(User).where(User.username == username))
        secret = totp_secret(_cipher(), user) if user else None
    if not secret:
        raise _fail(f"{username} has no TOTP key")
    console.print(pyotp.TOTP(secret).now())


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="주소 / bind address"),
    port: int = typer.Option(8000, help="포트 / port"),
) -> None:
    """웹 앱을 실행합니다 / Run the web app."""
    import uvicorn

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

    uvicorn.run(create_app(), host=host, port=port, log_config=uvicorn_log_config(), proxy_headers=True,
                forwarded_allow_ips=os.environ.get("INSA_FORWARDED_ALLOW_IPS", "127.0.0.1"))  # fmt: skip


def main() -> None:
    from insa.security.logs import configure

    configure(os.environ.get("INSA_LOG_LEVEL", "WARNING"))
    try:
        app()
    except MissingKeyError as exc:
        err.print(f"[bold red]오류 / error:[/] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
