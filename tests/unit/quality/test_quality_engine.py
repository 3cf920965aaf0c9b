"""The audit engine's verdicts, without a database: a small frame, a small suite, which rows and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pytest

from kinerja import config, platforms
from kinerja.quality import data_docs, engine

SUITE = {
    "name": "unit_rows",
    "key": ["account_id"],
    "expectations": [
        {
            "type": "expect_column_values_to_not_be_null",
            "columns": ["account_id", "platform"],
            "reason": "{column} is empty: every row needs one",
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "platform", "value_set": {"$PARAMETER": "platforms"}},
            "reason": "platform '{value}' is not one of {platform_names}",
        },
        {
            "type": "expect_column_values_to_be_between",
            "columns": ["likes"],
            "kwargs": {"min_value": 0},
            "reason": "{column} of {account_id} is {value} on {data_day}: a count cannot be negative",
        },
    ],
}


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row_number": [1, 2, 3, 4],
            "account_id": ["a", "b", None, "d"],
            "platform": ["x", "Youtube", "x", "tiktok"],
            "metric_date": [date(2026, 10, 5)] * 4,
            "likes": pd.array([3, 4, 5, -1], dtype="Int64"),
        }
    )


@pytest.fixture
def docs(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KINERJA_DATA_DOCS_DIR", str(tmp_path / "docs"))
    return tmp_path / "docs"


def test_entries_repeat_per_column_and_name_the_checked_columns():
    entries = engine.expectation_entries(SUITE)
    assert [(e["type"], e["column"]) for e in entries] == [
        ("expect_column_values_to_not_be_null", "account_id"),
        ("expect_column_values_to_not_be_null", "platform"),
        ("expect_column_values_to_be_in_set", "platform"),
        ("expect_column_values_to_be_between", "likes"),
    ]
    assert engine.checked_column({"column_A": "reach", "column_B": "views"}) == "reach,views"
    assert engine.checked_column({"column_list": ["account_id", "metric_date"]}) == "account_id,metric_date"


def test_failing_rows_are_rejected_with_their_reason_and_identity(docs):
    validation = engine.Validation("unit:batch-1")
    results = validation.run(frame(), SUITE, {"data_day": date(2026, 10, 5)})
    rejections, rows = engine.row_verdicts(frame(), SUITE, results, {"data_day": date(2026, 10, 5)})

    found = {(r.row_number, r.check_name): r for r in rejections}
    assert set(found) == {
        (3, "expect_column_values_to_not_be_null:account_id"),
        (2, "expect_column_values_to_be_in_set:platform"),
        (4, "expect_column_values_to_be_between:likes"),
    }
    platform = found[(2, "expect_column_values_to_be_in_set:platform")]
    assert platform.reason == f"platform 'Youtube' is not one of {', '.join(platforms.names())}"
    assert (platform.account_id, platform.platform, platform.day) == ("b", "Youtube", date(2026, 10, 5))
    assert found[(4, "expect_column_values_to_be_between:likes")].reason == (
        "likes of d is -1 on 2026-10-05: a count cannot be negative"
    )
    assert (
        found[(3, "expect_column_values_to_not_be_null:account_id")].reason
        == "account_id is empty: every row needs one"
    )
    # one result row per expectation, each with its failing rows
    assert [(r.column_name, r.success, r.unexpected, r.rows_checked, r.level) for r in rows] == [
        ("account_id", False, 1, 4, "row"),
        ("platform", True, 0, 4, "row"),
        ("platform", False, 1, 4, "row"),
        ("likes", False, 1, 4, "row"),
    ]


def test_a_table_audit_names_failing_rows_by_key(docs):
    table = frame().assign(row_number=range(1, 5))
    results = engine.Validation("unit:table").run(table, SUITE)
    failures, rows = engine.table_verdicts(table, SUITE, results, "build")
    assert {r.level for r in rows} == {"build"}
    likes = next(f for f in failures if f.column == "likes")
    assert likes.sentence() == (
        "expect_column_values_to_be_between on likes: 1 row(s) (e.g. account_id=d, likes=-1): "
        "likes of none is none on none: a count cannot be negative"
    )


def batch(**fields) -> engine.Outcome:
    return engine.Outcome("simulator:2026-10-05:abc", "batch", 4, raw_table="raw.account_daily", **fields)


def rejection(row: int, check: str = "expect_column_values_to_be_between:likes") -> engine.Rejection:
    return engine.Rejection(row, check, "likes", "likes is -1: a count cannot be negative")


def test_summary_of_a_clean_a_partly_bad_and_a_rejected_batch():
    assert batch().summary() == "batch simulator:2026-10-05:abc: all 4 rows passed"
    partly = batch(rejections=[rejection(4)], data_docs_url="file:///docs/page.html")
    assert (partly.rows_accepted, partly.rows_rejected, partly.usable) == (3, 1, True)
    assert partly.summary() == (
        "batch simulator:2026-10-05:abc: 3 of 4 rows accepted, 1 quarantined "
        "(expect_column_values_to_be_between:likes: 1 rows); see raw.quarantine for each row's reason; "
        "Data Docs: file:///docs/page.html"
    )
    assert "Data Docs" not in partly.summary(docs=False)
    broken = batch(rejections=[rejection(1), rejection(2), rejection(3)])
    problem = engine.mostly_rejected(broken)
    assert broken.usable and problem
    assert (
        problem.startswith("3 of 4 rows failed the audit (more than 50%;") and "land the day again" in problem
    )
    assert engine.mostly_rejected(batch(rejections=[rejection(1), rejection(2)])) is None
    broken.problems.append(problem)
    assert (broken.usable, broken.status) == (False, "rejected")
    assert broken.summary(docs=False) == f"batch simulator:2026-10-05:abc rejected: {problem}"


def test_summary_names_institutions_without_data_and_how_many_more():
    many = [(f"kab-{n}", f"Kabupaten {n}") for n in range(engine.NAMED_INSTITUTIONS + 3)]
    text = batch(institutions_without_data=many).summary()
    assert f"no data at all from {len(many)} institution(s): kab-0 (Kabupaten 0)" in text
    assert text.endswith("and 3 more (see audit.completeness)")


def test_summary_of_a_table_audit_says_what_users_see_and_what_to_do():
    passed = engine.Outcome(
        "build_marts.fct_account_daily:2026-10-05", "build_marts.fct_account_daily", 10, 7
    )
    assert passed.usable and passed.summary().startswith(
        "build_marts.fct_account_daily:2026-10-05: all 7 expectations passed on 10 rows"
    )
    failed = engine.Outcome(
        "registry:registry.accounts",
        "registry.accounts",
        10,
        7,
        failures=[
            engine.Failure(
                "expect_column_values_to_be_in_set",
                "platform",
                1,
                "",
                "platform is not known",
                ["account_id=a"],
            )
        ],
        consequence="nothing was landed",
        next_step="load the registry again",
    )
    assert not failed.usable
    assert failed.summary().splitlines() == [
        "registry:registry.accounts: 1 of 7 expectations failed on 10 rows of registry.accounts; nothing was landed.",
        "- expect_column_values_to_be_in_set on platform: 1 row(s) (e.g. account_id=a): platform is not known",
        (
            "The rows stay in registry.accounts to look at (results: audit.validation_results where batch_id = "
            "'registry:registry.accounts'). After the fix, load the registry again."
        ),
    ]


def test_conclude_raises_the_subjects_error_only_when_unusable():
    class Conn:
        autocommit = True

    class Rejected(RuntimeError):
        pass

    assert engine.conclude(Conn(), batch(rejections=[rejection(1)]), Rejected).rows_accepted == 3
    with pytest.raises(Rejected, match="rejected: the batch is empty"):
        engine.conclude(Conn(), batch(problems=["the batch is empty"]), Rejected)


def test_every_audit_adds_its_page_to_one_site_and_a_rerun_replaces_its_own(docs):
    def audit(audit_id: str, rows: pd.DataFrame) -> str:
        validation = engine.Validation(audit_id)
        validation.run(rows, SUITE, {"data_day": date(2026, 10, 5)})
        return validation.build_docs(SUITE["name"])

    first = audit("simulator:2026-10-05:one", frame())
    second = audit("simulator:2026-10-06:two", frame().iloc[:2])
    page = Path(unquote(urlsplit(first).path))
    assert page.is_file() and page.is_relative_to(docs / "site" / "validations" / "unit_rows")
    assert "audit-simulator_2026-10-06_two" in second
    index = (docs / "site" / "index.html").read_text(encoding="utf-8")
    assert "audit-simulator_2026-10-05_one" in index and "audit-simulator_2026-10-06_two" in index
    # the one site, its results, and the locks that keep two audits of one batch apart
    assert {p.name for p in docs.iterdir()} == {"results", "site", ".locks"}

    again = audit("simulator:2026-10-05:one", frame())
    assert again != first and not page.exists()
    assert len(list((docs / "site" / "validations").rglob("*.html"))) == 2
    assert len(list((docs / "results").rglob("*.json"))) == 2


def test_a_failure_building_docs_never_fails_the_audit(docs, monkeypatch):
    validation = engine.Validation("unit:docs-fail")
    validation.run(frame(), SUITE)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(data_docs, "build", broken)
    assert validation.build_docs(SUITE["name"]) is None


def test_audit_settings_come_from_config(monkeypatch):
    monkeypatch.delenv("KINERJA_AUDIT_WINDOW_DAYS", raising=False)
    monkeypatch.delenv("KINERJA_DATA_DOCS_RETENTION_DAYS", raising=False)
    assert config.audit_window_days("filedrop") == 92
    monkeypatch.setenv("KINERJA_API_TRAILING_DAYS", "5")
    assert config.audit_window_days("api:facebook") == 5
    monkeypatch.setenv("KINERJA_AUDIT_WINDOW_DAYS", "7")
    monkeypatch.setenv("KINERJA_AUDIT_WINDOW_DAYS_API_FACEBOOK", "9")
    assert (config.audit_window_days("api:facebook"), config.audit_window_days("simulator")) == (9, 7)
    assert config.data_docs_retention_days() == config.DEFAULT_DATA_DOCS_RETENTION_DAYS
    monkeypatch.setenv("KINERJA_DATA_DOCS_RETENTION_DAYS", "3")
    assert config.data_docs_retention_days() == 3
