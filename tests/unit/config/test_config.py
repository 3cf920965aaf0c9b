"""Settings: the warehouse's connection string keeps every libpq parameter, wherever it goes."""

from __future__ import annotations

import re

import pytest
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import make_url

from kinerja import config
from kinerja.config import PgParams, SettingError
from kinerja.sources.api.tokens import env_names, find_token
from support import REPO

TLS_URL = (
    "postgresql://kinerja:secret@warehouse.example:6432/kinerja"
    "?sslmode=verify-full&sslrootcert=/etc/kinerja/ca.pem&connect_timeout=5"
    "&application_name=kinerja-etl&options=-c%20statement_timeout%3D60s"
)


def _sqlalchemy_connect_args(url: str) -> dict:
    """What SQLAlchemy hands its driver for `url`: the parameters libpq gets."""
    parsed = make_url(url)
    _, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    return {key: str(value) for key, value in kwargs.items()}


def test_sslmode_options_and_every_libpq_parameter_survive_a_round_trip():
    params = PgParams.from_url(TLS_URL)
    assert (params.host, params.port, params.user, params.password, params.dbname) == (
        "warehouse.example",
        6432,
        "kinerja",
        "secret",
        "kinerja",
    )
    assert params.get("sslmode") == "verify-full"
    assert params.get("options") == "-c statement_timeout=60s"
    assert conninfo_to_dict(params.conninfo()) == conninfo_to_dict(TLS_URL)
    assert PgParams.from_url(params.conninfo()) == params
    assert PgParams.from_url(params.sqlalchemy_url("postgresql+psycopg2")) == params


def test_another_database_on_the_server_keeps_its_tls_and_options():
    airflow = PgParams.from_url(TLS_URL).with_dbname("airflow")
    assert airflow.dbname == "airflow"
    assert airflow.get("sslmode") == "verify-full" and airflow.get("sslrootcert") == "/etc/kinerja/ca.pem"


@pytest.mark.parametrize("password", ["p@ss", "a/b", "100%", "user:pw", "@/%:? #&=+ 'x'"])
def test_passwords_with_url_characters_work_percent_encoded(password):
    encoded = "".join(f"%{byte:02X}" for byte in password.encode())
    params = PgParams.from_url(f"postgresql://kinerja:{encoded}@db:5432/kinerja")
    assert params.password == password
    assert conninfo_to_dict(params.conninfo())["password"] == password
    assert _sqlalchemy_connect_args(params.sqlalchemy_url("postgresql+psycopg2"))["password"] == password


def test_a_socket_url_keeps_its_directory():
    params = PgParams.from_url("postgresql://postgres@/kinerja?host=/tmp/pg%20data")
    assert (params.host, params.port, params.user, params.dbname) == (
        "/tmp/pg data",
        5432,
        "postgres",
        "kinerja",
    )
    assert conninfo_to_dict(params.conninfo())["host"] == "/tmp/pg data"
    # pgserver's own form, an empty password
    embedded = PgParams.from_url("postgresql://postgres:@/postgres?host=/x/pgdata")
    assert (embedded.host, embedded.password, embedded.dbname) == ("/x/pgdata", "", "postgres")
    assert "password" not in conninfo_to_dict(embedded.conninfo())


@pytest.mark.parametrize(
    "url", [TLS_URL, "postgresql://postgres@/kinerja?host=/tmp/pg%20data&sslmode=disable"]
)
def test_the_airflow_metadata_url_is_a_sqlalchemy_url_for_the_same_server(url):
    params = PgParams.from_url(url)
    metadata_url = config.airflow_metadata_url(params.with_dbname("airflow"))
    parsed = make_url(metadata_url)
    assert parsed.drivername == "postgresql+psycopg2" and parsed.database == "airflow"
    expected = {**conninfo_to_dict(params.conninfo()), "dbname": "airflow"}
    assert _sqlalchemy_connect_args(metadata_url) == expected


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("localhost:5432/kinerja", 'missing "="'),
        ("postgresql://kinerja:50%off@db/kinerja", "percent-encoded"),
        ("postgresql://kinerja:p@ss@db/kinerja", "holds an '@'"),
        ("postgresql://db:port/kinerja", "not a number"),
        ("postgresql://db/kinerja?sslmod=require", "sslmod"),
        ("postgresql://db1,db2/kinerja", "several hosts"),
    ],
)
def test_a_bad_url_names_the_setting_and_what_to_write(monkeypatch, url, says):
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", url)
    with pytest.raises(SettingError) as error:
        config.warehouse_params()
    message = str(error.value)
    assert message.startswith("KINERJA_WAREHOUSE_URL") and says in message
    assert "postgresql://USER:PASSWORD@HOST:5432/DATABASE" in message


def test_an_unset_url_means_the_embedded_server(monkeypatch):
    monkeypatch.delenv("KINERJA_WAREHOUSE_URL", raising=False)
    assert config.warehouse_params() is None


def test_dbt_gets_every_parameter_profile_variables_or_libpq_variables():
    env = config.dbt_environment(PgParams.from_url(TLS_URL))
    assert env["KINERJA_PGHOST"] == "warehouse.example" and env["KINERJA_PGPORT"] == "6432"
    assert env["KINERJA_PGPASSWORD"] == "secret" and env["KINERJA_PGDATABASE"] == "kinerja"
    assert env["KINERJA_PGCONNECT_TIMEOUT"] == "5" and env["KINERJA_PGAPPNAME"] == "kinerja-etl"
    assert env["PGSSLMODE"] == "verify-full" and env["PGSSLROOTCERT"] == "/etc/kinerja/ca.pem"
    # the URL's session options, and no JIT in dbt's sessions after them
    assert env["PGOPTIONS"] == "-c statement_timeout=60s -c jit=off"
    assert env["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "False" and env["DBT_INDIRECT_SELECTION"] == "buildable"


def test_dbt_without_a_warehouse_url_still_runs_without_telemetry_and_jit():
    env = config.dbt_environment(None)
    assert env["PGOPTIONS"] == "-c jit=off" and env["DO_NOT_TRACK"] == "1"
    assert not any(name.startswith("KINERJA_PG") for name in env)


def test_the_dbt_profile_reads_every_variable_dbt_environment_sets():
    profile = (REPO / "dbt_project" / "profiles.yml").read_text()
    read = set(re.findall(r"env_var\('(\w+)'", profile))
    assert read == set(config.DBT_PROFILE_VARIABLES.values())


def test_api_token_names_are_built_from_their_parts():
    assert config.api_token_name("youtube") == "KINERJA_TOKEN_YOUTUBE"
    assert config.api_token_name("x", "KOTA_DENPASAR_X") == "KINERJA_TOKEN_X_KOTA_DENPASAR_X"
    assert env_names("x", "kota-denpasar-x") == ("KINERJA_TOKEN_X_KOTA_DENPASAR_X", "KINERJA_TOKEN_X")


def test_api_tokens_come_from_the_process_environment_by_default(monkeypatch):
    monkeypatch.setenv("KINERJA_TOKEN_TIKTOK_KAB_BADUNG_TT", "act.own")
    monkeypatch.delenv("AIRFLOW_CTX_DAG_ID", raising=False)
    token = find_token("tiktok", "kab-badung-tt")
    assert (token.value, token.where) == ("act.own", "env KINERJA_TOKEN_TIKTOK_KAB_BADUNG_TT")


def test_the_other_settings_are_read_by_config(monkeypatch):
    monkeypatch.setenv("KINERJA_BI_ROLE", "metabase_reader")
    monkeypatch.setenv("KINERJA_REGISTRY_CHANGED_BY", "Tim Data <data@kominfo.go.id>")
    monkeypatch.setenv("KINERJA_APPLICATION_NAME", "kinerja-cli")
    assert config.bi_role() == "metabase_reader"
    assert config.registry_changed_by() == "Tim Data <data@kominfo.go.id>"
    assert config.application_name() == "kinerja-cli"
    monkeypatch.delenv("KINERJA_BI_ROLE")
    monkeypatch.setenv("KINERJA_ROLE_PREFIX", "kinerja_")
    assert config.bi_role() == "kinerja_bi"


def test_roles_take_a_prefix_and_passwords_only_from_the_environment(monkeypatch):
    monkeypatch.setenv("KINERJA_ROLE_PREFIX", "ministry_")
    monkeypatch.delenv("KINERJA_BI_ROLE", raising=False)
    monkeypatch.delenv("KINERJA_BI_PASSWORD", raising=False)
    monkeypatch.delenv("KINERJA_ROLE_PASSWORD_BI", raising=False)
    assert (config.role_prefix(), config.bi_role()) == ("ministry_", "ministry_bi")
    assert config.role_password("prov_51") is None and config.role_password("bi") is None
    monkeypatch.setenv("KINERJA_ROLE_PASSWORD_PROV_51", "s3cret")
    monkeypatch.setenv("KINERJA_BI_PASSWORD", "other")
    assert (config.role_password("prov_51"), config.role_password("bi")) == ("s3cret", "other")
    for wrong in ("Kinerja", "x;drop role y", "1abc"):
        monkeypatch.setenv("KINERJA_ROLE_PREFIX", wrong)
        with pytest.raises(config.SettingError, match="KINERJA_ROLE_PREFIX"):
            config.role_prefix()
    monkeypatch.setenv("KINERJA_BI_STATEMENT_TIMEOUT", "1; drop")
    with pytest.raises(config.SettingError, match="KINERJA_BI_STATEMENT_TIMEOUT"):
        config.bi_statement_timeout()


def test_scorecard_languages_default_to_bahasa_and_keep_the_mail_language_first(monkeypatch):
    monkeypatch.delenv("KINERJA_SCORECARD_LANGUAGES", raising=False)
    assert config.scorecard_languages() == ("id",)
    monkeypatch.setenv("KINERJA_SCORECARD_LANGUAGES", " EN, id ,en")
    assert config.scorecard_languages() == ("en", "id")


@pytest.mark.parametrize("value", ["fr", "id,xx", " , "])
def test_a_scorecard_language_not_offered_is_refused_by_name(monkeypatch, value):
    monkeypatch.setenv("KINERJA_SCORECARD_LANGUAGES", value)
    with pytest.raises(
        config.SettingError, match="KINERJA_SCORECARD_LANGUAGES=.* write a comma-separated list of id, en"
    ):
        config.scorecard_languages()


def test_run_limits_come_from_the_environment_and_the_timeout_outlasts_the_expected_duration(monkeypatch):
    from datetime import timedelta

    monkeypatch.setenv("KINERJA_DAILY_RUN_EXPECTED_MINUTES", "90")
    monkeypatch.setenv("KINERJA_DAILY_RUN_TIMEOUT_MINUTES", "240")
    assert config.run_limits("daily") == config.RunLimits(timedelta(minutes=90), timedelta(minutes=240))
    monkeypatch.setenv("KINERJA_DAILY_RUN_TIMEOUT_MINUTES", "60")
    with pytest.raises(
        config.SettingError, match="must be longer than KINERJA_DAILY_RUN_EXPECTED_MINUTES=90"
    ):
        config.run_limits("daily")
    monkeypatch.setenv("KINERJA_TASK_TIMEOUT_MINUTES", "0")
    with pytest.raises(config.SettingError, match="KINERJA_TASK_TIMEOUT_MINUTES='0'"):
        config.task_timeout()
