"""The dbt macro metric_day_of maps each platform to the zone of the platforms seed."""

from __future__ import annotations

import re

from kinerja import config, platforms


def test_the_dbt_macro_uses_the_platforms_day_zones():
    macro = (config.dbt_project_dir() / "macros" / "days_landed_since_last_build.sql").read_text()
    body = macro[macro.index("macro metric_day_of") :]
    pacific = set(re.findall(r"'(\w+)'", re.search(r"in \(([^)]*)\) then 'America/Los_Angeles'", body).group(1)))
    fallback = re.search(r"else '([\w/]+)'", body).group(1)
    expected = {name for name, zone in platforms.day_zones().items() if zone.key == "America/Los_Angeles"}
    assert pacific == expected
    assert {zone.key for name, zone in platforms.day_zones().items() if name not in expected} == {fallback}
