"""The calendar and platform dimensions: dim_dates (holidays, cuti bersama, working days),
dim_platforms (metric day zones) and the register of metric definition changes.

One dbt build of these models and their seeds, against a database of this module, and
facts checked against the seed files and the Python package.
"""

from __future__ import annotations

import csv
import hashlib
import re
import uuid
from calendar import monthrange
from datetime import date

import pytest

from kinerja import config, platforms
from support import dbt_build

pytestmark = pytest.mark.integration

SEEDS = config.dbt_project_dir() / "seeds"
MODELS = ["dim_dates", "dim_platforms", "dim_metric_definition_changes"]
SEED_NAMES = ["indonesia_holidays", "platforms", "metric_definition_changes"]
FIRST_DATA_DAY, LAST_DATA_DAY = date(2019, 6, 30), date(2028, 1, 2)
# whole years, from the first year of data to the year after the latest data (or today)
CALENDAR = (date(2019, 1, 1), date(max(LAST_DATA_DAY.year, date.today().year) + 1, 12, 31))
CALENDAR_DAYS = (CALENDAR[1] - CALENDAR[0]).days + 1


def _holiday_rows() -> list[dict]:
    with (SEEDS / "indonesia_holidays.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def dims(server, tmp_path_factory):
    """A connection to a database where the three models and their seeds were built."""
    from psycopg import sql

    from kinerja.warehouse import connect, ensure_database
    from kinerja.warehouse.schema import apply_ddl

    params = ensure_database(server, f"kinerja_calendar_{uuid.uuid4().hex[:10]}")
    with connect(params) as conn:
        apply_ddl(conn)
        # history from before the holiday calendar and a day of 2028: the calendar spans them
        conn.execute(
            "insert into raw.account_daily (batch_id, row_number, source, platform, account_id, metric_date)"
            " values ('b-old', 1, 'import', 'x', 'a', %s), ('b-new', 1, 'simulator', 'x', 'a', %s)",
            (FIRST_DATA_DAY, LAST_DATA_DAY),
        )
        conn.commit()
    # a target folder of our own: other dbt runs in this working tree keep theirs
    target = tmp_path_factory.mktemp("dbt_target")
    # the reference models (tag:reference) and the seeds they are built from (the platforms
    # seed is tagged daily: the daily build reads it)
    result = dbt_build(params, "--select", "+tag:reference", "--target-path", str(target), check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    try:
        with connect(params, autocommit=True) as conn:
            yield conn, result.stdout
    finally:
        with connect(server, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(params.dbname))
            )


def _relation(conn, model: str) -> str:
    """The marts table of `model`: build_marts while write-audit-publish builds there, else marts."""
    schema = conn.execute(
        "select table_schema from information_schema.tables where table_name = %s"
        " and table_schema in ('build_marts', 'marts') order by table_schema = 'build_marts' desc limit 1",
        (model,),
    ).fetchone()
    assert schema is not None, f"{model} was not built"
    return f"{schema[0]}.{model}"


def _day(conn, day: date) -> dict:
    cursor = conn.execute(f"select * from {_relation(conn, 'dim_dates')} where date_day = %s", (day,))
    names = [c.name for c in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def test_the_build_ran_the_tests_of_the_dimensions(dims):
    _, output = dims
    for seed in SEED_NAMES:
        assert f"seed file reference.{seed}" in output
    for model in MODELS:
        assert f".{model} " in output
    assert "unique_dim_dates_date_day" in output
    assert "unique_dim_platforms_platform" in output
    assert "unique_combination_dim_metric_definition_changes" in output


def test_one_row_per_day_of_the_years_of_the_data_it_finds(dims):
    conn, _ = dims
    count, first, last, distinct = conn.execute(
        f"select count(*), min(date_day), max(date_day), count(distinct date_day) from {_relation(conn, 'dim_dates')}"
    ).fetchone()
    assert (first, last) == CALENDAR
    assert count == distinct == CALENDAR_DAYS
    day = _day(conn, LAST_DATA_DAY)
    assert (day["year"], day["day_name_id"], day["has_holiday_calendar"], day["is_holiday"]) == (
        2028,
        "Minggu",
        False,
        None,
    )


def test_calendar_columns(dims):
    conn, _ = dims
    day = _day(conn, date(2024, 12, 30))  # a Monday in ISO week 1 of 2025
    assert (day["year"], day["iso_year"], day["iso_week"], day["iso_week_start"]) == (
        2024,
        2025,
        1,
        date(2024, 12, 30),
    )
    assert (day["quarter"], day["month"], day["month_number"]) == (4, date(2024, 12, 1), 12)
    assert (day["month_name_id"], day["month_name_en"]) == ("Desember", "December")
    assert (day["iso_day_of_week"], day["day_name_id"], day["day_name_en"]) == (1, "Senin", "Monday")
    sunday = _day(conn, date(2026, 10, 4))
    assert (sunday["day_name_id"], sunday["is_weekend"], sunday["is_working_day"]) == ("Minggu", True, False)
    friday = _day(conn, date(2026, 10, 2))
    assert (friday["day_name_id"], friday["is_weekend"], friday["is_working_day"]) == ("Jumat", False, True)


def test_election_day_2024_is_a_holiday_and_not_a_working_day(dims):
    conn, _ = dims
    day = _day(conn, date(2024, 2, 14))
    assert day["day_name_id"] == "Rabu" and not day["is_weekend"]
    assert day["is_holiday"] is True and day["is_cuti_bersama"] is False
    assert day["holiday_name"] == "Hari Pemilihan"
    assert day["is_working_day"] is False


def test_cuti_bersama_and_observances_are_told_apart(dims):
    conn, _ = dims
    kartini = _day(conn, date(2023, 4, 21))  # "Hari Kartini | Cuti Bersama Idul Fitri"
    assert (kartini["is_holiday"], kartini["is_cuti_bersama"], kartini["is_working_day"]) == (
        False,
        True,
        False,
    )
    assert (kartini["holiday_name"], kartini["observance_name"]) == (
        "Cuti Bersama Idul Fitri",
        "Hari Kartini",
    )
    batik = _day(conn, date(2024, 10, 2))  # Hari Batik, a Wednesday: an observance, people work
    assert (batik["is_holiday"], batik["is_working_day"], batik["observance_name"]) == (
        False,
        True,
        "Hari Batik",
    )
    tentative = _day(conn, date(2026, 3, 21))
    assert tentative["is_holiday"] and tentative["is_date_tentative"]


def _expected_2022_classes(rows: list[dict]) -> dict[date, set[str]]:
    """The documented rule for rows without a flag, computed from the CSV.

    Each name of a 2022 row takes the class of the same name in the first later row that
    is flagged ("Hari libur nasional": holiday or, when named "Cuti Bersama ...", cuti
    bersama; "Perayaan": observance); a "Cuti Bersama ..." name is cuti bersama; a name
    never flagged is an observance.
    """
    flagged: list[tuple[date, str, str]] = []
    for row in rows:
        if row["is_holiday"] == "":
            continue
        for name, kind in zip(row["summary"].split(" | "), row["description"].split(" | "), strict=True):
            if kind.strip() == "Hari libur nasional":
                klass = "cuti_bersama" if name.lower().startswith("cuti bersama") else "holiday"
            else:
                klass = "observance"
            flagged.append((date.fromisoformat(row["date"]), name.strip(), klass))
    expected: dict[date, set[str]] = {}
    for row in rows:
        if row["is_holiday"] != "":
            continue
        day = date.fromisoformat(row["date"])
        classes = set()
        for name in (n.strip() for n in row["summary"].split(" | ")):
            later = sorted((d, k) for d, n, k in flagged if n == name and d > day)
            if name.lower().startswith("cuti bersama"):
                classes.add("cuti_bersama")
            else:
                classes.add(later[0][1] if later else "observance")
        expected[day] = classes
    return expected


def test_2022_rows_without_a_holiday_flag_are_classified_by_their_names(dims):
    conn, _ = dims
    rows = _holiday_rows()
    unflagged = [r for r in rows if r["is_holiday"] == ""]
    assert len(unflagged) == 29 and {r["date"][:4] for r in unflagged} == {"2022"}  # the quirk is kept
    expected = _expected_2022_classes(rows)
    got = conn.execute(
        f"select date_day, is_holiday, is_cuti_bersama, is_holiday_inferred, observance_name is not null"
        f" from {_relation(conn, 'dim_dates')} where date_day = any(%s)",
        (list(expected),),
    ).fetchall()
    assert len(got) == len(expected)
    for day, is_holiday, is_cuti_bersama, inferred, has_observance in got:
        assert inferred, day
        assert is_holiday == ("holiday" in expected[day]), day
        assert is_cuti_bersama == ("cuti_bersama" in expected[day]), day
        assert has_observance == ("observance" in expected[day]), day
    # the facts of 2022 this gives
    assert _day(conn, date(2022, 5, 2))["is_holiday"] is True  # Hari Idul Fitri
    cuti = _day(conn, date(2022, 5, 4))  # Cuti Bersama Idul Fitri, a Wednesday
    assert (cuti["is_cuti_bersama"], cuti["is_working_day"]) == (True, False)
    guru = _day(conn, date(2022, 11, 25))  # Hari Guru, a Friday: an observance in 2023 too
    assert (guru["is_holiday"], guru["is_working_day"]) == (False, True)
    easter = _day(conn, date(2022, 4, 17))  # Paskah became a day off only in 2024
    assert easter["is_holiday"] is False
    diwali = _day(conn, date(2022, 10, 24))  # "Diwali / Deepavali": never flagged under that name
    assert (diwali["is_holiday"], diwali["is_working_day"], diwali["observance_name"]) == (
        False,
        True,
        "Diwali / Deepavali",
    )
    # days of 2022 not in the source at all are plain days, not inferred
    assert _day(conn, date(2022, 3, 15))["is_holiday_inferred"] is False


def test_flagged_rows_agree_with_the_source(dims):
    conn, _ = dims
    flagged = {
        date.fromisoformat(r["date"]): r["is_holiday"] == "True" for r in _holiday_rows() if r["is_holiday"]
    }
    got = dict(
        conn.execute(
            f"select date_day, is_holiday or is_cuti_bersama from {_relation(conn, 'dim_dates')} where date_day = any(%s)",
            (list(flagged),),
        ).fetchall()
    )
    assert got == flagged


def test_working_days_of_october_2026_match_the_csv(dims):
    conn, _ = dims
    days_off = {date.fromisoformat(r["date"]) for r in _holiday_rows() if r["is_holiday"] == "True"}
    october = [date(2026, 10, d) for d in range(1, monthrange(2026, 10)[1] + 1)]
    expected = sum(1 for d in october if d.isoweekday() < 6 and d not in days_off)
    got = conn.execute(
        f"select count(*) filter (where is_working_day) from {_relation(conn, 'dim_dates')} where month = '2026-10-01'"
    ).fetchone()[0]
    assert got == expected == 22


def test_years_without_a_holiday_calendar_are_unknown_not_working(dims):
    conn, _ = dims
    rows = conn.execute(
        f"select has_holiday_calendar, count(*), count(is_holiday), count(is_working_day)"
        f" from {_relation(conn, 'dim_dates')} group by 1 order by 1"
    ).fetchall()
    # the seed covers 2022-2026
    covered = (date(2026, 12, 31) - date(2022, 1, 1)).days + 1
    uncovered = CALENDAR_DAYS - covered
    assert rows == [(False, uncovered, 0, 0), (True, covered, covered, covered)]


def test_every_platform_has_its_metric_day_zone(dims):
    conn, _ = dims
    rows = dict(
        conn.execute(f"select platform, metric_day_zone from {_relation(conn, 'dim_platforms')}").fetchall()
    )
    assert set(rows) == set(platforms.names())
    assert rows == {name: zone.key for name, zone in platforms.day_zones().items()}


def test_the_daily_trailing_window_covers_every_restatement_window(dims):
    conn, _ = dims
    longest = conn.execute(
        f"select max(restatement_window_days) from {_relation(conn, 'dim_platforms')}"
    ).fetchone()[0]
    assert longest <= config.TRAILING_DAYS


def test_platform_metrics_and_history_limits(dims):
    conn, _ = dims
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            f"select platform, reports_reach, reports_saves, reports_angry, history_limit_days"
            f" from {_relation(conn, 'dim_platforms')}"
        ).fetchall()
    }
    assert rows["facebook"] == (True, False, True, 90)
    assert rows["instagram"] == (True, True, False, 30)
    assert rows["x"] == (False, True, False, 30)
    assert rows["youtube"] == (False, False, False, None)  # no limit
    assert rows["tiktok"] == (True, False, False, 60)


def test_the_register_of_metric_definition_changes(dims):
    conn, _ = dims
    rows = conn.execute(
        f"select change_date, platform, metric, field_before, field_after, comparable_across, change_month,"
        f" first_full_month_after from {_relation(conn, 'dim_metric_definition_changes')}"
    ).fetchall()
    by_key = {(r[0], r[1], r[2]): r[3:] for r in rows}
    assert by_key[(date(2025, 11, 15), "facebook", "followers")] == (
        "page_fans",
        "page_follows",
        False,
        date(2025, 11, 1),
        date(2025, 12, 1),
    )
    assert by_key[(date(2025, 4, 21), "instagram", "views")][:3] == ("impressions", "views", False)
    assert (date(2025, 3, 31), "youtube", "views") in by_key
    assert {platform for _, platform, _ in by_key} <= set(platforms.names())
    with (SEEDS / "metric_definition_changes.csv").open(newline="", encoding="utf-8") as f:
        assert len(list(csv.DictReader(f))) == len(rows)


def test_the_holiday_seed_is_the_copy_its_provenance_names():
    recorded = re.search(r"sha256 `([0-9a-f]{64})`", (SEEDS / "PROVENANCE.md").read_text())
    assert recorded is not None
    assert hashlib.sha256((SEEDS / "indonesia_holidays.csv").read_bytes()).hexdigest() == recorded.group(1)
    assert len(_holiday_rows()) == 156
