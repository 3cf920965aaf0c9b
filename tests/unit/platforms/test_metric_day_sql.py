"""The dbt macro metric_day_of takes each platform's zone from the platforms seed, and writes none itself.

That it maps timestamps as kinerja.platforms does is checked against a warehouse in
tests/integration/models/test_dbt_build.py (test_the_metric_day_of_a_timestamp_is_the_seeds_in_sql_and_python).
"""

from __future__ import annotations

import re

from kinerja import config


def _macro_body() -> str:
    macro = (config.dbt_project_dir() / "macros" / "metric_day_of.sql").read_text()
    return macro[macro.index("{% macro metric_day_of") :]


def test_the_dbt_macro_reads_the_zones_of_the_platforms_seed():
    body = _macro_body()
    assert "ref('platforms')" in body
    assert "metric_day_zone" in body


def test_the_dbt_macro_names_no_platform_and_no_zone():
    body = _macro_body()
    assert not re.search(r"'[A-Za-z_]+/[A-Za-z_]+'", body), (
        "a zone written in the macro: the seed platforms owns them"
    )
    for name in ("instagram", "facebook", "youtube", "tiktok", "'x'"):
        assert name not in body
