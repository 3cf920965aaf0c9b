"""Airflow's processes for this project on one machine: started, watched and stopped.

`kinerja airflow start` (`make airflow`) runs the api-server (the UI and the REST API),
scheduler, dag-processor and triggerer as background processes with the LocalExecutor,
over the same warehouse and Airflow metadata database as `make run`. Each process leads a
process group of its own, so that stopping it stops what it started too (API workers,
task processes). Its pid and start time are kept in `<services dir>/<name>.pid` (the start
time tells a pid reused by another program apart), its output in `<name>.log`.

The integration test of the production stack starts the commands docker-compose.yml
declares with the same functions.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import psutil

from kinerja import config

# The Airflow commands of the local stack, by service name (the names docker-compose.yml uses).
LOCAL_SERVICES: dict[str, tuple[str, ...]] = {
    "api-server": ("api-server",),
    "scheduler": ("scheduler",),
    "dag-processor": ("dag-processor",),
    "triggerer": ("triggerer",),
}
# What /api/v2/monitor/health reports on: the database and the processes that heartbeat.
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")
PROJECT_DAGS = ("kinerja_daily", "kinerja_monthly", "kinerja_watchdog")
STOP_TIMEOUT_SECONDS = 30.0


class ServiceError(RuntimeError):
    """A process that would not start, or not become healthy; the message says where its log is."""


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    pid: int | None
    log: Path

    @property
    def running(self) -> bool:
        return self.pid is not None


def airflow_executable() -> str:
    """The `airflow` command of this virtual environment."""
    return str(Path(sys.executable).with_name("airflow"))


def _pid_file(directory: Path, name: str) -> Path:
    return directory / f"{name}.pid"


def log_file(directory: Path, name: str) -> Path:
    return directory / f"{name}.log"


def start_process(name: str, command: Sequence[str], env: Mapping[str, str], directory: Path) -> int:
    """Start `command` in the background as the leader of a new process group; return its pid.

    Its output goes to `<directory>/<name>.log`, its pid and start time to `<name>.pid`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    with open(log_file(directory, name), "ab") as log:
        process = subprocess.Popen(
            list(command),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=config.PROJECT_ROOT,
            start_new_session=True,
        )
    started = psutil.Process(process.pid).create_time()
    _pid_file(directory, name).write_text(f"{process.pid} {started}\n")
    return process.pid


def running_pid(directory: Path, name: str) -> int | None:
    """The pid of service `name` when the process its pid file names still runs, else None."""
    try:
        pid_text, started_text = _pid_file(directory, name).read_text().split()
        process = psutil.Process(int(pid_text))
        # a pid the system gave to another program since has another start time
        if abs(process.create_time() - float(started_text)) > 0.01:
            return None
        return None if process.status() == psutil.STATUS_ZOMBIE else process.pid
    except (FileNotFoundError, ValueError, psutil.NoSuchProcess):
        return None


def stop_process(directory: Path, name: str, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
    """Stop service `name` and every process it started (SIGTERM, then SIGKILL after `timeout`).

    True when it was running. Only the process its pid file names, its group and its
    descendants are signalled.
    """
    pid = running_pid(directory, name)
    if pid is None:
        _pid_file(directory, name).unlink(missing_ok=True)
        return False
    leader = psutil.Process(pid)
    family = [leader, *leader.children(recursive=True)]
    _signal_group(pid, signal.SIGTERM)
    for process in family:
        _signal(process, signal.SIGTERM)  # descendants that left the group too
    _, alive = psutil.wait_procs(family, timeout=timeout)
    if alive:
        _signal_group(pid, signal.SIGKILL)
        for process in alive:
            _signal(process, signal.SIGKILL)
        psutil.wait_procs(alive, timeout=5)
    _pid_file(directory, name).unlink(missing_ok=True)
    return True


def _signal_group(leader_pid: int, signum: int) -> None:
    try:
        os.killpg(leader_pid, signum)
    except ProcessLookupError:
        pass


def _signal(process: psutil.Process, signum: int) -> None:
    try:
        process.send_signal(signum)
    except psutil.NoSuchProcess:
        pass


def status(directory: Path, names: Sequence[str]) -> list[ServiceStatus]:
    return [ServiceStatus(name, running_pid(directory, name), log_file(directory, name)) for name in names]


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


# --- what the processes of one deployment share


def jwt_secret(directory: Path) -> str:
    """The secret every process signs and checks the API's tokens with (AIRFLOW__API_AUTH__JWT_SECRET).

    Taken from the environment when set; else made once and kept in `<directory>/jwt_secret`
    (readable by its owner only), so that processes started later agree with running ones.
    """
    if os.environ.get("AIRFLOW__API_AUTH__JWT_SECRET"):
        return os.environ["AIRFLOW__API_AUTH__JWT_SECRET"]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "jwt_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def shared_environment(host: str, port: int, secret: str) -> dict[str, str]:
    """What every Airflow process of one deployment must agree on: where the API is, and the JWT secret.

    Without one secret, tasks fail with "Invalid auth token"; without the execution API's
    address, workers cannot report a task's state.
    """
    return {
        "AIRFLOW__API__HOST": host,
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://{host}:{port}/execution/",
        "AIRFLOW__API_AUTH__JWT_SECRET": secret,
    }


def port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on now (for tests and second stacks)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def wait_until_healthy(
    api_url: str,
    started: Mapping[str, tuple[Path, int]],
    components: Sequence[str] = HEALTH_COMPONENTS,
    timeout: float = 180,
    directory: Path | None = None,
) -> dict:
    """Poll the API's health endpoint until every component in `components` is healthy.

    `started` maps a service name to its directory and pid: a process that exits meanwhile
    ends the wait at once, with the end of its log.
    """
    deadline = time.monotonic() + timeout
    report: dict = {}
    while time.monotonic() < deadline:
        for name, (where, pid) in started.items():
            if running_pid(where, name) != pid:
                raise ServiceError(
                    f"airflow {name} exited while starting; the end of {log_file(where, name)}:\n"
                    f"{log_tail(log_file(where, name))}"
                )
        try:
            report = httpx.get(f"{api_url}/api/v2/monitor/health", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            report = {}
        if report and all((report.get(c) or {}).get("status") == "healthy" for c in components):
            return report
        time.sleep(2)
    unhealthy = [c for c in components if (report.get(c) or {}).get("status") != "healthy"]
    where = f"; logs in {directory}" if directory else ""
    raise ServiceError(
        f"Airflow at {api_url} not healthy after {timeout:.0f} s: {', '.join(unhealthy) or 'no answer'}{where}"
    )


# --- the REST API, as the data team and the tests use it


class AirflowApi:
    """A few calls of Airflow's REST API (v2), logged in as one user."""

    def __init__(self, base_url: str, token: str):
        self.client = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    @classmethod
    def login(cls, base_url: str, username: str, password: str) -> AirflowApi:
        """Log in through the auth manager's token endpoint (POST /auth/token)."""
        response = httpx.post(
            f"{base_url}/auth/token", json={"username": username, "password": password}, timeout=30
        )
        if response.status_code not in (200, 201):
            raise ServiceError(
                f"login of {username} at {base_url} refused ({response.status_code}): {response.text}"
            )
        return cls(base_url, response.json()["access_token"])

    def _call(self, method: str, path: str, **kwargs) -> dict:
        response = self.client.request(method, f"/api/v2{path}", **kwargs)
        if response.status_code >= 400:
            raise ServiceError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def wait_for_dags(self, dag_ids: Sequence[str], timeout: float = 180) -> None:
        """Wait until the dag-processor has parsed each DAG in `dag_ids` and the API knows it."""
        deadline = time.monotonic() + timeout
        missing = list(dag_ids)
        while time.monotonic() < deadline:
            known = {dag["dag_id"] for dag in self._call("GET", "/dags", params={"limit": 100})["dags"]}
            missing = [dag_id for dag_id in dag_ids if dag_id not in known]
            if not missing:
                return
            time.sleep(2)
        errors = self._call("GET", "/importErrors")
        raise ServiceError(f"DAGs not parsed after {timeout:.0f} s: {missing}; import errors: {errors}")

    def set_paused(self, dag_id: str, paused: bool) -> None:
        self._call("PATCH", f"/dags/{dag_id}", json={"is_paused": paused})

    def is_paused(self, dag_id: str) -> bool:
        return self._call("GET", f"/dags/{dag_id}")["is_paused"]

    def trigger(self, dag_id: str, logical_date: datetime, conf: dict | None = None) -> str:
        """Trigger a run of `dag_id` at `logical_date` (its data interval follows from the timetable)."""
        body = {"logical_date": logical_date.isoformat(), "conf": conf or {}}
        return self._call("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict:
        """The run as the API gives it (state, start_date, end_date, conf, ...)."""
        return self._call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.run(dag_id, run_id)["state"]

    def task_durations(self, dag_id: str, run_id: str) -> dict[str, float]:
        """Seconds each task of the run took (its latest try)."""
        instances = self._call(
            "GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000}
        )["task_instances"]
        return {ti["task_id"]: ti["duration"] or 0.0 for ti in instances}

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str | None]:
        instances = self._call(
            "GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 1000}
        )["task_instances"]
        return {ti["task_id"]: ti["state"] for ti in instances}

    def wait_for_run(
        self, dag_id: str, run_id: str, timeout: float, on_poll: Callable[[str], None] | None = None
    ) -> str:
        """Wait until the run ends (success or failed) and return its state; ServiceError after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if on_poll:
                on_poll(state)
            if state in ("success", "failed"):
                return state
            time.sleep(3)
        raise ServiceError(
            f"{dag_id} run {run_id} not finished after {timeout:.0f} s; tasks: {self.task_states(dag_id, run_id)}"
        )


def local_password(home: Path, username: str = config.AIRFLOW_LOCAL_USER) -> str | None:
    """The password Airflow's SimpleAuthManager generated for `username` (None before the API server first ran)."""
    try:
        return json.loads(simple_auth_passwords_file(home).read_text()).get(username)
    except (FileNotFoundError, ValueError):
        return None


def simple_auth_passwords_file(home: Path) -> Path:
    """Where SimpleAuthManager keeps the generated passwords: its default file in AIRFLOW_HOME."""
    return home / "simple_auth_manager_passwords.json.generated"


# --- the local stack of `make airflow`


@dataclass(frozen=True)
class LocalStack:
    api_url: str
    username: str
    password: str | None
    services: list[ServiceStatus]
    paused: dict[str, bool]  # each project DAG: paused or not, as the API says after the start


def start_local(unpause: bool = False, progress: Callable[[str], None] = print) -> LocalStack:
    """Prepare the deployment and start the local stack's processes not running yet.

    Prepared as `make run` prepares it (runner.prepare): the warehouse and Airflow's metadata
    database on the same server, migrated, the `dbt` pool, the dbt manifest, and this
    process's environment with the warehouse's address, which every process started here
    inherits (the embedded server's socket included: dbt's environment is built from it when
    the dag-processor parses the DAGs). DAGs stay paused unless `unpause`.
    """
    from kinerja.orchestration import runner
    from kinerja.warehouse import ensure_warehouse

    directory = config.airflow_services_dir()
    host, port = config.airflow_host(), config.airflow_port()
    api_url = config.airflow_api_url()
    already = {s.name for s in status(directory, list(LOCAL_SERVICES)) if s.running}
    if "api-server" not in already and port_taken(host, port):
        raise ServiceError(
            f"{host}:{port} is taken by another program: stop it, or set {config.AIRFLOW_PORT_ENV} to a free port"
        )
    progress("preparing: warehouse, Airflow metadata database (migrate), pool dbt, dbt manifest")
    params = ensure_warehouse()
    runner.prepare(params)
    # prepare() set this process's environment for Airflow; the processes inherit it
    env = config.process_environment(
        {
            **shared_environment(host, port, jwt_secret(directory)),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{config.AIRFLOW_LOCAL_USER}:admin",
        }
    )
    started = {}
    for name, args in LOCAL_SERVICES.items():
        if name in already:
            progress(f"{name} already running (pid {running_pid(directory, name)})")
            continue
        pid = start_process(name, [airflow_executable(), *args], env, directory)
        started[name] = (directory, pid)
        progress(f"{name} started (pid {pid}), log {log_file(directory, name)}")
    progress("waiting for every process to report healthy")
    wait_until_healthy(api_url, started, timeout=config.airflow_start_timeout(), directory=directory)
    password = local_password(config.airflow_home())
    if password is None:
        raise ServiceError(
            f"the API server wrote no password to {simple_auth_passwords_file(config.airflow_home())}"
        )
    api = AirflowApi.login(api_url, config.AIRFLOW_LOCAL_USER, password)
    progress("waiting for the dag-processor to parse the DAGs")
    api.wait_for_dags(PROJECT_DAGS, timeout=config.airflow_start_timeout())
    if unpause:
        for dag_id in PROJECT_DAGS:
            api.set_paused(dag_id, False)
    paused = {dag_id: api.is_paused(dag_id) for dag_id in PROJECT_DAGS}
    return LocalStack(
        api_url, config.AIRFLOW_LOCAL_USER, password, status(directory, list(LOCAL_SERVICES)), paused
    )


def stop_local() -> list[str]:
    """Stop every process of the local stack that runs; the names of those stopped."""
    directory = config.airflow_services_dir()
    # the API first, so that nothing new is triggered while the others stop
    return [name for name in LOCAL_SERVICES if stop_process(directory, name)]
