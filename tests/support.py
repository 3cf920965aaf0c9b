"""Paths the tests share. (Not in conftest.py: importing conftest as a module runs it a second time.)"""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMALL_REGISTRY = REPO / "tests" / "fixtures" / "registry_small"
# The dbt command of kinerja_daily's task group: the daily models, not the reference dimensions.
DAILY_BUILD = ("build", "--select", "tag:daily", "--exclude", "tag:reference")


def daily_vars(data_day, trailing_days: int | None = None) -> str:
    """dbt's vars of a daily build of `data_day` and its trailing days, as the plan gives them
    when no batch beyond the window is due (kinerja.landing.plan)."""
    import json

    from kinerja import config
    from kinerja.landing.plan import window

    days = window(data_day, config.TRAILING_DAYS if trailing_days is None else trailing_days)
    return json.dumps({"days_to_build": ",".join(day.isoformat() for day in days)})
