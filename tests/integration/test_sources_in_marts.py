"""Several sources in the marts: which source gives an account-day (seed source_precedence)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from kinerja import dbt, landing, publish, quality
from kinerja.sources import METRIC_FIELDS, simulator
from kinerja.sources.base import NoValue, account_day_record

pytestmark = pytest.mark.integration

DAYS = [date(2026, 10, 1) + timedelta(days=i) for i in range(3)]
ACCOUNT = "demo-prov-51-youtube"
# fct_account_daily and what its tests need, seeds included (a full build costs the reports too)
FACT_AND_ITS_TESTS = ("--select", "+fct_account_daily", "+dim_accounts")


def _land_and_audit(conn, source: str, data_day: date, records: list[dict]) -> str:
    batch_id = landing.land_batch(conn, source, data_day, iter(records)).batch_id
    quality.audit_batch(conn, batch_id)
    return batch_id


def _simulated(day: date, more_views: int = 0) -> dict:
    """The simulator's values of ACCOUNT on `day`, as another source would report them (views changed)."""
    values = simulator.simulate_account_day(ACCOUNT, "youtube", day)
    values = {name: values[name] for name in METRIC_FIELDS if values[name] is not None}
    return account_day_record("youtube", ACCOUNT, day, values | {"views": values["views"] + more_views})


def test_the_first_source_by_precedence_that_reports_a_day_gives_all_its_metrics(conn, warehouse, small_accounts):
    first, second, third = DAYS
    for day in DAYS:
        _land_and_audit(conn, "simulator", day, list(simulator.simulate_day(small_accounts, day)))
    # the institution's own export: every day, and one day no other source has
    extra_day = third + timedelta(days=1)
    _land_and_audit(conn, "filedrop", extra_day, [_simulated(day, more_views=1000) for day in [*DAYS, extra_day]])
    # the platform API: the second day measured (no follower level: not observed by this pull),
    # the third a failed pull, every value missing
    from_api = _simulated(second, more_views=500)
    from_api["followers"], from_api["no_value"] = None, {"followers": str(NoValue.NOT_OBSERVED)}
    failed = account_day_record("youtube", ACCOUNT, third, {}, {name: NoValue.FETCH_FAILED for name in METRIC_FIELDS})
    api_batch = _land_and_audit(conn, "api:youtube", third, [from_api, failed])

    result = dbt.run_dbt(warehouse, "build", *FACT_AND_ITS_TESTS, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    publish.publish(conn)

    rows = conn.execute(
        "select metric_date, source, batch_id, views, followers from marts.fct_account_daily"
        " where account_id = %s order by metric_date",
        [ACCOUNT],
    ).fetchall()
    truth = {day: simulator.simulate_account_day(ACCOUNT, "youtube", day) for day in [*DAYS, extra_day]}
    assert [(day, source) for day, source, *_ in rows] == [
        (first, "simulator"),  # the simulator stands in for the API: ahead of the file drop
        (second, "api:youtube"),  # measured by the platform: ahead of everything
        (third, "simulator"),  # the API's row of "no value" only does not win
        (extra_day, "filedrop"),  # only the institution reported it
    ]
    by_day = {day: (batch, views, followers) for day, _, batch, views, followers in rows}
    assert by_day[second] == (api_batch, truth[second]["views"] + 500, None)  # not filled from the simulator
    assert by_day[third][1:] == (truth[third]["views"], truth[third]["followers"])
    assert by_day[extra_day][1] == truth[extra_day]["views"] + 1000
    # the other accounts keep their single source
    others = conn.execute(
        "select count(*), count(*) filter (where source = 'simulator') from marts.fct_account_daily where account_id <> %s",
        [ACCOUNT],
    ).fetchone()
    assert others == ((len(small_accounts) - 1) * len(DAYS),) * 2
