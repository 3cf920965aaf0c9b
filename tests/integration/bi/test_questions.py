"""The starter questions run as the national BI role and as a province role on the built warehouse.

The national role gets what the owner gets; a province role gets exactly the owner's rows
of its own institutions and accounts (row security, not a filter in the SQL).
"""

from __future__ import annotations

from datetime import date

import pytest
from bi_warehouse_data import PROVINCE, SHARED_ACCOUNT

from kinerja.bi import QuestionError, parse_question, questions

pytestmark = pytest.mark.integration

SEPTEMBER = date(2026, 9, 1)
QUESTIONS = {question.slug: question for question in questions()}


def _members(owner) -> tuple[set[str], set[str]]:
    institutions = {
        i
        for (i,) in owner.execute(
            "select institution_id from registry.institutions where province_code = %s", [PROVINCE]
        )
    }
    accounts = {
        a
        for (a,) in owner.execute(
            "select account_id from registry.accounts where institution_id = any(%s)", [list(institutions)]
        )
    }
    return institutions, accounts


def _in_province(row: dict, institutions: set[str], accounts: set[str]) -> bool:
    if "institution_id" in row:
        return row["institution_id"] in institutions
    return row["account_id"] in accounts


def test_the_eight_starter_questions_are_there():
    assert len(QUESTIONS) == 8
    assert all(question.name and question.description for question in QUESTIONS.values())


@pytest.mark.parametrize("slug", sorted(set(QUESTIONS) - {"04_platforms_compared", "07_top_posts"}))
def test_a_question_gives_the_national_role_every_row_and_a_province_role_its_own(bi_warehouse, slug):
    question = QUESTIONS[slug]
    with (
        bi_warehouse.as_owner() as owner,
        bi_warehouse.as_role(bi_warehouse.bi_role) as bi,
        bi_warehouse.as_role(bi_warehouse.province_role) as province,
    ):
        institutions, accounts = _members(owner)
        everything = question.run(owner)
        assert everything, slug
        assert question.run(bi) == everything
        assert question.run(province) == [
            row for row in everything if _in_province(row, institutions, accounts)
        ]


def test_the_province_ranking_ranks_the_nine_regencies_and_cities(bi_warehouse):
    with bi_warehouse.as_role(bi_warehouse.province_role) as province:
        rows = QUESTIONS["02_province_regencies_ranking"].run(province, month=SEPTEMBER)
    assert sorted(row["rank_in_province"] for row in rows) == list(range(1, 10))


_BEST_POSTS = """
select account_id, post_id, interactions from marts.fct_posts
where metric_date >= %(month)s and metric_date < cast(%(month)s + interval '1 month' as date)
  and interactions is not null and (%(accounts)s::text[] is null or account_id = any(%(accounts)s))
order by interactions desc, account_id, post_id
limit %(top)s
"""


def test_top_posts_are_the_nation_s_and_the_province_s_own_best_from_the_posts_fact(bi_warehouse):
    question = QUESTIONS["07_top_posts"]
    with (
        bi_warehouse.as_owner() as owner,
        bi_warehouse.as_role(bi_warehouse.bi_role) as bi,
        bi_warehouse.as_role(bi_warehouse.province_role) as province,
    ):
        _, accounts = _members(owner)

        def best(of_accounts, top):
            return owner.execute(
                _BEST_POSTS, {"month": SEPTEMBER, "accounts": of_accounts, "top": top}
            ).fetchall()

        national, own = question.run(bi, top=100), question.run(province, top=100)
        assert [(r["account_id"], r["post_id"], r["interactions"]) for r in national] == best(None, 100)
        assert [(r["account_id"], r["post_id"], r["interactions"]) for r in own] == best(
            sorted(accounts), 100
        )
    assert [row["rank_in_province"] for row in own] == list(range(1, 101))
    assert len({(row["account_id"], row["post_id"]) for row in national}) == len(national) == 100
    assert any(row["account_id"] == SHARED_ACCOUNT for row in own)


def test_platforms_compared_counts_the_province_s_institutions_only(bi_warehouse):
    question = QUESTIONS["04_platforms_compared"]
    with (
        bi_warehouse.as_owner() as owner,
        bi_warehouse.as_role(bi_warehouse.bi_role) as bi,
        bi_warehouse.as_role(bi_warehouse.province_role) as province,
    ):
        institutions, _ = _members(owner)
        present = owner.execute(
            "select platform, count(*) filter (where institution_id = any(%s)), count(*)"
            " from reports.rpt_institution_platforms_monthly where month = %s group by platform",
            [list(institutions), SEPTEMBER],
        ).fetchall()
        national, own = question.run(bi), question.run(province)
    assert {row["platform"]: row["institutions"] for row in national} == {p: total for p, _, total in present}
    assert {row["platform"]: row["institutions"] for row in own} == {
        p: mine for p, mine, _ in present if mine
    }


def test_a_question_whose_variables_are_not_declared_is_refused():
    with pytest.raises(QuestionError, match=r"broken.sql.*\{\{variable\}\}"):
        parse_question("broken", "-- name: Broken\nselect * from marts.dim_dates where month = {{month}}")
