"""The dbt macro metric_day_of maps each platform to the zone of PLATFORM_DAY_ZONE."""

from __future__ import annotations

import re

from kinerja import config
from kinerja.sources.base import PLATFORM_DAY_ZONE


def test_the_dbt_macro_uses_the_platforms_day_zones():
    macro = (config.dbt_project_dir() / "macros" / "days_landed_since_last_build.sql").read_text()
    body = macro[macro.index("macro metric_day_of") :]
    pacific = set(re.findall(r"'(\w+)'", re.search(r"in \(([^)]*)\) then 'America/Los_Angeles'", body).group(1)))
    fallback = re.search(r"else '([\w/]+)'", body).group(1)
    expected = {name for name, zone in PLATFORM_DAY_ZONE.items() if zone.key == "America/Los_Angeles"}
    assert pacific == expected
    assert {zone.key for name, zone in PLATFORM_DAY_ZONE.items() if name not in expected} == {fallback}
