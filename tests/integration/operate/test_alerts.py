"""Alerts (kinerja.alerts, kinerja.orchestration.alerting) delivered to a local SMTP server and a
local chat webhook on 127.0.0.1, with their content checked; the watchdog's alert through a
real DAG run (`dag.test()`), where the task's failure callback fires.

The failure alert through the real scheduler and a Celery worker is in test_compose_stack.py;
the crisis signal's alert on built reports in tests/integration/models/test_reports_crisis_region.py;
the audit's institutions and days on a failed build audit in tests/integration/publish/test_publish.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from alert_receivers import Mailbox, WebhookRecorder
from kinerja import alerts, config
from kinerja.orchestration import alerting, services

pytestmark = pytest.mark.integration

TEAM = "data-team@kominfo.example.org"


@pytest.fixture
def receivers(airflow_pipeline, tmp_path, monkeypatch):
    """A local SMTP server and webhook, and the settings that send alerts to both (Airflow configured first)."""
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=services.free_port())
    smtp.start()
    with WebhookRecorder() as hook:
        for name, value in {
            "KINERJA_ALERT_EMAIL_TO": f"{TEAM}, oncall@kominfo.example.org",
            "KINERJA_ALERT_WEBHOOK_URL": hook.url,
            "KINERJA_SMTP_HOST": "127.0.0.1",
            "KINERJA_SMTP_PORT": str(smtp.port),
            "KINERJA_SMTP_TLS": "none",
            "KINERJA_MAIL_OUTBOX": str(tmp_path / "outbox"),
        }.items():
            monkeypatch.setenv(name, value)
        yield box, hook
    smtp.stop()


class _TaskInstance:
    """What Airflow 3.3 hands a task's failure callback as context["ti"] (RuntimeTaskInstance)."""

    dag_id, task_id, run_id = "kinerja_daily", "land_api", "scheduled__2026-11-03T23:00:00+00:00"
    try_number, max_tries = 3, 2
    log_url = (
        "http://127.0.0.1:8080/dags/kinerja_daily/runs/scheduled__2026-11-03/tasks/land_api?try_number=3"
    )


def test_a_failed_task_is_mailed_and_posted_with_what_broke_and_what_to_do(receivers):
    box, hook = receivers
    error = RuntimeError("facebook: no account delivered; see raw.source_problems")

    alerting.on_task_failure({"ti": _TaskInstance(), "exception": error, "task": None})

    [(recipients, message)] = box.messages
    assert recipients == [TEAM, "oncall@kominfo.example.org"]
    assert message["Subject"] == (
        "[Kinerja] kinerja_daily: task land_api failed (try 3 of 3) in run "
        "scheduled__2026-11-03T23:00:00+00:00"
    )
    assert message["X-Kinerja-Alert"] == "task_failed"
    body = message.get_content()
    for fact in (
        "DAG: kinerja_daily",
        "Task: land_api",
        "Try: 3 of 3: retries exhausted",
        f"Log: {_TaskInstance.log_url}",
        "What to do: read the error below and the log; raw.source_problems names each account",
        "clear the task and its downstream tasks",
        "Error: RuntimeError: facebook: no account delivered",
    ):
        assert fact in body, fact
    [(path, payload)] = hook.requests
    assert path == "/hooks/kinerja-secret-key" and set(payload) == {"text"}
    assert payload["text"].startswith("*[Kinerja] kinerja_daily: task land_api failed (try 3 of 3)")
    assert "What to do:" in payload["text"] and "Error: RuntimeError" in payload["text"]


def test_an_undeliverable_alert_is_logged_and_does_not_raise(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("KINERJA_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{services.free_port()}/hook")
    monkeypatch.setenv("KINERJA_ALERT_EMAIL_TO", TEAM)
    monkeypatch.delenv("KINERJA_SMTP_HOST", raising=False)
    monkeypatch.setenv("KINERJA_MAIL_OUTBOX", str(tmp_path / "outbox"))
    alert = alerts.run_timed_out(
        dag_id="kinerja_daily", run_id="r1", timeout=timedelta(hours=12), reason="timed_out"
    )

    delivered = alerts.send(alert)

    # no SMTP server set: the one mail module writes the alert to the outbox, like every message
    [eml] = list((tmp_path / "outbox").iterdir())
    assert delivered == [str(eml)] and "stopped by its timeout (12:00:00)" in eml.read_text()
    assert "could not be posted to KINERJA_ALERT_WEBHOOK_URL" in caplog.text


def test_a_run_past_its_expected_duration_is_alerted_once_by_the_watchdog(receivers, warehouse, monkeypatch):
    from kinerja.tasks.monitoring import watch_run_durations
    from kinerja.warehouse import connect
    from kinerja.warehouse.run_history import DagRunEvent, record_dag_run

    box, hook = receivers
    now = datetime(2026, 11, 4, 10, tzinfo=UTC)
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    # the run history as the listener writes it when runs start (and end)
    with connect(warehouse) as conn:
        for dag_id, run_id, state, started in (
            ("kinerja_daily", "scheduled__2026-11-02", "running", now - timedelta(hours=3)),
            ("kinerja_daily", "manual__fine", "running", now - timedelta(minutes=30)),
            # the monthly run waits days for the data cut-off: expected
            ("kinerja_monthly", "scheduled__2026-10-01", "running", now - timedelta(days=2)),
            ("kinerja_watchdog", "scheduled__done", "success", now - timedelta(hours=5)),
        ):
            record_dag_run(conn, DagRunEvent(dag_id, run_id, state, started_at=started))

    first = watch_run_durations(now)
    again = watch_run_durations(now)  # the next hour's watchdog: not told twice

    assert first == {
        "overdue": ["kinerja_daily:scheduled__2026-11-02"],
        "alerted": ["kinerja_daily:scheduled__2026-11-02"],
    }
    assert again == {"overdue": ["kinerja_daily:scheduled__2026-11-02"], "alerted": []}
    [text] = hook.texts()
    assert text.startswith(
        "*[Kinerja] kinerja_daily: run scheduled__2026-11-02 is taking longer than expected (2:00:00)*"
    )
    assert "Timeout: 12:00:00: the run is failed then" in text and "one-slot `dbt` pool" in text
    assert [m["X-Kinerja-Alert"] for _, m in box.messages] == ["run_overdue"]


def test_tokens_refused_or_about_to_expire_are_alerted_once_a_day(receivers, conn, monkeypatch):
    box, hook = receivers
    today, day = date(2026, 11, 4), date(2026, 11, 3)
    conn.execute(
        "insert into raw.source_problems (data_day, source, platform, account_id, kind, message) values "
        "(%s, 'api', 'facebook', 'demo-kab-5101-facebook', 'token_expired', "
        "'Facebook account demo-kab-5101-facebook (@x): the access token was rejected')",
        [day],
    )
    monkeypatch.setenv("KINERJA_TOKEN_EXPIRES_YOUTUBE", "2026-11-09")  # within the 7 days' warning
    monkeypatch.setenv("KINERJA_TOKEN_EXPIRES_TIKTOK", "2027-01-01")  # far off: not told

    states = alerts.token_states(conn, [day], today, warning_days=7)
    alert = alerts.token_expiry(today, states, 7)
    alerts.send(alert)

    assert [(s.platform, s.account_id, s.state) for s in states] == [
        ("facebook", "demo-kab-5101-facebook", "rejected"),
        ("youtube", None, "expiring"),
    ]
    [text] = hook.texts()
    assert text.startswith("*[Kinerja] API tokens: 1 expiring, 1 rejected (warning 7 days ahead)*")
    assert "youtube (platform token): expiring on 2026-11-09: KINERJA_TOKEN_YOUTUBE" in text
    assert "facebook demo-kab-5101-facebook: rejected for the data day 2026-11-03" in text
    assert "renew each token at its platform" in box.messages[0][1].get_content()
    # ops.alerts_sent: a second run of the day does not send them again
    keys = [f"{s.platform}:{s.account_id}:{s.state}:{s.when}:{today}" for s in states]
    assert alerts.not_sent_before(conn, "token_expiry", keys) == set(keys)
    assert alerts.not_sent_before(conn, "token_expiry", keys) == set()


def test_the_watchdog_alerts_its_missing_days_through_a_dag_run(receivers, warehouse, monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    from kinerja.orchestration.dag_defaults import TIMEZONE

    box, hook = receivers
    # a warehouse of its own (the registry, no landed day): the run history test counts its runs
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    watchdog = DagBag(dag_folder=str(config.dags_dir())).get_dag("kinerja_watchdog")

    run = watchdog.test(logical_date=datetime(2026, 11, 5, 13, tzinfo=TIMEZONE))

    assert {ti.task_id: ti.state for ti in run.get_task_instances()}["landing_completeness"] == "failed"
    landing = [t for t in hook.texts() if "Watchdog:" in t]
    assert landing, hook.texts()
    text = landing[0]
    # 13:00 WIB on 5 November: the days up to 3 November are due, none landed
    assert text.startswith("*[Kinerja] Watchdog: 3 day(s) up to 2026-11-03 have not landed")
    assert "instagram: last landed day never; missing 2026-11-01 (0 of" in text
    assert "trigger or clear the run of each missing day" in text
    assert any(m["X-Kinerja-Alert"] == "landing_late" for _, m in box.messages)


def test_a_run_stopped_by_its_timeout_is_alerted_and_a_run_failed_by_a_task_is_not_again(receivers):
    from types import SimpleNamespace

    box, hook = receivers
    run = SimpleNamespace(dag_id="kinerja_daily", run_id="scheduled__2026-11-02")
    dag = SimpleNamespace(dag_id="kinerja_daily", dagrun_timeout=timedelta(hours=12))

    # what the dag-processor hands a DAG's failure callback (airflow/dag_processing/processor.py)
    alerting.on_dag_failure({"reason": "task_failure", "dag_run": run, "dag": dag})
    # the minimal context names the run by id only
    alerting.on_dag_failure({"reason": "timed_out", "run_id": run.run_id, "dag": dag})

    [text] = hook.texts()  # the task's own alert told the first
    assert text.startswith(
        "*[Kinerja] kinerja_daily: run scheduled__2026-11-02 was stopped by its timeout (12:00:00)*"
    )
    assert "KINERJA_<DAG>_RUN_TIMEOUT_MINUTES" in text
    assert [m["X-Kinerja-Alert"] for _, m in box.messages] == ["run_timed_out"]
