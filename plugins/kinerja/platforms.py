"""The platform facts, owned by the dbt seed `platforms` (dbt_project/seeds/platforms.csv).

Which platforms Kinerja covers, the zone of each platform's metric day, the days during
which a platform may still restate a day, which metrics it reports: dbt reads the seed as
a table, Python reads the same file through this module. Nothing else lists them.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from kinerja import config


@dataclass(frozen=True)
class Platform:
    name: str
    display_name: str
    # The zone of the platform's own daily bucket. Platforms that publish daily values (Meta,
    # YouTube) close their day at midnight US Pacific, so a value they label 2026-10-05 is
    # metric day 2026-10-05 even though that day ends at 14:00 or 15:00 WIB on the 6th; it
    # is pulled again by the trailing window until final. Where we bucket timestamps
    # ourselves (posts, comments, follower snapshots) we use the same zone, so that a post
    # and its day's totals agree.
    metric_day_zone: ZoneInfo
    # Days after a metric day during which the platform may still change its values.
    restatement_days: int
    reports: frozenset[str]  # the canonical metrics it reports at all


@cache
def _platforms() -> dict[str, Platform]:
    path = config.dbt_project_dir() / "seeds" / "platforms.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        row["platform"]: Platform(
            name=row["platform"],
            display_name=row["display_name"],
            metric_day_zone=ZoneInfo(row["metric_day_zone"]),
            restatement_days=int(row["restatement_window_days"]),
            reports=frozenset(
                column.removeprefix("reports_")
                for column, value in row.items()
                if column.startswith("reports_") and value == "true"
            ),
        )
        for row in rows
    }


def names() -> tuple[str, ...]:
    """The canonical platform names, in the seed's order."""
    return tuple(_platforms())


def platform(name: str) -> Platform:
    try:
        return _platforms()[name]
    except KeyError:
        raise ValueError(f"{name!r} is not a platform Kinerja covers ({', '.join(names())})") from None


def day_zones() -> Mapping[str, ZoneInfo]:
    """Each platform's metric-day zone."""
    return {name: p.metric_day_zone for name, p in _platforms().items()}


def restatement_days() -> Mapping[str, int]:
    """Each platform's restatement window, in days."""
    return {name: p.restatement_days for name, p in _platforms().items()}


def metric_day_sql(platform_column: str, moment: str) -> str:
    """SQL for the metric day of the timestamp `moment` on the platform in `platform_column`."""
    zones = " ".join(f"when '{name}' then '{zone.key}'" for name, zone in sorted(day_zones().items()))
    return f"({moment} at time zone case {platform_column} {zones} end)::date"
