"""The corpus of bad inputs (tests/fixtures/bad_inputs): each case triggers its expectation,
its bad rows land in quarantine with a reason naming the check and the value, and the rest
of the batch is accepted; a changed schema or a cut-short batch rejects the whole batch."""

from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from kinerja import landing, platforms
from kinerja.quality import account_days as quality
from kinerja.sources import CANONICAL_FIELDS, METRIC_FIELDS, simulator
from kinerja.sources.base import account_day_record
from support import REPO, dbt_build

pytestmark = pytest.mark.integration

CORPUS = REPO / "tests" / "fixtures" / "bad_inputs"
DAY = date(2026, 10, 6)
BEFORE = DAY - timedelta(days=1)


@pytest.fixture(autouse=True)
def daily_window(monkeypatch):
    # the window of a daily run: the data day and 3 trailing days (2026-10-03 .. 2026-10-06)
    monkeypatch.setenv("KINERJA_AUDIT_WINDOW_DAYS", "3")


def read_case(name: str) -> tuple[list[str], list[tuple[str, dict]]]:
    """The case's header and its rows as (action, canonical record); see the corpus README."""
    with (CORPUS / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = []
        for cells in reader:
            record: dict = {
                "platform": cells["platform"],
                "account_id": cells["account_id"],
                "metric_date": date.fromisoformat(cells["metric_date"]),
                "no_value": {},
            }
            for metric in METRIC_FIELDS:
                if metric in cells:
                    record[metric] = int(cells[metric]) if cells[metric] else None
                    if record[metric] is None:
                        record["no_value"][metric] = "not_reported"
            rows.append((cells.get("case_action") or "put", record))
    return header, rows


def apply_case(base: list[dict], name: str) -> list[dict]:
    header, rows = read_case(name)
    key = lambda r: (r["platform"], r["account_id"], r["metric_date"])
    records = [dict(r, no_value=dict(r["no_value"])) for r in base]
    for action, row in rows:
        position = next((i for i, r in enumerate(records) if key(r) == key(row)), None)
        if action == "remove":
            records.pop(position)
        elif action == "put" and position is not None:
            records[position] = row
        else:
            records.append(row)
    # a column the case does not have is missing from the whole batch, with no reason given
    for missing in (f for f in CANONICAL_FIELDS if f not in header):
        for record in records:
            record[missing] = None
            record["no_value"].pop(missing, None)
    return records


def land_and_audit(conn, records, day=DAY):
    batch = landing.land_batch(conn, "simulator", day, iter(records))
    return batch, quality.audit_batch(conn, batch.batch_id)


@pytest.fixture
def history(conn, small_accounts):
    """The day before, landed and accepted: the accounts' previous counts, the source's usual coverage."""
    _, result = land_and_audit(conn, list(simulator.simulate_day(small_accounts, BEFORE)), BEFORE)
    assert result.rows_rejected == 0
    return {r["account_id"]: r["followers"] for r in simulator.simulate_day(small_accounts, BEFORE)}


def canonical(records):
    """Records as a real source gives them: every None with its reason (simulate_day gives plain records)."""
    return [
        account_day_record(
            r["platform"],
            r["account_id"],
            r["metric_date"],
            {m: r[m] for m in METRIC_FIELDS if r[m] is not None},
        )
        for r in records
    ]


@pytest.fixture
def base(small_accounts):
    return canonical(simulator.simulate_day(small_accounts, DAY))


def quarantine(conn, batch_id):
    return conn.execute(
        "select account_id, metric_date, check_name, column_name, reason from raw.quarantine"
        " where batch_id = %s order by account_id, metric_date, check_name",
        [batch_id],
    ).fetchall()


def ledger(conn, batch_id):
    return conn.execute(
        "select status, rows_in, rows_accepted, rows_rejected, summary from raw.batch_ledger where batch_id = %s",
        [batch_id],
    ).fetchone()


def failed_expectations(conn, batch_id):
    return dict(
        conn.execute(
            "select expectation || ':' || column_name, unexpected from audit.validation_results"
            " where batch_id = %s and not success",
            [batch_id],
        ).fetchall()
    )


@dataclass
class Case:
    name: str
    # (account, day) -> (the check that fails, the column it is quarantined under, fragments of its reason)
    quarantined: dict[tuple[str, date], tuple[str, str, list[str]]]
    rows: int  # rows quarantined (a duplicate key quarantines each of its rows)


BETWEEN, IN_SET = "expect_column_values_to_be_between", "expect_column_values_to_be_in_set"
UNIQUE = "expect_compound_columns_to_be_unique:platform,account_id,metric_date"
CASES = [
    Case(
        "negative_counts",
        {
            ("demo-kab-5103-instagram", DAY): (
                f"{BETWEEN}:followers",
                "followers",
                ["followers is -5: a count cannot be negative"],
            ),
            ("demo-lem-bps-x", DAY): (
                f"{BETWEEN}:likes",
                "likes",
                ["likes is -1: a count cannot be negative"],
            ),
        },
        2,
    ),
    Case(
        "duplicate_keys",
        {
            ("demo-kab-5105-youtube", DAY): (UNIQUE, None, ["holds this account and day more than once"]),
        },
        2,
    ),
    Case(
        "unknown_account",
        {
            ("demo-kab-5199-instagram", DAY): (
                f"{IN_SET}:account_id",
                "account_id",
                ["account 'demo-kab-5199-instagram' is not in the registry"],
            ),
        },
        1,
    ),
    Case(
        "follower_jump",
        {
            ("demo-kab-5101-instagram", DAY): (
                f"{BETWEEN}:followers_ratio",
                "followers",
                [
                    "followers 2718600 on 2026-10-06 is 50x the last accepted count 54372 on 2026-10-05 (source simulator)"
                ],
            ),
            ("demo-kab-5102-facebook", DAY): (
                f"{BETWEEN}:followers_ratio",
                "followers",
                ["followers 2179 on 2026-10-06 is 0.02x the last accepted count 108966 on 2026-10-05"],
            ),
        },
        2,
    ),
    Case(
        "day_outside_window",
        {
            ("demo-kab-5106-x", date(2026, 9, 20)): (
                f"{BETWEEN}:metric_date",
                "metric_date",
                ["metric_date 2026-09-20 is outside this batch's window 2026-10-03 to 2026-10-06"],
            ),
            ("demo-kab-5107-x", date(2026, 10, 8)): (
                f"{BETWEEN}:metric_date",
                "metric_date",
                ["metric_date 2026-10-08 is outside"],
            ),
        },
        2,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_each_bad_input_is_quarantined_with_its_reason_and_the_rest_accepted(conn, history, base, case):
    records = apply_case(base, case.name)
    batch, result = land_and_audit(conn, records)

    rows = quarantine(conn, batch.batch_id)
    assert len(rows) == case.rows, rows  # only its own check fires, once per bad row
    assert {(account, day) for account, day, *_ in rows} == set(case.quarantined)
    for account, day, check, column, reason in rows:
        expected_check, expected_column, fragments = case.quarantined[(account, day)]
        assert (check, column) == (expected_check, expected_column)
        assert all(fragment in reason for fragment in fragments), reason

    # its expectation failed in GX, with as many unexpected rows as were quarantined for it
    failed = failed_expectations(conn, batch.batch_id)
    assert failed == {check: sum(1 for r in rows if r[2] == check) for check in {r[2] for r in rows}}
    # the rest of the batch is accepted, and the ledger counts it
    status, rows_in, accepted, rejected, _ = ledger(conn, batch.batch_id)
    assert (status, rows_in) == ("accepted", len(records))
    assert (accepted, rejected) == (len(records) - case.rows, case.rows)
    assert (result.rows_accepted, result.rows_rejected) == (accepted, rejected)


def test_the_cases_are_what_they_claim(history):
    # the follower jump is measured against these previous counts (simulator, deterministic)
    assert history["demo-kab-5101-instagram"] * 50 == 2718600
    assert history["demo-kab-5102-facebook"] / 50 >= 2179
    assert history["demo-kota-5171-x"] * 49 == 75509  # 49x: plausible, must stay accepted


def test_a_missing_column_rejects_the_whole_batch_with_a_clear_message(conn, history, base):
    records = apply_case(base, "missing_column")
    batch = landing.land_batch(conn, "simulator", DAY, iter(records))
    with pytest.raises(quality.BatchRejected) as rejected:
        quality.audit_batch(conn, batch.batch_id)
    message = str(rejected.value)
    assert (
        "the columns of the batch changed (missing followers (no row has a value or a reason for it))"
        in message
    )
    assert "fix its connector or parser and land the day again" in message
    assert "kab-5108 (Kabupaten Buleleng)" in message and "kem-komdigi" in message
    status, rows_in, accepted, rejected_rows, summary = ledger(conn, batch.batch_id)
    assert (status, rows_in, accepted, rejected_rows) == ("rejected", 65, 0, 65)
    assert "missing followers" in summary
    # nothing is lost: the rows stay in raw
    assert conn.execute(
        "select count(*) from raw.account_daily where batch_id = %s", [batch.batch_id]
    ).fetchone() == (65,)
    schema = conn.execute(
        "select success, level, observed from audit.validation_results where batch_id = %s and suite = %s"
        " and expectation = 'expect_table_columns_to_match_set'",
        [batch.batch_id, quality.SCHEMA_SUITE],
    ).fetchone()
    assert schema[:2] == (False, "batch") and "followers" not in schema[2]


def test_an_institution_without_data_is_named_and_judged_once_its_platforms_settled(
    conn, history, base, small_accounts
):
    batch, result = land_and_audit(conn, apply_case(base, "institution_no_data"))
    assert ledger(conn, batch.batch_id)[:4] == ("accepted", 60, 60, 0)
    assert result.institutions_without_data == [("kab-5108", "Kabupaten Buleleng")]
    assert "no data at all from 1 institution(s): kab-5108 (Kabupaten Buleleng)" in result.summary()

    def buleleng():
        rows = conn.execute(
            "select platform, status, accounts_active, accounts_reported, institution_has_data, institution_name"
            " from audit.completeness where source = 'simulator' and metric_date = %s and institution_id = 'kab-5108'",
            [DAY],
        ).fetchall()
        assert len(rows) == 5
        return {platform: rest for platform, *rest in rows}

    # judged as of the day after: platforms restating for at most a day have settled (the seed's facts)
    settled = sorted(p for p, days in platforms.restatement_days().items() if days <= 1)
    assert settled and len(settled) < 5
    for platform, (status, active, reported, has_data, name) in buleleng().items():
        assert (active, reported, has_data, name) == (1, 0, False, "Kabupaten Buleleng")
        assert status == ("incomplete" if platform in settled else "provisional"), platform
    others = conn.execute(
        "select distinct status from audit.completeness where source = 'simulator' and metric_date = %s"
        " and institution_id <> 'kab-5108' and platform = any(%s)",
        [DAY, settled],
    ).fetchall()
    assert others == [("complete",)]

    # the next day's audit re-judges the provisional day: now every platform has settled
    land_and_audit(
        conn, list(simulator.simulate_day(small_accounts, DAY + timedelta(days=1))), DAY + timedelta(days=1)
    )
    assert {status for status, *_ in buleleng().values()} == {"incomplete"}


def test_days_judged_again_are_judged_as_the_days_after_them_already_were(conn, history, small_accounts):
    def judgements():
        return conn.execute(
            "select metric_date, institution_id, platform, status, judged_as_of, batch_id"
            " from audit.completeness where source = 'simulator' and metric_date >= %s order by 1, 2, 3",
            [DAY],
        ).fetchall()

    def statuses(day):
        return {status for d, _, _, status, *_ in judgements() if d == day}

    days = [DAY + timedelta(days=n) for n in range(3)]
    for day in days:  # the daily path (and a history run): audits in day order
        land_and_audit(conn, list(simulator.simulate_day(small_accounts, day)), day)
    daily = judgements()
    assert statuses(DAY) == {"complete"}  # every platform's restatement window passed on later days
    assert "provisional" in statuses(days[-1])  # the newest day: its platforms may still restate

    # the same days landed and audited again (a re-run of the month, a repair): nothing changes,
    # neither the statuses nor the day each judgement holds for nor the batch that made it
    for day in days:
        land_and_audit(conn, list(simulator.simulate_day(small_accounts, day)), day)
    assert judgements() == daily

    # a late correction of an old day: judged as the days after it were, not made provisional
    # again as if it were the newest day of the source
    again = list(simulator.simulate_day(small_accounts, DAY))
    again[0] = dict(again[0], followers=again[0]["followers"] + 1)
    batch, _ = land_and_audit(conn, again, DAY)
    assert ledger(conn, batch.batch_id)[0] == "accepted"
    assert statuses(DAY) == {"complete"}
    assert judgements() == daily  # the same judgement: its record (and batch) kept


def test_a_cut_short_batch_is_rejected_naming_the_institutions_without_rows(conn, history, base):
    kept = [r for r in base if r["account_id"].startswith(("demo-kem-", "demo-lem-"))]  # 15 of 65
    batch = landing.land_batch(conn, "simulator", DAY, iter(kept))
    with pytest.raises(
        quality.BatchRejected, match="the batch was cut short: it reports 15 of the 65 accounts"
    ):
        quality.audit_batch(conn, batch.batch_id)
    status, *_, summary = ledger(conn, batch.batch_id)
    assert status == "rejected"
    assert "kab-5101 (Kabupaten Jembrana)" in summary and "prov-51" in summary and "kem-dagri" not in summary
    assert "land 2026-10-06 again" in summary


def test_an_account_outside_its_registered_period_is_quarantined(conn, history, base):
    conn.execute(
        "update registry.accounts set valid_to = %s where account_id = 'demo-kab-5104-tiktok'", [BEFORE]
    )
    batch, result = land_and_audit(conn, base)
    [(account, _, check, column, reason)] = quarantine(conn, batch.batch_id)
    assert (account, check, column) == (
        "demo-kab-5104-tiktok",
        "expect_column_values_to_be_in_set:account_valid_on_day",
        "account_id",
    )
    assert (
        "is not a registered tiktok account on 2026-10-06 (registry: tiktok from 2022-01-01 to 2026-10-05)"
        in reason
    )
    assert result.rows_accepted == 64


def test_validation_results_data_docs_and_the_quality_report(conn, warehouse, history, base, caplog):
    caplog.set_level(logging.INFO, logger="kinerja.quality")
    batch, result = land_and_audit(conn, apply_case(base, "negative_counts"))
    # every expectation of both suites has a result with its run and what it observed
    results = conn.execute(
        "select suite, count(*), count(*) filter (where not success), count(distinct run_id), min(rows_checked)"
        " from audit.validation_results where batch_id = %s group by suite order by suite",
        [batch.batch_id],
    ).fetchall()
    assert results[0][:4] == ("raw_account_daily", 21, 2, 1) and results[0][4] == 65
    assert results[1][:3] == ("raw_account_daily_schema", 15, 0)
    # the Data Docs page of the batch exists and the log line links it
    assert result.data_docs_url and result.data_docs_url.startswith("file://")
    page = Path(unquote(urlsplit(result.data_docs_url).path))
    text = " ".join(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")).split())
    assert "Expectation Suite: raw_account_daily" in text and "Unsuccessful Expectations 2" in text
    assert any(result.data_docs_url in m and batch.batch_id in m for m in caplog.messages)

    dbt_build(warehouse, "--select", "+rpt_data_quality_daily", "--exclude", "tag:reference")
    [schema] = conn.execute(
        "select table_schema from information_schema.tables where table_name = 'rpt_data_quality_daily'"
    ).fetchone()
    report = {
        (row[0], row[1]): row[2:]
        for row in conn.execute(
            f"select expectation, column_name, rows_checked, rows_failed, success_rate::float, completeness_x::float,"
            f" completeness_instagram::float, completeness_is_provisional"
            f" from {schema}.rpt_data_quality_daily where data_day = %s and source = 'simulator'",
            [DAY],
        )
    }
    assert report[("expect_column_values_to_be_between", "followers")][:3] == (
        65,
        1,
        pytest.approx(64 / 65, abs=1e-4),
    )
    assert report[("expect_column_values_to_be_in_set", "account_id")][:3] == (65, 0, 1)
    # the two bad rows are out: X lost demo-lem-bps-x (12 of 13 X accounts reported)
    _, rows_failed, _, x, instagram, provisional = report[("expect_column_values_to_be_between", "likes")]
    assert (rows_failed, x, instagram, provisional) == (
        1,
        pytest.approx(12 / 13, abs=1e-4),
        pytest.approx(12 / 13, abs=1e-4),
        True,
    )
