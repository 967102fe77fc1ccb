"""The ``insa`` command as a user runs it (Typer's runner, real SQLite database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from insa.cli import app
from insa.db.engine import dispose_engines
from insa.settings import reset_settings

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_help_speaks_korean_and_english() -> None:
    code, out = run("--help")
    assert code == 0
    assert "인사" in out and "HR administration" in out
    for sub in ("db", "people", "seed", "serve", "keys"):
        assert sub in out
    code, out = run("people", "import", "--help")
    assert code == 0 and "가져옵니다" in out and "Import" in out


def test_upgrade_seed_export_import_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSA_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    reset_settings()
    dispose_engines()
    code, out = run("seed", "-n", "10")
    assert code == 2 and "insa db upgrade" in out
    assert run("db", "upgrade")[0] == 0
    code, out = run("seed", "-n", "300", "-s", "4")
    assert code == 0, out
    assert "seeded 300 employees" in out
    code, out = run("seed", "-n", "300")
    assert code == 2 and "--replace" in out
    assert run("seed", "-n", "300", "--if-empty")[0] == 0
    out_csv = tmp_path / "e.csv"
    code, out = run("people", "export", str(out_csv))
    assert code == 2 and "--kind" in out
    assert run("people", "export", str(out_csv), "--kind", "employees")[0] == 0
    code, out = run("people", "import", str(out_csv))  # masked RRNs keep the stored number
    assert code == 0 and "employees +0 ~300" in out
    lines = out_csv.read_text(encoding="utf-8-sig").splitlines()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\n".join([lines[0], lines[1].replace(",7급,", ",12급,").replace(",9급,", ",12급,")]),
        encoding="utf-8",
    )
    code, out = run("people", "import", str(bad))
    assert code == 1
    assert "bad.csv:2:" in out and "nothing written" in out


def test_missing_keys_stop_personal_data_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSA_DATABASE_URL", f"sqlite:///{tmp_path / 'k.db'}")
    monkeypatch.delenv("INSA_PSEUDONYM_KEY")
    reset_settings()
    assert run("db", "upgrade")[0] == 0
    code, out = run("seed", "-n", "5")
    assert code == 2 and "INSA_PSEUDONYM_KEY is not set" in out
    code, out = run("serve")
    assert code == 2 and "INSA_PSEUDONYM_KEY" in out


def test_keys_generate_prints_usable_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run("keys", "generate")
    assert code == 0
    env = dict(line.split("=", 1) for line in out.strip().splitlines())
    monkeypatch.setenv("INSA_DATA_KEY", env["INSA_DATA_KEY"])
    reset_settings()
    from insa.settings import get_settings

    assert len(get_settings().data_key_bytes()) == 32


def test_downgrade_needs_confirmation_and_serve_needs_current_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSA_DATABASE_URL", f"sqlite:///{tmp_path / 'd.db'}")
    reset_settings()
    assert run("db", "upgrade")[0] == 0
    code, out = run("db", "downgrade", "--revision", "base")
    assert code == 2 and "--yes" in out
    assert run("db", "downgrade", "--revision", "-1", "--yes")[0] == 0
    code, out = run("serve")
    assert code == 2 and "insa db upgrade" in out
    code, out = run("seed", "-n", "5")
    assert code == 2 and "insa db upgrade" in out


def test_seed_for_a_year_without_rules_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSA_DATABASE_URL", f"sqlite:///{tmp_path / 'y.db'}")
    reset_settings()
    assert run("db", "upgrade")[0] == 0
    code, out = run("seed", "-n", "20", "--year", "2019")
    assert code == 2 and "no value in force" in out


def test_typer_never_prints_locals() -> None:
    assert app.pretty_exceptions_show_locals is False


def test_centres_and_their_operators_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSA_DATABASE_URL", f"sqlite:///{tmp_path / 'centres.db'}")
    reset_settings()
    dispose_engines()
    assert run("db", "upgrade")[0] == 0
    code, out = run("centres", "list")
    assert code == 0 and "WATCH" in out and "CYBER" in out and "부처합동 장애관제센터" in out
    code, out = run("centres", "members", "watch")
    assert code == 0 and "법제처" in out and "6 member agencies" in out
    assert run("centres", "add-member", "WATCH", "MOIS") == (0, "added MOIS to WATCH\n")
    assert "already a member" in run("centres", "add-member", "WATCH", "mois")[1]
    assert "7 member agencies" in run("centres", "members", "WATCH")[1]
    assert run("centres", "remove-member", "WATCH", "MOIS")[0] == 0
    code, out = run("centres", "add-member", "WATCH", "NOPE")
    assert code == 2 and "unknown agency code" in out
    code, out = run("centres", "members", "NOPE")
    assert code == 2 and "insa centres list" in out
    # an operator of a centre, and a member ministry's own staff
    pw = "a-long-password-2025!"
    code, out = run("users", "create", "ops1", "--role", "ops_operator", "--centre", "WATCH",
                    "--password", pw)  # fmt: skip
    assert code == 0, out
    code, out = run("users", "create", "ops2", "--role", "ops_operator", "--agency", "MOLEG",
                    "--password", pw)  # fmt: skip
    assert code == 0, out
    code, out = run("users", "create", "ops3", "--role", "ops_operator", "--agency", "KNPA",
                    "--password", pw)  # fmt: skip
    assert code == 2 and "not a member" in out
    code, out = run("users", "list")
    assert code == 0 and "WATCH" in out


def test_an_existing_account_becomes_a_centre_operator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Operator accounts made before the centres (no centre) are given one, and back."""
    monkeypatch.setenv("INSA_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    reset_settings()
    dispose_engines()
    assert run("db", "upgrade")[0] == 0
    pw = "a-long-password-2025!"
    assert run("users", "create", "sec1", "--role", "security_operator", "--agency", "KDCA",
               "--password", pw)[0] == 0  # fmt: skip
    assert "is now an operator of CYBER" in run("users", "set-centre", "sec1", "cyber")[1]
    code, out = run("users", "set-centre", "sec1", "WATCH")
    assert code == 2 and "works in cyber centres" in out
    assert "its agency's staff" in run("users", "set-centre", "sec1")[1]
    code, out = run("users", "set-centre", "nobody", "CYBER")
    assert code == 2 and "unknown user" in out
