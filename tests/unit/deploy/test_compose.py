"""docker-compose.yml: valid under the Compose Specification, and in agreement with the project.

No container engine runs here: the file is checked against the Compose Specification's JSON
schema (the copy check-jsonschema bundles, pinned in requirements.lock), against the
settings kinerja.config reads, against the Dockerfile and .env.example, and against the
service table of docs/runbook.md. tests/integration/operate/ runs its Airflow commands.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources

import jsonschema
import pytest
import yaml

from kinerja import config
from support import REPO

COMPOSE_FILE = REPO / "docker-compose.yml"
AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-api-server",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
)
# Variables compose fills in from .env (`${NAME}`, `${NAME:-default}`, `${NAME:?message}`)
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendored.joinpath("compose-spec.json").read_text())


def _schema_errors(document: dict, schema: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_compose_file_is_valid_under_the_compose_specification(compose, compose_schema):
    assert compose_schema["title"] == "Compose Specification"
    assert _schema_errors(compose, compose_schema) == []


def test_the_second_machine_s_worker_file_is_valid_and_adds_to_the_worker_only(compose, compose_schema):
    override = yaml.safe_load((REPO / "deploy" / "compose.worker-machine.yml").read_text())

    assert _schema_errors(override, compose_schema) == []
    assert set(override["services"]) == {"airflow-worker"}
    assert "ports" not in compose["services"]["airflow-worker"]  # scaled on one machine, no port clash
    assert override["services"]["airflow-worker"]["ports"] == ["8793:8793"]


def test_the_schema_check_catches_a_misspelt_key(compose, compose_schema):
    broken = copy.deepcopy(compose)
    broken["services"]["airflow-scheduler"]["healthcheck"]["intervall"] = "10s"
    broken["services"]["redis"]["restart"] = ["always"]

    errors = _schema_errors(broken, compose_schema)
    assert any("intervall" in error for error in errors)
    assert any(error.startswith("services/redis/restart") for error in errors)


def _settings_config_reads() -> set[str]:
    """The KINERJA_* names in kinerja/config.py, the one module that reads the environment.

    A name used as a prefix (`KINERJA_TOKEN` of KINERJA_TOKEN_<PLATFORM>) covers the names it starts.
    """
    source = (REPO / "plugins" / "kinerja" / "config.py").read_text()
    return {name.rstrip("_") for name in re.findall(r"KINERJA_[A-Z0-9_]+", source)}


def _read_by_config(name: str, known: set[str]) -> bool:
    return any(name == k or name.startswith(k + "_") for k in known)


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_every_kinerja_variable_the_stack_names_is_a_setting_config_reads(compose):
    known = _settings_config_reads()
    set_in_containers = {name for s in compose["services"].values() for name in _environment(s)}
    interpolated = {m.group(1) for m in INTERPOLATION.finditer(COMPOSE_FILE.read_text())}
    example = {line.split("=", 1)[0] for line in _env_example_lines()}

    named = {n for n in set_in_containers | interpolated | example if n.startswith("KINERJA_")}
    assert named, "the stack names no KINERJA_ setting at all"
    assert sorted(n for n in named if not _read_by_config(n, known)) == []


def test_every_airflow_process_gets_the_settings_a_deployment_must_set(compose):
    for name in AIRFLOW_SERVICES:
        env = _environment(compose["services"][name])
        missing = [setting for setting in config.PRODUCTION_SETTINGS if not env.get(setting)]
        assert missing == [], f"{name} lacks {missing}"
        # the one owner of the warehouse's address: a value from .env, never written here
        assert env[config.WAREHOUSE_URL_ENV].startswith("${KINERJA_WAREHOUSE_URL")


def test_every_airflow_process_shares_the_jwt_secret_the_execution_api_and_the_executor(compose):
    shared = (
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "AIRFLOW__CELERY__BROKER_URL",
        "AIRFLOW__CORE__EXECUTOR",
        "AIRFLOW__CORE__AUTH_MANAGER",
    )
    values = {
        name: {k: _environment(compose["services"][name]).get(k) for k in shared} for name in AIRFLOW_SERVICES
    }
    first = values[AIRFLOW_SERVICES[0]]
    assert all(first[k] for k in shared), first
    assert all(v == first for v in values.values())
    assert first["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert "SimpleAuthManager" not in first["AIRFLOW__CORE__AUTH_MANAGER"]
    assert first["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith(":8080/execution/")


def test_every_long_running_service_restarts_and_reports_its_health(compose):
    for name, service in compose["services"].items():
        if service.get("restart") == "no":  # one-shot: init and set-up
            continue
        assert service.get("restart") in ("always", "unless-stopped"), name
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    named_volumes = set(compose["volumes"])
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith("./") or source in named_volumes, f"{name}: {volume}"


def _runbook_service_table() -> dict[str, dict[str, str]]:
    """The rows of the service table in docs/runbook.md, "The production stack"."""
    text = (REPO / "docs" / "runbook.md").read_text()
    section = text.split("## The production stack", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 4 and cells[0] not in ("service", "---"):
            rows[cells[0]] = {"command": cells[1].strip("`"), "port": cells[2]}
    return rows


def test_the_runbook_lists_every_service_with_its_command_and_port(compose):
    table = _runbook_service_table()
    assert set(table) == set(compose["services"])
    for name, service in compose["services"].items():
        command = service.get("command") or service.get("entrypoint")
        if name.startswith("airflow-") and name != "airflow-init":
            # the official image's entrypoint runs `airflow <command>`
            assert table[name]["command"] == "airflow " + " ".join(command), name
        ports = [str(p).split(":")[-1] for p in service.get("ports", [])]
        assert table[name]["port"] == ", ".join(ports), name


def test_the_documented_ports_are_the_published_ones(compose):
    published = {
        name: [str(p) for p in service.get("ports", [])] for name, service in compose["services"].items()
    }
    assert published["airflow-api-server"] == ["${KINERJA_AIRFLOW_PORT:-8080}:8080"]
    readme = (REPO / "README.md").read_text()
    assert "http://HOST:8080" in readme and "http://HOST:3000" in readme
    assert published["metabase"] == ["${METABASE_PORT:-3000}:3000"]


def _env_example_lines() -> list[str]:
    lines = (REPO / ".env.example").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_env_example_sets_every_required_variable_and_holds_no_secret():
    example = dict(line.split("=", 1) for line in _env_example_lines())
    required = {m.group(1) for m in INTERPOLATION.finditer(COMPOSE_FILE.read_text()) if m.group(2) == ":?"}
    assert required and sorted(required - set(example)) == []
    secrets = [name for name in example if re.search(r"PASSWORD|SECRET|KEY", name)]
    assert secrets
    for name in secrets:
        assert example[name] == "CHANGE_ME", f"{name} in .env.example must be CHANGE_ME"
    for name, value in example.items():
        if name.endswith("_URL"):
            assert ":CHANGE_ME@" in value, f"{name} must carry the CHANGE_ME placeholder as password"


def test_the_image_is_the_official_airflow_of_the_lock_with_telemetry_off():
    dockerfile = (REPO / "Dockerfile").read_text()
    lock = (REPO / "requirements.lock").read_text()
    airflow_version = re.search(r"^apache-airflow==(\S+)$", lock, re.MULTILINE).group(1)

    base = re.search(r"^FROM (\S+)", dockerfile, re.MULTILINE).group(1)
    assert base == f"apache/airflow:slim-{airflow_version}-python3.11"
    assert "--requirement /opt/kinerja/requirements.lock" in dockerfile
    env = dict(re.findall(r"^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]+)=(\S+?)\s*\\?$", dockerfile, re.MULTILINE))
    for name, value in config.TELEMETRY_OFF.items():
        assert env.get(name) == value, f"the image must set {name}={value}"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/kinerja/dags"


ROLE_PASSWORDS_FILE = "./role-passwords.env"
# the processes that create the roles (airflow-init; the daily DAG's apply_roles runs on a
# worker) and the one that connects Metabase as them
ROLE_PASSWORD_READERS = ("airflow-init", "airflow-worker", "metabase-setup")


def _env_files(service: dict) -> list[dict]:
    files = service.get("env_file") or []
    return [{"path": f, "required": True} if isinstance(f, str) else f for f in files]


def test_the_services_that_create_roles_or_connect_metabase_get_every_role_password(compose):
    for name, service in compose["services"].items():
        files = _env_files(service)
        env = _environment(service)
        if name not in ROLE_PASSWORD_READERS:
            assert files == [] and config.BI_PASSWORD_ENV not in env, f"{name} needs no role password"
            continue
        # optional: without it the province roles stay NOLOGIN and the stack still starts
        assert files == [{"path": ROLE_PASSWORDS_FILE, "required": False}], name
        assert env[config.BI_PASSWORD_ENV].startswith("${KINERJA_BI_PASSWORD:?"), name
        assert env[config.ROLE_PREFIX_ENV] == "${KINERJA_ROLE_PREFIX:-kinerja_}", name
        assert env[config.BI_ROLE_ENV] == "${KINERJA_BI_ROLE:-kinerja_bi}", name
    assert "role-passwords.env" in (REPO / ".gitignore").read_text().splitlines()


def test_the_generated_role_passwords_give_every_province_a_login_and_a_metabase_connection(
    monkeypatch, tmp_path
):
    import importlib.util

    from kinerja.registry.load import read_institutions
    from kinerja.warehouse.roles import province_passwords_env_file, read_env_file, registry_province_codes

    # the shipped registry's 38 provinces, whatever registry an earlier test of this process set
    monkeypatch.delenv("KINERJA_REGISTRY_DIR", raising=False)
    codes = registry_province_codes(config.registry_dir())
    provinces = {
        i["province_code"] for i in read_institutions(config.registry_dir()) if i["peer_group"] == "provinsi"
    }
    assert codes == sorted(provinces) and len(codes) == 38
    text, added = province_passwords_env_file(codes, {})
    passwords = read_env_file(text)
    assert len(added) == 38 and set(passwords) == set(added)
    assert len(set(passwords.values())) == 38 and all(len(p) == 48 for p in passwords.values())

    # what compose hands the services: every name is one kinerja.config reads
    known = _settings_config_reads()
    assert sorted(n for n in passwords if not _read_by_config(n, known)) == []
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", "postgresql://kinerja:secret@warehouse.example:5432/kinerja")
    monkeypatch.setenv(config.BI_PASSWORD_ENV, "bi-secret")
    for name, value in passwords.items():
        monkeypatch.setenv(name, value)
    assert config.role_password("prov_51") == passwords["KINERJA_ROLE_PASSWORD_PROV_51"]
    spec = importlib.util.spec_from_file_location("metabase_setup", REPO / "deploy" / "metabase_setup.py")
    setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup)
    users = [database["details"]["user"] for database in setup.reader_databases()]
    assert users == [config.bi_role()] + [f"{config.role_prefix()}prov_{code}" for code in codes]

    # completing a file keeps every password it holds (the roles have them) and adds the missing
    kept = {name: passwords[name] for name in list(passwords)[:5]}
    completed, added_again = province_passwords_env_file(codes, kept)
    assert len(added_again) == 33 and read_env_file(completed).items() >= kept.items()
