"""Task body of the plan: the days a daily run covers, once every source has landed and been audited."""

from __future__ import annotations

import logging
from datetime import date

from kinerja import config
from kinerja.landing import plan
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def plan_days(data_day: date, trailing_days: int = config.TRAILING_DAYS) -> dict:
    """Plan the run's days (kinerja.landing.plan); the plan goes to dbt, the build audit and publish."""
    with connect(ensure_warehouse()) as conn:
        planned = plan.plan_days(conn, data_day, trailing_days)
    log.info("the run of %s covers %s", data_day, planned.describe())
    return planned.to_xcom()
