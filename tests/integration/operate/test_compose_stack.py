"""The production stack's Airflow, run as local processes: the commands docker-compose.yml declares.

No container engine runs here, so this test takes docker-compose.yml itself: its PostgreSQL
init script creates the databases, owners and BI role on the machine's PostgreSQL
(127.0.0.1:5432), its airflow-init script prepares Airflow's metadata database, and the
commands of its api-server, scheduler, dag-processor, triggerer and Celery worker run on
127.0.0.1 with the environment the file gives them (interpolated as compose does, from
values a .env would hold), against the machine's Redis. Only what cannot be the same on one
machine differs: ports (free ones, not 8080), the broker's database and queue (no password
on the machine's Redis), and the folders. Through the REST API, logged in with the FAB auth
manager, it triggers kinerja_daily for one day on the small registry, unpauses it, waits for
success and checks the warehouse; then it stops every process it started.

Under CI=true a missing PostgreSQL or Redis fails the test; elsewhere it is skipped.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from alert_receivers import WebhookRecorder
from kinerja import config
from kinerja.config import PgParams
from kinerja.orchestration import services
from kinerja.orchestration.dag_defaults import TIMEZONE, data_day_of
from support import REPO, SMALL_REGISTRY

pytestmark = [pytest.mark.integration, pytest.mark.long]

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
COMPOSE_FILE = REPO / "docker-compose.yml"
# service name in docker-compose.yml -> the name its process gets here
PROCESSES = {
    "airflow-api-server": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
    "airflow-worker": "celery-worker",
}
RUN_TIMEOUT_SECONDS = 900


def _reachable(address: tuple[str, int]) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex(address) == 0


@pytest.fixture(scope="module", autouse=True)
def machine_services():
    missing = [
        f"{name} at {host}:{port}"
        for name, (host, port) in (("PostgreSQL", POSTGRES), ("Redis", REDIS))
        if not _reachable((host, port))
    ]
    if missing:
        message = f"the production stack's test needs the machine's {' and '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


_INTERPOLATION = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(value: str, dotenv: dict[str, str]) -> str:
    """`value` with compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME:?error}, $$."""

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        found = dotenv.get(name)
        if operator == ":?" and not found:
            raise KeyError(f"docker-compose.yml requires {name}: {argument}")
        if operator == ":-" and not found:
            return argument
        return found or ""

    return _INTERPOLATION.sub(substitute, value)


def _psql(sql: str) -> None:
    subprocess.run(
        [
            "psql",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            POSTGRES[0],
            "-p",
            str(POSTGRES[1]),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-c",
            sql,
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def webhook():
    """The chat webhook the stack's alerts go to: a recorder on 127.0.0.1."""
    with WebhookRecorder() as recorder:
        yield recorder


@pytest.fixture(scope="module")
def stack(tmp_path_factory, webhook):
    """The stack's Airflow processes, started from docker-compose.yml's commands; stopped afterwards."""
    from cryptography.fernet import Fernet

    from kinerja import dbt_commands

    work = tmp_path_factory.mktemp("stack")
    suffix = uuid.uuid4().hex[:8]
    names = {
        "warehouse": f"kinerja_stack_{suffix}",
        "airflow": f"airflow_stack_{suffix}",
        "metabase": f"metabase_stack_{suffix}",
        "bi": f"kinerja_bi_{suffix}",
    }
    password = secrets.token_hex(12)
    host = f"{POSTGRES[0]}:{POSTGRES[1]}"
    dotenv = {
        "KINERJA_WAREHOUSE_URL": f"postgresql://{names['warehouse']}:{password}@{host}/{names['warehouse']}",
        "AIRFLOW_DATABASE_URL": f"postgresql+psycopg2://{names['airflow']}:{password}@{host}/{names['airflow']}",
        "METABASE_DB_PASSWORD": password,
        "METABASE_DB_NAME": names["metabase"],
        "METABASE_DB_USER": names["metabase"],
        "KINERJA_ROLE_PREFIX": f"stack{suffix}_",
        "KINERJA_BI_ROLE": names["bi"],
        "KINERJA_BI_PASSWORD": password,
        "REDIS_PASSWORD": "the machine's Redis has none: the broker URL is replaced below",
        "AIRFLOW_JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW_API_SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW_FERNET_KEY": Fernet.generate_key().decode(),
        "AIRFLOW_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        "KINERJA_SOURCES": "simulator,filedrop",
        "KINERJA_TASK_RETRIES": "0",
    }
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    api_port = services.free_port()
    queue = f"kinerja-stack-{suffix}"
    local = {
        # the image's ENV: the project's constants, the folders of this checkout
        **config.airflow_environment(
            interpolate(dotenv["AIRFLOW_DATABASE_URL"], dotenv), home=work / "airflow"
        ),
        "PATH": f"{Path(services.airflow_executable()).parent}:{os.environ['PATH']}",
        "KINERJA_REGISTRY_DIR": str(SMALL_REGISTRY),
    }
    machine = {
        # one machine instead of a compose network: hosts, free ports, folders, the broker
        "KINERJA_HOME": str(work / "data"),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(services.free_port()),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(services.free_port()),
        "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT": str(services.free_port()),
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
        "KINERJA_ALERT_WEBHOOK_URL": webhook.url,
    }

    # role-passwords.env as `kinerja roles passwords` writes it, for the small registry's province
    from kinerja.warehouse.roles import province_passwords_env_file, read_env_file, registry_province_codes

    role_passwords = read_env_file(
        province_passwords_env_file(registry_province_codes(SMALL_REGISTRY), {})[0]
    )

    def environment(service: str) -> dict[str, str]:
        declared = compose["services"][service]["environment"]
        return {
            **os.environ,
            **local,
            **(role_passwords if compose["services"][service].get("env_file") else {}),
            **{k: interpolate(str(v), dotenv) for k, v in declared.items()},
            **machine,
        }

    # the postgres service's first start: its init script, against the machine's server
    init_databases = REPO / "deploy" / "postgres" / "init-databases.sh"
    subprocess.run(
        ["bash", str(init_databases)],
        env={**os.environ, **dotenv, "PGHOST": POSTGRES[0], "PGPORT": str(POSTGRES[1])},
        check=True,
        capture_output=True,
    )
    warehouse = PgParams.from_url(dotenv["KINERJA_WAREHOUSE_URL"])
    directory = work / "services"
    try:
        dbt_commands.parse(warehouse)  # the Dockerfile's `dbt parse`
        init = subprocess.run(
            ["bash", str(REPO / "deploy" / "airflow" / "init.sh")],
            env=environment("airflow-init"),
            check=False,
            capture_output=True,
            text=True,
        )
        assert init.returncode == 0, init.stdout[-3000:] + init.stderr[-3000:]
        started = {}
        for service, name in PROCESSES.items():
            command = [services.airflow_executable(), *compose["services"][service]["command"]]
            started[name] = (
                directory,
                services.start_process(name, command, environment(service), directory),
            )
        api_url = f"http://127.0.0.1:{api_port}"
        services.wait_until_healthy(api_url, started, timeout=240, directory=directory)
        api = services.AirflowApi.login(api_url, "admin", dotenv["AIRFLOW_ADMIN_PASSWORD"])
        readers = {
            names["bi"]: password,
            f"stack{suffix}_prov_51": role_passwords[config.role_password_env("prov_51")],
        }
        yield {"api": api, "warehouse": warehouse, "queue": queue, "directory": directory, "readers": readers}
    finally:
        for name in reversed(PROCESSES.values()):
            services.stop_process(directory, name)
        for database in (names["warehouse"], names["airflow"], names["metabase"]):
            _psql(f"drop database if exists {database} with (force)")
        # the roles init.sh and the DAG's apply_roles created (server-wide), then the owners
        _psql(
            "do $$ declare role text; begin for role in select rolname from pg_roles"
            f" where rolname like 'stack{suffix}\\_%' or rolname = '{names['bi']}'"
            " loop execute format('drop role %I', role); end loop; end $$"
        )
        for role in (names["warehouse"], names["airflow"], names["metabase"]):
            _psql(f"drop role if exists {role}")
        shutil.rmtree(work, ignore_errors=True)


def _latest_complete_interval_start(now: datetime) -> datetime:
    """The logical date the scheduler gives the run it creates when kinerja_daily is unpaused."""
    local = now.astimezone(TIMEZONE)
    end = local.replace(hour=config.DAILY_RUN_HOUR, minute=0, second=0, microsecond=0)
    if end > local:
        end -= timedelta(days=1)
    return end - timedelta(days=1)


def test_the_compose_commands_run_a_daily_dag_run_on_celery_workers(stack):
    from kinerja.warehouse import connect

    api = stack["api"]
    api.wait_for_dags(["kinerja_daily"], timeout=240)
    # The run of the latest complete data day, triggered while paused: unpausing then makes
    # the scheduler find its run already there rather than start a second one.
    logical_date = _latest_complete_interval_start(datetime.now(TIMEZONE))
    run_id = api.trigger("kinerja_daily", logical_date)
    api.set_paused("kinerja_daily", False)

    state = api.wait_for_run("kinerja_daily", run_id, timeout=RUN_TIMEOUT_SECONDS)

    tasks = api._call("GET", f"/dags/kinerja_daily/dagRuns/{run_id}/taskInstances", params={"limit": 1000})
    states = {ti["task_id"]: ti["state"] for ti in tasks["task_instances"]}
    assert state == "success", f"{states}; logs in {stack['directory']}"
    assert set(states.values()) == {"success"}
    assert {"land_simulator", "plan_days", "audit_build", "publish"} <= set(states)
    # every task went through Redis to the Celery worker, not a local executor
    assert {ti["queue"] for ti in tasks["task_instances"]} == {stack["queue"]}
    # a manual run's data interval is the one its timetable infers from its logical date
    run = api._call("GET", f"/dags/kinerja_daily/dagRuns/{run_id}")
    day = data_day_of(datetime.fromisoformat(run["data_interval_start"]))
    with connect(stack["warehouse"]) as conn:
        published = conn.execute(
            "select count(*) from marts.fct_account_daily where metric_date = %s", [day]
        ).fetchone()[0]
        accepted = conn.execute(
            "select count(*) from raw.batch_ledger where data_day = %s and source = 'simulator' and status = 'accepted'",
            [day],
        ).fetchone()[0]
    assert published > 0
    assert accepted >= 1
    # init.sh created the reader roles with the passwords compose hands it; row security holds
    (bi, bi_password), (bali, bali_password) = stack["readers"].items()
    with connect(replace(stack["warehouse"], user=bi, password=bi_password)) as conn:
        read = conn.execute("select count(*) from marts.fct_account_daily where metric_date = %s", [day])
        assert read.fetchone()[0] == published
    with connect(replace(stack["warehouse"], user=bali, password=bali_password)) as conn:
        provinces = conn.execute("select distinct province_code from marts.dim_institutions").fetchall()
        assert provinces == [("51",)]
    # the run-history listener, in the scheduler (the run) and on the worker (each try)
    history = _run_history(stack["warehouse"], run_id)
    assert history["run"] == ("success", day)
    assert history["tasks"] == states


def test_a_task_failing_on_a_celery_worker_sends_its_alert_to_the_webhook(stack, webhook):
    """The failure callback runs where the task ran: on the worker, after its last try."""
    api = stack["api"]
    # a history run with half a range: every land task refuses it (KINERJA_TASK_RETRIES=0)
    logical_date = _latest_complete_interval_start(datetime.now(TIMEZONE)) - timedelta(days=1)
    run_id = api.trigger("kinerja_daily", logical_date, conf={"first_day": "2026-11-01"})

    state = api.wait_for_run("kinerja_daily", run_id, timeout=RUN_TIMEOUT_SECONDS)

    assert state == "failed"
    texts = webhook.wait_for(lambda t: "land_simulator failed" in t, timeout=60)
    [alert] = [t for t in texts if "land_simulator failed" in t and run_id in t]
    assert alert.startswith(
        f"*[Kinerja] kinerja_daily: task land_simulator failed (try 1 of 1) in run {run_id}*"
    )
    assert "ValueError: a history run needs both first_day and last_day" in alert
    assert f"/dags/kinerja_daily/runs/{quote(run_id)}/tasks/land_simulator" in alert
    assert "What to do:" in alert


def _run_history(warehouse, run_id: str, timeout: float = 60) -> dict:
    """ops.* of `run_id`, once its run row says it ended (the scheduler records it as it ends the run)."""
    from kinerja.warehouse import connect

    deadline = time.monotonic() + timeout
    with connect(warehouse, autocommit=True) as conn:
        while True:
            run = conn.execute(
                "select state, data_day from ops.dag_runs where dag_id = 'kinerja_daily' and run_id = %s",
                [run_id],
            ).fetchone()
            if (run and run[0] != "running") or time.monotonic() > deadline:
                break
            time.sleep(2)
        tasks = conn.execute(
            "select task_id, state from ops.task_runs where dag_id = 'kinerja_daily' and run_id = %s",
            [run_id],
        ).fetchall()
    return {"run": run, "tasks": dict(tasks)}
