"""The local Airflow processes' bookkeeping: started in a group of their own, found, stopped with their children."""

from __future__ import annotations

import os
import stat
import sys

import psutil
import pytest

from kinerja.orchestration import services

# A stand-in for an Airflow process: it starts a child, as the scheduler starts task processes.
PARENT_WITH_CHILD = [
    sys.executable,
    "-c",
    (
        "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']); "
        "time.sleep(120)"
    ),
]


def _children_started(pid: int) -> list[psutil.Process]:
    for _ in range(100):
        children = psutil.Process(pid).children(recursive=True)
        if children:
            return children
        psutil.wait_procs([], timeout=0.05)
    raise AssertionError("the stand-in never started its child")


def test_a_started_process_is_found_and_stopped_with_its_children(tmp_path):
    pid = services.start_process("scheduler", PARENT_WITH_CHILD, os.environ, tmp_path)
    children = _children_started(pid)

    assert services.running_pid(tmp_path, "scheduler") == pid
    assert os.getpgid(pid) == pid  # a group of its own: a stop reaches everything it started
    assert [s.running for s in services.status(tmp_path, ["scheduler", "triggerer"])] == [True, False]

    assert services.stop_process(tmp_path, "scheduler", timeout=10)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in [*children])
    assert services.running_pid(tmp_path, "scheduler") is None
    assert not (tmp_path / "scheduler.pid").exists()
    assert not services.stop_process(tmp_path, "scheduler")  # stopping twice is harmless


def test_a_pid_file_of_a_reused_pid_names_no_running_service(tmp_path):
    # this test's own pid, with a start time that is not its own: another program's pid now
    (tmp_path / "api-server.pid").write_text(f"{os.getpid()} 12345.0\n")

    assert services.running_pid(tmp_path, "api-server") is None
    assert not services.stop_process(tmp_path, "api-server")  # never signalled
    assert not (tmp_path / "api-server.pid").exists()


def test_every_process_gets_the_same_jwt_secret_and_api_address(tmp_path, monkeypatch):
    monkeypatch.delenv("AIRFLOW__API_AUTH__JWT_SECRET", raising=False)
    first = services.jwt_secret(tmp_path)

    assert services.jwt_secret(tmp_path) == first  # a process started later agrees with running ones
    assert len(first) >= 32
    assert stat.S_IMODE((tmp_path / "jwt_secret").stat().st_mode) == 0o600
    monkeypatch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "from-the-environment")
    assert services.jwt_secret(tmp_path) == "from-the-environment"

    env = services.shared_environment("127.0.0.1", 8080, first)
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:8080/execution/"
    assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == first


def test_a_process_that_exits_while_starting_ends_the_wait_with_its_log(tmp_path):
    command = [sys.executable, "-c", "print('cannot bind the port'); raise SystemExit(1)"]
    pid = services.start_process("api-server", command, os.environ, tmp_path)
    psutil.Process(pid).wait(timeout=10)

    with pytest.raises(services.ServiceError, match="cannot bind the port"):
        services.wait_until_healthy(
            f"http://127.0.0.1:{services.free_port()}", {"api-server": (tmp_path, pid)}, timeout=10
        )


def test_the_cli_stops_and_reports_the_processes_of_its_own_home(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from kinerja.cli import app

    monkeypatch.setenv("KINERJA_HOME", str(tmp_path))
    monkeypatch.setenv("KINERJA_AIRFLOW_PORT", str(services.free_port()))
    directory = tmp_path / "airflow" / "services"
    pid = services.start_process("triggerer", PARENT_WITH_CHILD, os.environ, directory)
    runner = CliRunner()

    status = runner.invoke(app, ["airflow", "status"])
    assert status.exit_code == 1  # three of four not running, and no API answers
    assert str(pid) in status.output and "not running" in status.output

    stopped = runner.invoke(app, ["airflow", "stop"])
    assert stopped.exit_code == 0 and "stopped: triggerer" in stopped.output
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert "no Airflow process" in runner.invoke(app, ["airflow", "stop"]).output
