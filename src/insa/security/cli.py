"""``insa users …``, ``insa keys …`` and ``insa centres …``: accounts, roles, scopes, API
tokens, keys, and the members of the shared centres."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from insa import clikit
from insa.security.roles import ROLES, USER_ROLES
from insa.settings import get_settings, new_key

console, err = clikit.console, clikit.err
_fail = clikit.fail

users_app = typer.Typer(help="사용자·역할 관리 / Users and roles", no_args_is_help=True)
keys_app = typer.Typer(help="암호화 키 / Encryption and pseudonym keys", no_args_is_help=True)
centres_app = typer.Typer(
    help="공동 센터와 회원 기관 / Shared centres and their member agencies", no_args_is_help=True
)
COMMANDS = (("users", users_app), ("keys", keys_app), ("centres", centres_app))


@keys_app.command("generate")
def keys_generate() -> None:
    """새 키를 환경변수 형식으로 출력합니다 / Print fresh keys as environment lines."""
    console.print(f"INSA_DATA_KEY={new_key()}", highlight=False)
    console.print(f"INSA_PSEUDONYM_KEY={new_key()}", highlight=False)


def _password(password: str | None) -> str:
    if password:
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("비밀번호 / password", hide_input=True, confirmation_prompt=True))


@users_app.command("create")
def users_create(
    username: str = typer.Argument(..., help="아이디 / user name"),
    role: str = typer.Option(..., "--role", help=" | ".join(USER_ROLES)),
    agency: str | None = typer.Option(
        None, "--agency", help="기관코드 (기관 역할은 필수) / agency code"
    ),
    employee_no: str | None = typer.Option(
        None, "--employee-no", help="연결할 직원번호 / linked employee"
    ),
    centre: str | None = typer.Option(
        None, "--centre", help="운영하는 센터 코드 (센터 운영자) / centre the user operates"
    ),
    name: str | None = typer.Option(None, "--name", help="표시 이름 / display name"),
    password: str | None = typer.Option(
        None,
        "--password",
        help="비밀번호 (생략하면 입력받음) / password (prompted, or read from stdin)",
    ),
) -> None:
    """사용자를 만듭니다 / Create a user with one role and its scope (agency or centre)."""
    from insa.security.passwords import WeakPassword
    from insa.security.users import UserError, create_user

    pw = _password(password)
    try:
        with clikit.session(keys=False) as ctx:
            user = create_user(ctx, username=username, role=role, password=pw, display_name=name,
                               agency_code=agency, employee_no=employee_no, centre_code=centre)  # fmt: skip
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
    from insa.security.users import user_rows

    t = Table("아이디", "이름", "역할", "기관", "센터", "2단계", "잠김")
    with clikit.session(keys=False) as ctx:
        for u in user_rows(ctx):
            t.add_row(str(u["username"]), str(u["display_name"]), str(u["role"]), str(u["agency"]),
                      str(u["centre"]), "예" if u["totp"] else "", str(u["locked_until"] or ""))  # fmt: skip
    console.print(t)


@users_app.command("set-password")
def users_set_password(
    username: str = typer.Argument(...),
    password: str | None = typer.Option(None, "--password"),
) -> None:
    """비밀번호를 바꾸고 잠금을 풉니다 / Set a password and clear a lock-out."""
    from insa.security.passwords import WeakPassword
    from insa.security.users import UserError, set_password

    try:
        with clikit.session(keys=False) as ctx:
            set_password(ctx, username=username, password=_password(password))
    except (UserError, WeakPassword) as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]password set[/] for {username}")


@users_app.command("set-centre")
def users_set_centre(
    username: str = typer.Argument(..., help="아이디 / user name"),
    centre: str | None = typer.Argument(
        None,
        help="운영할 센터 코드; 생략하면 소속 기관 담당자 / centre code, or none: member staff",
    ),
) -> None:
    """센터 운영자로 지정하거나 회원 기관 담당자로 되돌립니다 / Make a centre-role account an
    operator of a centre, or a member agency's own staff."""
    from insa.security.users import UserError, set_centre

    try:
        with clikit.session(keys=False) as ctx:
            set_centre(ctx, username=username, centre_code=centre)
    except UserError as exc:
        raise _fail(str(exc)) from None
    what = f"an operator of {centre.upper()}" if centre else "its agency's staff"
    console.print(f"[green]{username}[/] is now {what}")


@users_app.command("assign")
def users_assign(
    approver: str = typer.Argument(..., help="결재권자 아이디 / approver user name"),
    employee_nos: list[str] = typer.Argument(..., help="직원번호 / employee numbers"),
) -> None:
    """결재권자에게 직원을 배정합니다 / Assign employees to an approver."""
    from insa.security.users import UserError, assign

    try:
        with clikit.session(keys=False) as ctx:
            n = assign(ctx, approver=approver, employee_nos=employee_nos)
    except UserError as exc:
        raise _fail(str(exc)) from None
    console.print(f"[green]assigned[/] {n} employee(s) to {approver}")


@users_app.command("token")
def users_token(
    username: str = typer.Argument(...), name: str = typer.Option("cli", "--name")
) -> None:
    """API 토큰을 발급합니다 (한 번만 표시) / Issue an API token (shown once)."""
    from insa.security.users import UserError, issue_token

    try:
        with clikit.session(keys=False) as ctx:
            token = issue_token(ctx, username=username, name=name)
    except UserError as exc:
        raise _fail(str(exc)) from None
    console.print(token, highlight=False)


@users_app.command("demo")
def users_demo() -> None:
    """데모 로그인을 만들고 보여 줍니다 (데모 모드 전용) / Create and print the demo log-ins (demo mode only)."""
    from insa.security.demo import DEMO_PASSWORD, ensure_demo_users

    if not get_settings().demo:
        raise _fail("demo log-ins exist only in demo mode (INSA_DEMO=1)")
    with clikit.session() as ctx:
        logins = ensure_demo_users(ctx)
    console.print(
        f"insa 데모 로그인 / demo log-ins — 비밀번호 / password: {DEMO_PASSWORD}", highlight=False
    )
    for d in logins:
        label = f"{ROLES[d.role].label} ({d.role})"
        console.print(f"  {d.username:<15} {label:<28} {d.note}", highlight=False)


@users_app.command("totp-code")
def users_totp_code(username: str = typer.Argument(...)) -> None:
    """현재 TOTP 코드 (데모 모드 전용) / Current TOTP code (demo mode only)."""
    from insa.security.users import UserError, current_totp

    if not get_settings().demo:
        raise _fail("only in demo mode (INSA_DEMO=1)")
    try:
        with clikit.session() as ctx:
            code = current_totp(ctx, username=username)
    except UserError as exc:
        raise _fail(str(exc)) from None
    console.print(code)


@centres_app.command("list")
def centres_list() -> None:
    """공동 센터 목록 / The shared centres and their number of member agencies."""
    from insa.security.service import centres

    t = Table("코드", "센터", "분야", "주관 기관", "회원 기관")
    with clikit.session(keys=False) as ctx:
        for c in centres(ctx):
            t.add_row(c.code, c.name_ko, c.kind_label, c.host, str(c.members))
    console.print(t)


@centres_app.command("members")
def centres_members(code: str = typer.Argument(..., help="센터 코드 / centre code")) -> None:
    """센터의 회원 기관 / The member agencies of a centre."""
    from insa.security.service import centre_members

    with clikit.session(keys=False) as ctx:
        found = centre_members(ctx, code)
    if found is None:
        raise _fail(f"no centre with code {code!r} (see `insa centres list`)")
    centre, members = found
    t = Table("코드", "기관", "참여일", title=f"{centre.name_ko} ({centre.code})")
    for m in members:
        t.add_row(m.code, m.name_ko, str(m.joined_on or ""))
    console.print(t)
    console.print(f"{len(members)} member agencies")


@centres_app.command("add-member")
def centres_add_member(
    code: str = typer.Argument(..., help="센터 코드 / centre code"),
    agency: str = typer.Argument(..., help="기관코드 / agency code"),
) -> None:
    """기관을 센터 회원으로 더합니다 / Make an agency a member of a centre."""
    _change_membership(code, agency, add=True)


@centres_app.command("remove-member")
def centres_remove_member(
    code: str = typer.Argument(..., help="센터 코드 / centre code"),
    agency: str = typer.Argument(..., help="기관코드 / agency code"),
) -> None:
    """기관의 센터 회원 자격을 끝냅니다 / End an agency's membership of a centre."""
    _change_membership(code, agency, add=False)


def _change_membership(code: str, agency: str, *, add: bool) -> None:
    from insa.security.service import CentreError, add_member, remove_member

    try:
        with clikit.session(keys=False) as ctx:
            changed = (add_member if add else remove_member)(ctx, code, agency)
    except CentreError as exc:
        raise _fail(str(exc)) from None
    a, c = agency.upper(), code.upper()
    if changed:
        console.print(f"[green]added[/] {a} to {c}" if add else f"[yellow]removed[/] {a} from {c}")
    else:
        state = "already a member of" if add else "not a member of"
        console.print(f"{a} is {state} {c}; nothing to do")
