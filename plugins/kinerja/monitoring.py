"""Checks that run on their own (the hourly kinerja_watchdog DAG, `kinerja watchdog`).

The raw audit judges what landed; it cannot notice a daily run that never started. These
checks look at the warehouse from outside the daily DAG:

- `check_landing`: per platform the daily sources are expected to cover, the days that
  should have landed by now (kinerja_daily lands day D at D+1 06:00 WIB; a grace of
  `GRACE_HOURS` for the run to finish), and the share of the registry's active accounts
  with accepted rows on each. A day below `MIN_SHARE` is missing; the alarm names the last
  day that did land and what to do.
- `check_source_freshness`: `dbt source freshness` over the raw sources' freshness
  (dbt_project/models/staging/_staging__sources.yml), in a target folder of its own so it
  never touches the manifest the DAGs render from.

Both raise `WatchdogAlarm` with a readable message; neither writes to the warehouse.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from kinerja import config, platforms

log = logging.getLogger(__name__)

# Hours a daily run may take before its day counts as missing.
GRACE_HOURS = 6
# The days judged: the last day that should have landed and the ones before it.
LOOKBACK_DAYS = 3
# A day with fewer of the registry's active accounts reported than this share is missing:
# not a quality judgement (audit.completeness is), but "did the daily run land this day at all".
MIN_SHARE = 0.5
FRESHNESS_TARGET = "target/watchdog"


class WatchdogAlarm(RuntimeError):
    """Something that should have happened by now did not; the message says what and what to do."""


@dataclass(frozen=True)
class PlatformLanding:
    platform: str
    last_landed_day: date | None  # the newest day with accepted rows, any source
    missing_days: list[tuple[date, int, int]]  # (day, accounts reported, accounts active) below MIN_SHARE

    def sentence(self) -> str:
        last = self.last_landed_day.isoformat() if self.last_landed_day else "never"
        days = ", ".join(
            f"{day} ({reported} of {active} accounts)" for day, reported, active in self.missing_days
        )
        return f"{self.platform}: last landed day {last}; missing {days}"


def expected_day(now: datetime) -> date:
    """The newest metric day that should have landed by `now`."""
    local = now.astimezone(ZoneInfo(config.DEFAULT_TIMEZONE))
    return (local - timedelta(hours=config.DAILY_RUN_HOUR + GRACE_HOURS)).date() - timedelta(days=1)


def expected_platforms() -> tuple[str, ...]:
    """The platforms the configured daily sources report every account of (the file drop is self-reported)."""
    sources = config.sources()
    if "simulator" in sources:
        return platforms.names()
    if "api" in sources:
        return config.api_platforms()
    return ()


_LANDING = """
with days as (
    select generate_series(%(first)s::date, %(last)s::date, interval '1 day')::date as metric_date
),
active as (
    select distinct d.metric_date, a.platform, a.account_id
    from days d
    join registry.accounts a
      on a.valid_from <= d.metric_date and (a.valid_to is null or d.metric_date <= a.valid_to)
    where a.platform = any(%(platforms)s)
),
reported as (
    -- rows that passed the audit, from any source
    select distinct r.metric_date, r.platform, r.account_id
    from raw.account_daily r
    join raw.batch_ledger l on l.batch_id = r.batch_id and l.status = 'accepted'
    where r.metric_date between %(first)s and %(last)s and r.platform = any(%(platforms)s)
      and not exists (select 1 from raw.quarantine q where q.batch_id = r.batch_id and q.row_number = r.row_number)
)
select a.platform, a.metric_date, count(rp.account_id) as reported, count(*) as active
from active a
left join reported rp using (metric_date, platform, account_id)
group by 1, 2
order by 1, 2
"""

_LAST_LANDED = """
select r.platform, max(r.metric_date)
from raw.account_daily r
join raw.batch_ledger l on l.batch_id = r.batch_id and l.status = 'accepted'
where r.platform = any(%(platforms)s) and r.metric_date <= %(last)s
group by 1
"""


def landing_status(
    conn: psycopg.Connection, now: datetime, platforms: tuple[str, ...] | None = None
) -> list[PlatformLanding]:
    """Per expected platform with active accounts: its last landed day and its missing days."""
    platforms = expected_platforms() if platforms is None else platforms
    last = expected_day(now)
    params = {"first": last - timedelta(days=LOOKBACK_DAYS - 1), "last": last, "platforms": list(platforms)}
    counts = conn.execute(_LANDING, params).fetchall()
    last_landed = dict(conn.execute(_LAST_LANDED, params).fetchall())
    status = []
    for platform in sorted({p for p, *_ in counts}):
        missing = [
            (day, reported, active)
            for p, day, reported, active in counts
            if p == platform and reported < MIN_SHARE * active
        ]
        status.append(PlatformLanding(platform, last_landed.get(platform), missing))
    return status


def check_landing(conn: psycopg.Connection, now: datetime, platforms: tuple[str, ...] | None = None) -> dict:
    """Raise WatchdogAlarm when a day that should have landed by `now` did not; else a summary."""
    status = landing_status(conn, now, platforms)
    last = expected_day(now)
    late = [s for s in status if s.missing_days]
    if late:
        alarm = WatchdogAlarm(
            f"as of {now.astimezone(ZoneInfo(config.DEFAULT_TIMEZONE)):%Y-%m-%d %H:%M} WIB the days up to {last} "
            f"should have landed, but: " + "; ".join(s.sentence() for s in late) + ". "
            "What to do: check in the Airflow UI that kinerja_daily is not paused and that its runs of these "
            "days exist and succeeded (a failed `land_*` or `audit_batch` task says why); trigger or clear the "
            "run of each missing day (landing is idempotent); then `kinerja watchdog` again. "
            "Per-institution detail: audit.completeness."
        )
        # what the alert (kinerja.alerts.landing_late) lists, beside the message
        alarm.late, alarm.expected_day = late, last
        raise alarm
    summary = {
        "expected_day": last.isoformat(),
        "platforms": {
            s.platform: s.last_landed_day.isoformat() if s.last_landed_day else None for s in status
        },
    }
    log.info("every expected day up to %s has landed: %s", last, summary["platforms"])
    return summary


def check_source_freshness(params) -> dict:
    """`dbt source freshness` over the raw sources; raise WatchdogAlarm on an error, log a warning on a warn."""
    from kinerja import dbt_commands as dbt

    result = dbt.run_dbt(
        params,
        "source",
        "freshness",
        "--select",
        "source:raw",
        "--target-path",
        FRESHNESS_TARGET,
        check=False,
    )
    results_path = config.dbt_project_dir() / FRESHNESS_TARGET / "sources.json"
    if not results_path.exists():
        raise WatchdogAlarm(
            f"dbt source freshness did not run (exit {result.returncode}):\n{result.stdout[-3000:]}"
        )
    outcome = {}
    for item in json.loads(results_path.read_text())["results"]:
        name = item["unique_id"].removeprefix("source.kinerja.")
        outcome[name] = {
            "status": item["status"],
            "max_loaded_at": item.get("max_loaded_at"),
            "age_hours": round(item["max_loaded_at_time_ago_in_s"] / 3600, 1)
            if item.get("max_loaded_at_time_ago_in_s") is not None
            else None,
        }
    stale = {n: o for n, o in outcome.items() if o["status"] in ("error", "runtime error")}
    for name, item in outcome.items():
        if item["status"] == "warn":
            log.warning(
                "source %s is getting stale: newest %s (%s hours ago)",
                name,
                item["max_loaded_at"],
                item["age_hours"],
            )
    if stale:
        raise WatchdogAlarm(
            "stale sources: "
            + "; ".join(
                f"{n}: newest {o['max_loaded_at']} ({o['age_hours']} hours ago)"
                for n, o in sorted(stale.items())
            )
            + ". What to do: kinerja_daily has not landed for two days; check that it is not paused and "
            "that its scheduler runs, and run the missing days (see `kinerja watchdog` for which)."
        )
    log.info("raw sources fresh: %s", outcome)
    return outcome


@dataclass(frozen=True)
class OverdueRun:
    dag_id: str
    run_id: str
    started_at: datetime
    limits: config.RunLimits


def overdue_runs(conn: psycopg.Connection, now: datetime) -> list[OverdueRun]:
    """Runs of the project's DAGs still running past their expected duration (config.run_limits).

    From the run history (ops.dag_runs, written by the run-history listener as a run starts):
    Airflow 3 has no SLA, and a run that hangs fails no task until its dagrun_timeout.
    """
    kinds = {f"kinerja_{kind}": config.run_limits(kind) for kind in config.RUN_KINDS}
    rows = conn.execute(
        "select dag_id, run_id, started_at from ops.dag_runs"
        " where state = 'running' and dag_id = any(%s) and started_at is not null order by started_at",
        [list(kinds)],
    ).fetchall()
    return [
        OverdueRun(dag_id, run_id, started, kinds[dag_id])
        for dag_id, run_id, started in rows
        if now - started > kinds[dag_id].expected
    ]
