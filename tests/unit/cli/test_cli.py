"""The `kinerja` command, as a user calls it."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from kinerja.cli import app
from support import SMALL_REGISTRY

runner = CliRunner()


def test_registry_check_accepts_a_valid_registry():
    result = runner.invoke(app, ["registry", "check", str(SMALL_REGISTRY)])
    assert result.exit_code == 0, result.output
    assert "is valid" in result.output


def test_registry_check_lists_every_problem_and_fails(tmp_path):
    for name in ("regions_kepmendagri2025.csv", "central_institutions.csv", "accounts.csv"):
        shutil.copy(SMALL_REGISTRY / name, tmp_path / name)
    accounts = (tmp_path / "accounts.csv").read_text().splitlines()
    accounts[1] = accounts[1].replace(",instagram,", ",Intagram,")
    accounts[6] = accounts[6].replace(",2022-01-01,", ",2022-13-01,")
    (tmp_path / "accounts.csv").write_text("\n".join(accounts) + "\n")
    result = runner.invoke(app, ["registry", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert "accounts.csv, line 2, column 'platform': 'Intagram'" in result.output
    assert "Did you mean 'instagram'?" in result.output
    assert "accounts.csv, line 7, column 'valid_from'" in result.output
    assert "2 problem(s)" in result.output


def test_a_month_that_is_not_a_month_is_refused_with_the_expected_form():
    result = runner.invoke(app, ["run", "--month", "Oktober"])
    assert result.exit_code != 0
    assert "YYYY-MM" in result.output


def test_filedrop_commands_say_what_to_do_when_the_warehouse_cannot_be_reached(tmp_path, monkeypatch):
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", f"postgresql://nobody@/kinerja?host={tmp_path}/no-server")
    result = runner.invoke(app, ["filedrop", "status"])
    assert result.exit_code == 1
    assert "the warehouse cannot be reached" in result.output
    assert "Check KINERJA_WAREHOUSE_URL" in result.output


def test_filedrop_process_refuses_a_day_that_is_not_a_day():
    result = runner.invoke(app, ["filedrop", "process", "--day", "13-06-2026"])
    assert result.exit_code != 0
    assert "YYYY-MM-DD" in result.output


def test_a_warehouse_url_that_is_not_one_is_refused_with_what_to_write(monkeypatch):
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", "postgresql://kinerja:p@ss@db/kinerja")
    result = runner.invoke(app, ["filedrop", "status"])
    assert result.exit_code == 1
    assert "KINERJA_WAREHOUSE_URL" in result.output and "%40" in result.output


def test_lint_sql_runs_sqlfluff_on_the_models_with_the_profile_variables(monkeypatch):
    import subprocess

    from kinerja import config, warehouse
    from kinerja.config import PgParams

    calls = []

    def run(command, **kwargs):
        calls.append((command, kwargs))
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", "postgresql://lint@db.example:5433/kinerja")
    server = PgParams("db.example", 5433, "lint", "", "kinerja")
    monkeypatch.setattr(warehouse, "ensure_warehouse", lambda: server)
    monkeypatch.setattr(subprocess, "run", run)
    result = runner.invoke(app, ["lint-sql"])
    assert result.exit_code == 0, result.output
    ((command, kwargs),) = calls
    assert command[1:4] == ["-m", "sqlfluff", "lint"]
    assert "dbt_project/models" in command[4:]
    assert kwargs["cwd"] == config.PROJECT_ROOT
    assert kwargs["env"]["KINERJA_PGHOST"] == "db.example"
    assert kwargs["env"]["KINERJA_PGPORT"] == "5433"
    assert kwargs["env"]["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "False"
    # arguments go to sqlfluff as they are
    calls.clear()
    assert runner.invoke(app, ["lint-sql", "fix", "dbt_project/models/marts"]).exit_code == 0
    assert calls[0][0][3:] == ["fix", "dbt_project/models/marts"]


def test_roles_passwords_completes_a_private_file_and_never_changes_a_password(tmp_path, monkeypatch):
    from kinerja.warehouse.roles import read_env_file

    # the shipped registry's 38 provinces, whatever registry an earlier test of this process set
    monkeypatch.delenv("KINERJA_REGISTRY_DIR", raising=False)

    file = tmp_path / "role-passwords.env"
    file.write_text("KINERJA_ROLE_PASSWORD_PROV_51=set-by-hand\n")

    first = runner.invoke(app, ["roles", "passwords", "--file", str(file)])
    second = runner.invoke(app, ["roles", "passwords", "--file", str(file)])

    assert first.exit_code == 0 and "37 password(s) added, 1 kept" in first.output
    assert second.exit_code == 0 and "0 password(s) added, 38 kept" in second.output
    passwords = read_env_file(file.read_text())
    assert len(passwords) == 38 and passwords["KINERJA_ROLE_PASSWORD_PROV_51"] == "set-by-hand"
    assert file.stat().st_mode & 0o777 == 0o600
