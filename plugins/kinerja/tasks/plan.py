"""Task body of the plan: the days a run covers, once every source has landed and been audited."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date

from kinerja import config
from kinerja.landing import plan
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def plan_days(days: Sequence[date], trailing_days: int = config.TRAILING_DAYS) -> dict:
    """Plan the run of `days` (its data day, or a history run's range; kinerja.landing.plan);
    the plan goes to dbt, the build audit and publish."""
    with connect(ensure_warehouse()) as conn:
        planned = plan.plan_days(conn, max(days), trailing_days, first_day=min(days))
    log.info("the run of %s..%s covers %s", min(days), max(days), planned.describe())
    return planned.to_xcom()
