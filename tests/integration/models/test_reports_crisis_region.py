"""The institution-month fact, the crisis signals and the region scorecard on landed, audited data.

One simulated crisis, for one Facebook account, starts on the last day of a first landing. The
audit still calls that day provisional (Meta restates for 48 hours), so no signal may fire; the
next day's landing makes it final and the daily build must then alarm on it, and on no
ordinary day of any account. The module builds once (the monthly path, every month) and then
runs the daily path (the data day and its trailing days), as the DAGs do; the tests read what
each step left.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections import defaultdict
from datetime import date, timedelta

import pytest

from kinerja import dbt_commands as dbt
from kinerja import landing, publish
from kinerja.landing.plan import window
from kinerja.quality import account_days as quality
from kinerja.sources import simulator
from kinerja.sources.base import NoValue, account_day_record
from kinerja.sources.simulator import Realities
from kinerja.warehouse import connect, ensure_database
from kinerja.warehouse.fingerprint import table_fingerprint
from support import DAILY_SELECTION, SMALL_REGISTRY, daily_vars, dbt_build

pytestmark = [pytest.mark.integration, pytest.mark.long]

FIRST = date(2026, 10, 1)
# the crisis starts on a day with a full week of history before it
EARLIEST_CRISIS, LATEST_CRISIS = FIRST + timedelta(days=8), FIRST + timedelta(days=11)
TRAILING_DAYS = 3
FAILED_PULL = ("demo-kab-5101-instagram", FIRST + timedelta(days=3))  # a day whose row carries no value
WITHOUT_REPLY_COUNTS = "kem-komdigi"  # a source that cannot count replies (as exports)
ALARMS = ("alert", "critical")
BUILT_TABLES = ("build_reports.rpt_crisis_signals_daily", "build_marts.fct_institution_monthly")


def _crisis_of_one_account(accounts) -> tuple[str, Realities, date]:
    """A Facebook account, a crisis rate and a day: under that rate the account's only crisis
    starts that day (none runs into the first days), between EARLIEST_ and LATEST_CRISIS."""
    for rate in (0.02, 0.05, 0.1):
        realities = Realities(crisis_rate=rate)
        for account in accounts:
            if account["platform"] != "facebook":
                continue
            days = [FIRST - timedelta(days=simulator.CRISIS_MAX_DAYS) + timedelta(days=i) for i in range(20)]
            episodes = [simulator.crisis_on(account["account_id"], day, realities) for day in days]
            starts = {episode.start for episode in episodes if episode is not None}
            if len(starts) == 1 and EARLIEST_CRISIS <= min(starts) <= LATEST_CRISIS:
                return account["account_id"], realities, min(starts)
    raise AssertionError(
        "no account of the small registry has a single crisis in the window: widen the rates"
    )


def _records(accounts, day, crisis_account, realities):
    for account in simulator.accounts_on(accounts, day):
        account_id, platform = account["account_id"], account["platform"]
        record = simulator.simulate_account_day(
            account_id, platform, day, realities if account_id == crisis_account else Realities.none()
        )
        metrics = {
            name: value
            for name, value in record.items()
            if name not in ("platform", "account_id", "metric_date")
        }
        if (account_id, day) == FAILED_PULL:
            yield account_day_record(
                platform, account_id, day, {}, dict.fromkeys(metrics, NoValue.FETCH_FAILED)
            )
        elif account["institution_id"] == WITHOUT_REPLY_COUNTS:
            values = {
                k: v for k, v in metrics.items() if k not in ("replies", "replies_24h") and v is not None
            }
            yield account_day_record(
                platform,
                account_id,
                day,
                values,
                {"replies": NoValue.NOT_REPORTED, "replies_24h": NoValue.NOT_REPORTED},
            )
        else:
            yield record


def _land(conn, accounts, days, crisis_account, realities, landed):
    for day in days:
        records = list(_records(accounts, day, crisis_account, realities))
        landed.extend(records)
        quality.audit_batch(conn, landing.land_batch(conn, "simulator", day, iter(records)).batch_id)


def _dbt(params, *args):
    result = dbt.run_dbt(params, *args, check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def _dbt_build(params, *args):
    result = dbt_build(params, *args, check=False)
    assert result.returncode == 0, result.stdout[-3000:]


def _daily_build(params, data_day):
    """What kinerja_daily's dbt task group and publish task do for `data_day`."""
    _dbt_build(
        params,
        *DAILY_SELECTION,
        "--vars",
        daily_vars(data_day, TRAILING_DAYS),
    )
    from kinerja import config

    manifest = config.dbt_manifest_path()
    daily = publish.tables_tagged(manifest, "daily") - publish.tables_tagged(manifest, "reference")
    with connect(params, autocommit=True) as conn:
        publish.publish(conn, days=window(data_day, TRAILING_DAYS), only=daily)


def _crisis_rows(conn, table="reports.rpt_crisis_signals_daily"):
    rows = conn.execute(f"select account_id, metric_date, judgement, severity, signals_fired from {table}")
    return {(a, d): (judgement, severity, fired) for a, d, judgement, severity, fired in rows.fetchall()}


@pytest.fixture(scope="module")
def built(server):
    """Land and audit up to the crisis day, build everything; then land the next day and run the daily path."""
    from kinerja.registry.load import load_registry, read_accounts
    from kinerja.warehouse.schema import apply_ddl

    params = ensure_database(server, f"kinerja_reports_{uuid.uuid4().hex[:10]}")
    accounts = read_accounts(SMALL_REGISTRY)
    crisis_account, realities, crisis_day = _crisis_of_one_account(accounts)
    landed: list[dict] = []
    state = {
        "params": params,
        "accounts": accounts,
        "crisis_account": crisis_account,
        "crisis_day": crisis_day,
    }
    with connect(params, autocommit=True) as conn:
        apply_ddl(conn)
        load_registry(conn, SMALL_REGISTRY)
        days = [FIRST + timedelta(days=i) for i in range((crisis_day - FIRST).days + 1)]
        _land(conn, accounts, days, crisis_account, realities, landed)
        # the monthly path: every model, every month; a low coverage bar so that 12 days rank
        _dbt_build(params, "--vars", json.dumps({"min_coverage": 0.05}))
        publish.publish(conn)
        state["before_final"] = _crisis_rows(conn)
        next_day = crisis_day + timedelta(days=1)
        _land(conn, accounts, [next_day], crisis_account, realities, landed)
        _daily_build(params, next_day)
        state["after_daily"] = {table: table_fingerprint(conn, table) for table in BUILT_TABLES}
        state["crisis"] = _crisis_rows(conn)
        state["landed"] = landed
        state["last_day"] = next_day
        yield state
    with connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{params.dbname}" with (force)')


def test_no_crisis_signal_while_the_day_is_provisional(built):
    judgement, severity, fired = built["before_final"][built["crisis_account"], built["crisis_day"]]
    assert (judgement, severity, fired) == ("provisional", None, None)


def test_the_crisis_day_alarms_once_final_and_no_ordinary_day_does(built):
    crisis = built["crisis"]
    judgement, severity, fired = crisis[built["crisis_account"], built["crisis_day"]]
    assert judgement == "judged" and severity in ALARMS, (judgement, severity, fired)
    assert "comments" in fired.split(",") and "anger" in fired.split(",")
    # the crisis goes on the next day, which is provisional again: judged later
    assert crisis[built["crisis_account"], built["last_day"]][0] == "provisional"
    alarms = {key for key, (_, severity, _) in crisis.items() if severity in ALARMS}
    assert alarms == {(built["crisis_account"], built["crisis_day"])}
    # every account-day has a row, and ordinary days were judged (not all skipped)
    assert len(crisis) == len(built["landed"])
    assert sum(judgement == "judged" for judgement, _, _ in crisis.values()) > len(built["accounts"]) * 3
    assert crisis[FAILED_PULL][0] == "not_reported"


def test_daily_path_is_idempotent_and_equals_a_full_rebuild(built):
    params = built["params"]
    models = ("rpt_crisis_signals_daily", "fct_institution_monthly")
    # the daily task run a second time
    _dbt(params, "run", "--select", *models, "--vars", daily_vars(built["last_day"], TRAILING_DAYS))
    with connect(params, autocommit=True) as conn:
        assert {table: table_fingerprint(conn, table) for table in BUILT_TABLES} == built["after_daily"]
        # the monthly path (no data_day) recomputes every day and month: the same rows
        _dbt(params, "run", "--select", *models)
        assert {table: table_fingerprint(conn, table) for table in BUILT_TABLES} == built["after_daily"]
        for table in BUILT_TABLES:
            assert table_fingerprint(conn, table.removeprefix("build_")) == built["after_daily"][table]


def test_institution_month_sums_its_accounts_and_keeps_no_value_null(built):
    institution_of = {a["account_id"]: a["institution_id"] for a in built["accounts"]}
    expected = defaultdict(lambda: defaultdict(int))
    last_followers: dict[str, tuple[date, int]] = {}
    for record in built["landed"]:
        totals = expected[institution_of[record["account_id"]]]
        if record["posts"] is None:
            continue  # the failed pull: no value, no reported day
        totals["posts"] += record["posts"]
        totals["comments"] += record["comments"]
        totals["account_days"] += 1
        last_followers[record["account_id"]] = record["followers"]
    for account_id, followers in last_followers.items():
        expected[institution_of[account_id]]["followers"] += followers
    with connect(built["params"], autocommit=True) as conn:
        rows = conn.execute(
            "select institution_id, accounts_registered, accounts, posts, comments, followers_at_month_end,"
            " account_days_reported, coverage, replies_24h, reply_share_24h from marts.fct_institution_monthly"
            " where month = %s",
            [FIRST],
        ).fetchall()
    assert {row[0] for row in rows} == set(institution_of.values())
    for (
        institution_id,
        registered,
        reporting,
        posts,
        comments,
        followers,
        account_days,
        coverage,
        replies,
        share,
    ) in rows:
        totals = expected[institution_id]
        assert (posts, comments, followers, account_days) == (
            totals["posts"],
            totals["comments"],
            totals["followers"],
            totals["account_days"],
        ), institution_id
        assert float(coverage) == pytest.approx(account_days / registered / 31, abs=1e-4)
        assert registered == reporting == 5
        if institution_id == WITHOUT_REPLY_COUNTS:
            assert (replies, share) == (None, None)  # not counted is not 0
        else:
            assert replies is not None and 0 <= share <= 1


def test_region_scorecard_summarises_the_scores(built):
    with connect(built["params"], autocommit=True) as conn:
        scores = conn.execute(
            "select institution_id, institution_name, peer_group, ikms, rank_in_peer_group, is_eligible"
            " from reports.rpt_institution_scores_monthly where month = %s and province_code = '51'",
            [FIRST],
        ).fetchall()
        region = conn.execute(
            "select province_ikms, province_rank, regencies_and_cities, regencies_and_cities_eligible, median_ikms::float,"
            " best_institution_name, best_ikms, worst_institution_name, worst_ikms"
            " from reports.rpt_region_scorecard_monthly where month = %s and province_code = '51'",
            [FIRST],
        ).fetchall()
    province = next(row for row in scores if row[2] == "provinsi")
    local = [row for row in scores if row[2] in ("kabupaten", "kota")]
    eligible = sorted((row for row in local if row[5]), key=lambda row: (-row[3], row[0]))
    assert len(eligible) >= 2, "the fixture should rank several kabupaten/kota"
    worst = min(eligible, key=lambda row: (row[3], row[0]))
    assert region == [
        (
            province[3],
            province[4],
            len(local),
            len(eligible),
            pytest.approx(float(statistics.median(row[3] for row in eligible)), abs=0.006),
            eligible[0][1],
            eligible[0][3],
            worst[1],
            worst[3],
        )
    ]


def test_published_models_carry_their_descriptions(built):
    with connect(built["params"], autocommit=True) as conn:
        for table in (
            "marts.fct_institution_monthly",
            "reports.rpt_crisis_signals_daily",
            "reports.rpt_region_scorecard_monthly",
        ):
            described = conn.execute(
                "select obj_description(%s::regclass, 'pg_class') like '%%One row per%%',"
                " count(*) filter (where col_description(attrelid, attnum) is null)"
                " from pg_attribute where attrelid = %s::regclass and attnum > 0 and not attisdropped",
                [table, table],
            ).fetchone()
            assert described == (True, 0), table


def test_the_crisis_day_is_alerted_once_naming_institution_platform_and_what_moved(built, monkeypatch):
    """The daily run's send_alerts task body on the published reports: a chat webhook on 127.0.0.1."""
    from datetime import UTC, datetime

    from alert_receivers import WebhookRecorder
    from kinerja.landing.plan import DayPlan
    from kinerja.tasks.alerts import send_day_alerts

    last_day, crisis_day = built["last_day"], built["crisis_day"]
    plan = DayPlan(last_day, TRAILING_DAYS, tuple(window(last_day, TRAILING_DAYS)), (), datetime.now(UTC))
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", built["params"].conninfo())
    monkeypatch.delenv("KINERJA_ALERT_EMAIL_TO", raising=False)
    with WebhookRecorder() as hook:
        monkeypatch.setenv("KINERJA_ALERT_WEBHOOK_URL", hook.url)
        first = send_day_alerts(plan.to_xcom())
        again = send_day_alerts(plan.to_xcom())  # a re-run, or the next run rebuilding the day
    assert first["crisis_signals"] == 1 and again["crisis_signals"] == 0
    [text] = hook.texts()
    with connect(built["params"]) as conn:
        institution_id, name, handle = conn.execute(
            "select i.institution_id, i.name, a.handle from registry.accounts a"
            " join registry.institutions i using (institution_id) where a.account_id = %s",
            [built["crisis_account"]],
        ).fetchone()
    assert text.startswith(f"*[Kinerja] Crisis signals on {crisis_day}: 1 account(s) of 1 institution(s)*")
    assert f"{name} ({institution_id}): facebook @{handle}: comments " in text
    assert "(7-day mean " in text and "angry reactions " in text
    assert "What to do: tell each institution's social-media team" in text
