"""Airflow's side of the alerts: the callbacks the DAG defaults wire.

Each callback turns what Airflow hands it into a kinerja.alerts builder's plain values and
sends the alert; none ever raises (a broken alert must not hide the failure it reports).
Where they run (Airflow 3.3): a task's failure callback in the task's own process (the
worker) after its last try; a DAG's failure callback in the dag-processor.

Airflow 3 has no SLA. A run past its expected duration is found by the watchdog in the run
history (kinerja.monitoring.overdue_runs), and its dagrun_timeout fails it. Not a
DeadlineAlert: in Airflow 3.3.2 a DAG with one breaks `dag.test()` at the end of every
successful run (dagrun.py reads the DAG's deadlines as ids and gets their definitions:
"can't adapt type 'dict'"), and `kinerja run` and the tests run DAGs with dag.test().

Why kinerja.mail and not the SMTP provider's SmtpNotifier: the notifier sends only through an
Airflow connection, so alerts would have a second set of mail settings and no outbox; every
message of the project goes through the one mail module (docs/architecture.md, "Alerts").
"""

from __future__ import annotations

import logging

from kinerja import alerts

log = logging.getLogger(__name__)


def on_task_failure(context) -> None:
    """`on_failure_callback` of every task: its last try failed (retries exhausted)."""
    try:
        alerts.send(task_failure_alert(context))
    except Exception:  # never raise from a callback: the task's failure must stay what is reported
        log.exception("the failure alert could not be built or sent")


def task_failure_alert(context) -> alerts.Alert:
    """The alert for a failed task: an audit's, the watchdog's, or any task's."""
    ti = context["ti"]
    exception = context.get("exception")
    where = {
        "dag_id": ti.dag_id,
        "task_id": ti.task_id,
        "run_id": ti.run_id,
        "log_url": getattr(ti, "log_url", None),
    }
    outcome = getattr(exception, "outcome", None)
    if outcome is not None and getattr(outcome, "failures", None):
        return alerts.audit_failed(**where, summary=str(exception), scope=_audit_scope(outcome.failures))
    late = getattr(exception, "late", None)
    if late:
        return alerts.landing_late(expected_day=exception.expected_day, platforms=late, as_of=str(ti.run_id))
    error = f"{type(exception).__name__}: {exception}" if exception else "none given (killed or timed out?)"
    retries = getattr(context.get("task"), "retries", 0) or 0
    return alerts.task_failed(
        **where,
        try_number=ti.try_number,
        max_tries=max(getattr(ti, "max_tries", 0) or 0, retries + 1, ti.try_number),
        error=error,
    )


def _audit_scope(failures) -> list[tuple[str, str]]:
    """The failing rows' institutions (named from the registry when the warehouse answers) and days."""
    from kinerja.warehouse import connect, ensure_warehouse

    try:
        with connect(ensure_warehouse(), autocommit=True) as conn:
            return alerts.audit_scope(failures, conn)
    except Exception:  # ids instead of names: the alert still goes
        log.exception("the registry's names of the failing rows could not be read")
        return alerts.audit_scope(failures)


def on_dag_failure(context) -> None:
    """A DAG's `on_failure_callback`: alerts a run stopped by its dagrun_timeout.

    A run failed by a task has had that task's alert already.
    """
    try:
        if context.get("reason") != "timed_out":
            return
        run = context.get("dag_run")
        dag = context.get("dag")
        alerts.send(
            alerts.run_timed_out(
                dag_id=getattr(run, "dag_id", None) or getattr(dag, "dag_id", "?"),
                run_id=getattr(run, "run_id", None) or context.get("run_id") or "?",
                timeout=getattr(dag, "dagrun_timeout", None),
                reason=str(context.get("reason")),
            )
        )
    except Exception:
        log.exception("the timeout alert could not be built or sent")
