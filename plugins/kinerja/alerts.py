"""Alerts that say what broke and what to do, sent by mail and to a chat webhook.

Plain functions build an `Alert` from plain values (no Airflow here: the callbacks in
kinerja.orchestration.alerting take what Airflow hands them and call these); `send` delivers
it to the settings' recipients through kinerja.mail (SMTP, or the outbox folder when no
server is set) and POSTs `{"text": ...}`, the JSON Slack's and Mattermost's incoming
webhooks accept, to `KINERJA_ALERT_WEBHOOK_URL`.

Each alert names what broke (DAG, task, run, institution, platform, day), and the action
that fixes it; docs/runbook.md, "Alerts", has a section for each kind.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg

from kinerja import config, mail

log = logging.getLogger(__name__)

RUNBOOK = "docs/runbook.md"
# The most institutions, accounts or tokens an alert lists by name; the rest are counted.
LISTED = 20


@dataclass(frozen=True)
class Alert:
    """One alert: a subject line, the facts of what broke, what to do, and details (an error)."""

    kind: str  # task_failed, audit_failed, crisis_signal, landing_late, token_expiry, run_overdue, run_timed_out
    subject: str
    facts: tuple[tuple[str, str], ...]
    what_to_do: str
    details: str = ""

    def text(self) -> str:
        lines = [self.subject, "", *(f"{label}: {value}" for label, value in self.facts)]
        lines += ["", f"What to do: {self.what_to_do}"]
        if self.details:
            lines += ["", self.details]
        return "\n".join(lines)

    def webhook_payload(self) -> dict:
        """`{"text": ...}`: the first line bold in Slack's and Mattermost's markup."""
        body = self.text().split("\n", 1)[1]
        return {"text": f"*[Kinerja] {self.subject}*\n{body.strip()}"}


def _listed(items: Sequence[str], limit: int = LISTED) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- Airflow: a task that failed for good, a run too long ----------------------------------

# What to look at first when one of these tasks fails, besides its log.
TASK_HINTS = {
    "sync_registry": "the registry files named in the error (file, line, column) need fixing.",
    "audit_registry": "the registry rows named in the error break a rule; fix the registry files.",
    "land_api": "raw.source_problems names each account whose token or quota failed.",
    "land_filedrop": "raw.filedrop_files says what became of each dropped file.",
    "dbt_build": "ops.dbt_node_results names each model or test that failed.",
    "publish": "nothing was published; the build schema is left as it was for a look.",
    "deliver_scorecards": "`kinerja scorecards status` lists each message's state.",
    "wait_for_data_cut_off": "the triggerer must be running (`kinerja airflow status`).",
}


def task_failed(
    *,
    dag_id: str,
    task_id: str,
    run_id: str,
    try_number: int,
    max_tries: int,
    log_url: str | None,
    error: str,
) -> Alert:
    """A task that failed its last try (retries exhausted): the run stops at it."""
    hint = TASK_HINTS.get(task_id.split(".")[-1], "")
    return Alert(
        kind="task_failed",
        subject=f"{dag_id}: task {task_id} failed (try {try_number} of {max_tries}) in run {run_id}",
        facts=(
            ("DAG", dag_id),
            ("Task", task_id),
            ("Run", run_id),
            ("Try", f"{try_number} of {max_tries}: retries exhausted"),
            ("Log", log_url or "the task's log in the Airflow UI"),
        ),
        what_to_do=(
            f"read the error below and the log{'; ' + hint if hint else '.'} Fix the cause, then clear "
            f"the task and its downstream tasks in the Airflow UI (every task may run again: the "
            f"warehouse ends the same). See {RUNBOOK}, 'A task failed'."
        ),
        details=f"Error: {error}",
    )


def run_overdue(
    *, dag_id: str, run_id: str, started: datetime | str | None, expected: timedelta, timeout: timedelta
) -> Alert:
    """A DAG run still going past its expected duration (a deadline missed; Airflow 3 has no SLA)."""
    return Alert(
        kind="run_overdue",
        subject=f"{dag_id}: run {run_id} is taking longer than expected ({expected})",
        facts=(
            ("DAG", dag_id),
            ("Run", run_id),
            ("Queued at", str(started or "unknown")),
            ("Expected duration", str(expected)),
            ("Timeout", f"{timeout}: the run is failed then"),
        ),
        what_to_do=(
            "open the run's grid in the Airflow UI: a task running for long (a dbt build waiting on a "
            "lock, an API rate limit) or one queued (no free worker, or the one-slot `dbt` pool held by "
            "another run's build). A run that ends fine needs nothing; one that hangs: mark the stuck task "
            f"failed and clear it. See {RUNBOOK}, 'A run is taking longer than expected'."
        ),
    )


def run_timed_out(*, dag_id: str, run_id: str, timeout: timedelta | None, reason: str) -> Alert:
    """A DAG run failed by its dagrun_timeout: its unfinished tasks were stopped."""
    return Alert(
        kind="run_timed_out",
        subject=f"{dag_id}: run {run_id} was stopped by its timeout ({timeout})",
        facts=(("DAG", dag_id), ("Run", run_id), ("Timeout", str(timeout)), ("Airflow says", reason)),
        what_to_do=(
            "the tasks that had not finished were stopped and did not publish. Find the slow task in "
            "the run's grid, fix its cause, then clear the run's failed and unfinished tasks (or raise "
            f"KINERJA_<DAG>_RUN_TIMEOUT_MINUTES for a long history run). See {RUNBOOK}, 'A run timed out'."
        ),
    )


# --- audits --------------------------------------------------------------------------------


def audit_failed(
    *,
    dag_id: str,
    task_id: str,
    run_id: str,
    log_url: str | None,
    summary: str,
    scope: Sequence[tuple[str, str]],
) -> Alert:
    """A failed audit of a build: which institutions and days, and that nothing was published.

    `scope`: (institution, day) of every failing row (audit_scope), institution as named in
    the registry where known.
    """
    institutions = sorted({who for who, _ in scope})
    days = sorted({day for _, day in scope})
    return Alert(
        kind="audit_failed",
        subject=(
            f"{dag_id}: audit failed for {len(institutions)} institution(s) on {len(days)} day(s); "
            f"nothing was published"
            if scope
            else f"{dag_id}: audit failed; nothing was published"
        ),
        facts=(
            ("DAG", dag_id),
            ("Task", task_id),
            ("Run", run_id),
            ("Institutions", _listed(institutions) or "the table as a whole"),
            ("Days", _listed(days) or "-"),
            ("Log", log_url or "the task's log in the Airflow UI"),
        ),
        what_to_do=(
            "Metabase and the scorecards still show what was published before. Look at the failing "
            "rows named below (audit.validation_results, the Data Docs page), fix their source (a "
            "registry row, a dropped file, a connector), re-land the days if needed, then clear "
            f"dbt_build and what follows. See {RUNBOOK}, 'An audit failed'."
        ),
        details=summary,
    )


def audit_scope(failures: Iterable, conn: psycopg.Connection | None = None) -> list[tuple[str, str]]:
    """(institution, day) of the failing rows of a table audit's failures (kinerja.quality Failure.keys).

    A row keyed by account is named by its institution in the registry when `conn` is given.
    """
    pairs = set()
    for failure in failures:
        for key in getattr(failure, "keys", []):
            who = key.get("institution_id") or key.get("account_id")
            day = key.get("metric_date") or key.get("month") or key.get("day")
            if who is not None:
                pairs.add((str(who), str(day) if day is not None else "-"))
    if conn is None:
        return sorted(pairs)
    names = _institutions_of(conn, sorted({who for who, _ in pairs}))
    return sorted({(names.get(who, who), day) for who, day in pairs})


def _institutions_of(conn: psycopg.Connection, ids: list[str]) -> dict[str, str]:
    """account or institution id -> 'Name (institution_id)' from the registry's current rows."""
    rows = conn.execute(
        """
        select coalesce(a.account_id, i.institution_id), i.name || ' (' || i.institution_id || ')'
        from registry.institutions i
        left join registry.accounts a on a.institution_id = i.institution_id and a.account_id = any(%(ids)s)
        where (a.account_id is not null or i.institution_id = any(%(ids)s)) and i.valid_to is null
        """,
        {"ids": ids},
    ).fetchall()
    return dict(rows)


# --- crisis signals ------------------------------------------------------------------------

_CRISIS = """
select
    s.account_id, s.platform, a.handle, i.institution_id, i.name,
    s.severity, s.signals_fired, s.comments, s.comments_baseline_mean, s.angry, s.angry_baseline_mean,
    s.reply_share_24h, s.reply_share_baseline_mean
from reports.rpt_crisis_signals_daily s
left join registry.accounts a
    on a.account_id = s.account_id and a.valid_from <= s.metric_date
    and (a.valid_to is null or s.metric_date <= a.valid_to)
left join registry.institutions i
    on i.institution_id = a.institution_id and i.valid_from <= s.metric_date
    and (i.valid_to is null or s.metric_date <= i.valid_to)
where s.metric_date = %(day)s and s.severity = any(%(severities)s)
order by s.severity = 'critical' desc, i.institution_id, s.platform, s.account_id
"""
# 'watch' (one signal alone, often a viral post) stays in the report; two or more signals alert.
ALERTING_SEVERITIES = ("alert", "critical")


def crisis_signals_of(conn: psycopg.Connection, day: date) -> list[dict]:
    """The published crisis signals of `day` that alert (reports.rpt_crisis_signals_daily), with names."""
    cursor = conn.execute(_CRISIS, {"day": day, "severities": list(ALERTING_SEVERITIES)})
    columns = [c.name for c in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _moved(signal: dict) -> str:
    """What moved on the day against the 7-day baseline, per signal fired."""
    parts = []
    fired = (signal.get("signals_fired") or "").split(",")
    if "comments" in fired:
        parts.append(
            f"comments {signal['comments']} (7-day mean {_number(signal['comments_baseline_mean'])})"
        )
    if "anger" in fired:
        parts.append(
            f"angry reactions {signal['angry']} (7-day mean {_number(signal['angry_baseline_mean'])})"
        )
    if "reply_collapse" in fired:
        parts.append(
            f"replies within 24 h {_share(signal['reply_share_24h'])} of comments "
            f"(7-day mean {_share(signal['reply_share_baseline_mean'])})"
        )
    return "; ".join(parts) or str(signal.get("signals_fired"))


def _number(value) -> str:
    return "-" if value is None else f"{float(value):.0f}"


def _share(value) -> str:
    return "-" if value is None else f"{float(value):.0%}"


def crisis_signals(day: date, signals: Sequence[dict]) -> Alert | None:
    """The day's crisis signals (institution, platform, what moved); None when there are none."""
    if not signals:
        return None
    institutions = {s.get("institution_id") or s["account_id"] for s in signals}
    facts = tuple(
        (
            f"{s['severity'].upper()} {s.get('name') or '?'} ({s.get('institution_id') or '?'})",
            f"{s['platform']} @{s.get('handle') or s['account_id']}: {_moved(s)}",
        )
        for s in signals[:LISTED]
    )
    more = (
        (("More", f"{len(signals) - LISTED} more accounts in the report"),) if len(signals) > LISTED else ()
    )
    return Alert(
        kind="crisis_signal",
        subject=f"Crisis signals on {day}: {len(signals)} account(s) of {len(institutions)} institution(s)",
        facts=(("Day", day.isoformat()), *facts, *more),
        what_to_do=(
            "tell each institution's social-media team (the registry's scorecard_email) what moved, "
            "so that they look at their comments today; the day's judgement, baseline and thresholds "
            "of every account are in reports.rpt_crisis_signals_daily (Metabase). See "
            f"{RUNBOOK}, 'Crisis signals'."
        ),
    )


# --- the watchdog ----------------------------------------------------------------------------


def landing_late(*, expected_day: date, platforms: Sequence, as_of: str) -> Alert:
    """The watchdog's missing or late days: per platform, its last landed day and the days missing.

    `platforms`: kinerja.monitoring.PlatformLanding with missing days.
    """
    facts = tuple((p.platform, p.sentence().split(": ", 1)[1]) for p in platforms)
    days = sorted({str(day) for p in platforms for day, *_ in p.missing_days})
    return Alert(
        kind="landing_late",
        subject=f"Watchdog: {len(days)} day(s) up to {expected_day} have not landed ({_listed(days, 5)})",
        facts=(("As of", as_of), ("Due by now", f"every day up to {expected_day}"), *facts),
        what_to_do=(
            "check in the Airflow UI that kinerja_daily is not paused and that its runs of these days "
            "exist and succeeded (a failed land_* task says why); trigger or clear the run of each "
            "missing day (landing is idempotent), or a history run for a range; then `kinerja watchdog`. "
            f"See {RUNBOOK}, 'The watchdog failed'."
        ),
    )


# --- API tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenState:
    platform: str
    account_id: str | None  # None: the platform-wide token
    state: str  # expired, expiring, rejected, missing
    when: str  # the expiry day, or the data day the platform refused it
    where: str  # the setting or connection that holds it, or the problem's sentence


def token_states(
    conn: psycopg.Connection | None, days: Sequence[date], today: date, warning_days: int
) -> list[TokenState]:
    """Tokens the platforms refused on `days` (raw.source_problems) and those expiring within `warning_days`."""
    states = []
    if conn is not None and days:
        rows = conn.execute(
            """
            select platform, account_id, kind, max(data_day), min(message)
            from raw.source_problems
            where data_day = any(%(days)s) and kind in ('token_expired', 'token_missing')
            group by 1, 2, 3 order by 1, 2
            """,
            {"days": list(days)},
        ).fetchall()
        for platform, account_id, kind, day, message in rows:
            state = "rejected" if kind == "token_expired" else "missing"
            states.append(TokenState(platform, account_id, state, str(day), message))
    for name, value in sorted(config.api_token_expiries().items()):
        try:
            expires = date.fromisoformat(value.strip())
        except ValueError:
            states.append(
                TokenState("?", None, "expiring", value, f"{name}={value!r} is not a day: write YYYY-MM-DD")
            )
            continue
        if expires <= today + timedelta(days=warning_days):
            platform, _, account = name.removeprefix("KINERJA_TOKEN_EXPIRES_").lower().partition("_")
            token = config.api_token_name(platform, account.upper() or None)
            state = "expired" if expires < today else "expiring"
            states.append(
                TokenState(platform, account or None, state, expires.isoformat(), f"{token} ({name})")
            )
    return states


def token_expiry(today: date, states: Sequence[TokenState], warning_days: int) -> Alert | None:
    """API tokens expired, refused or about to expire; None when all are fine."""
    if not states:
        return None
    counts = {}
    for s in states:
        counts[s.state] = counts.get(s.state, 0) + 1
    facts = tuple(
        (
            f"{s.platform} {s.account_id or '(platform token)'}",
            f"{s.state} {'on' if s.state in ('expired', 'expiring') else 'for the data day'} {s.when}: {s.where}",
        )
        for s in states[:LISTED]
    )
    return Alert(
        kind="token_expiry",
        subject="API tokens: "
        + ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        + f" (warning {warning_days} days ahead)",
        facts=(("As of", today.isoformat()), *facts),
        what_to_do=(
            "renew each token at its platform (Meta: a new long-lived token; YouTube: re-authorise; X "
            "and TikTok: a new app token), store it where it is read (env KINERJA_TOKEN_<PLATFORM>[_<ACCOUNT>] "
            "or the Airflow connection kinerja_<platform>[_<account>]) and its new expiry in "
            "KINERJA_TOKEN_EXPIRES_<PLATFORM>[_<ACCOUNT>]; then clear land_api of the days it missed. "
            f"See {RUNBOOK}, 'An API token expired'."
        ),
    )


def not_sent_before(conn: psycopg.Connection, kind: str, keys: Sequence[str]) -> set[str]:
    """The keys of `kind` never recorded in ops.alerts_sent, recorded now (concurrent runs: one wins)."""
    if not keys:
        return set()
    rows = conn.execute(
        """
        insert into ops.alerts_sent (kind, alert_key)
        select %(kind)s, unnest(%(keys)s::text[])
        on conflict do nothing
        returning alert_key
        """,
        {"kind": kind, "keys": list(keys)},
    ).fetchall()
    return {key for (key,) in rows}


# --- delivery --------------------------------------------------------------------------------


def send(
    alert: Alert,
    settings: config.AlertSettings | None = None,
    mail_settings: config.MailSettings | None = None,
) -> list[str]:
    """Mail the alert and post it to the webhook, as set; returns where it went.

    An alert that cannot be delivered is logged with the reason and does not raise: the
    failure being alerted on must stay what the task or run reports.
    """
    settings = settings or config.alert_settings()
    delivered = []
    log.warning("alert %s: %s", alert.kind, alert.text())
    if settings.email_to:
        message = mail.build_message(
            to=list(settings.email_to),
            subject=f"[Kinerja] {alert.subject}",
            text=alert.text(),
            headers={"X-Kinerja-Alert": alert.kind},
            sender=(mail_settings or config.mail_settings()).sender,
        )
        try:
            delivered.append(mail.send(message, mail_settings))
        except mail.MailError as error:
            log.error("the alert could not be mailed: %s", error)
    if settings.webhook_url:
        try:
            delivered.append(
                post_webhook(settings.webhook_url, alert.webhook_payload(), settings.webhook_timeout)
            )
        except (urllib.error.URLError, OSError) as error:
            log.error(
                "the alert could not be posted to KINERJA_ALERT_WEBHOOK_URL: %s; check the URL and that "
                "the chat tool's incoming webhook is enabled",
                error,
            )
    if not delivered:
        log.warning(
            "the alert went nowhere but this log: set KINERJA_ALERT_EMAIL_TO or KINERJA_ALERT_WEBHOOK_URL"
        )
    return delivered


def post_webhook(url: str, payload: dict, timeout: float) -> str:
    """POST `payload` as JSON; returns the URL without its secret path (a chat webhook's path is its key)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/…"
