"""Paths and helpers the tests share. (Not in conftest.py: importing conftest as a module runs it a second time.)"""

import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMALL_REGISTRY = REPO / "tests" / "fixtures" / "registry_small"
# The selection of kinerja_daily's dbt task group: the daily models, not the reference dimensions.
DAILY_SELECTION = ("--select", "tag:daily", "--exclude", "tag:reference")


def dbt_build(params, *args: str, check: bool = True):
    """`dbt build` of `args` as the DAGs run it: without dbt's unit tests, which check the models'
    SQL on fixed inputs, not a test's data (tests/integration/models/test_dbt_build.py runs them all)."""
    from kinerja import dbt_commands as dbt

    return dbt.run_dbt(params, "build", *args, "--exclude", dbt.UNIT_TESTS, check=check)


def daily_vars(data_day, trailing_days: int | None = None) -> str:
    """dbt's vars of a daily build of `data_day` and its trailing days, as the plan gives them
    when no batch beyond the window is due (kinerja.landing.plan)."""
    import json

    from kinerja import config
    from kinerja.landing.plan import window

    days = window(data_day, config.TRAILING_DAYS if trailing_days is None else trailing_days)
    return json.dumps({"days_to_build": ",".join(day.isoformat() for day in days)})


# A Meta token the fake Graph API refuses as expired (error 190).
EXPIRED = "EAAGkinerjaExpiredToken"


def small_registry_ids(platform: str) -> dict[str, str]:
    """account_id -> platform_account_id of the small registry's accounts on `platform`."""
    from kinerja.registry.load import read_accounts

    return {
        a["account_id"]: a["platform_account_id"]
        for a in read_accounts(SMALL_REGISTRY)
        if a["platform"] == platform
    }


META_BASE = "/v25.0"


def _serve_two_pages(server, path: str, first: str, second: str, cursor: str) -> None:
    """A Graph API list in two pages: `first` fixture, then `second` for the `after` cursor it names."""
    from fakeplatforms import fixture

    server.on(f"{META_BASE}/{path}", fixture("meta", first))
    server.on(f"{META_BASE}/{path}", fixture("meta", second), when=lambda q: q.get("after") == cursor)


def serve_meta_page(server, page_id: str) -> None:
    """A Facebook Page on the fake Graph API: the page, its daily insights, two pages of posts."""
    from fakeplatforms import fixture

    server.on(f"{META_BASE}/{page_id}", fixture("meta", "page"))
    server.on(f"{META_BASE}/{page_id}/insights", fixture("meta", "page_insights"))
    _serve_two_pages(server, f"{page_id}/posts", "page_posts_1", "page_posts_2", "QVFIUnBhZ2Uy")


def serve_meta_post_comments(server) -> None:
    """The comments of the posts in the page fixtures (their ids are the fixtures' own)."""
    from fakeplatforms import fixture

    post = "104000000000001_90000000000000"
    _serve_two_pages(server, f"{post}2/comments", "post_comments_1", "post_comments_2", "Y29tbWVudDM")
    server.on(f"{META_BASE}/{post}1/comments", fixture("meta", "post_comments_late"))
    server.on(f"{META_BASE}/{post}0/comments", {"data": []})


def serve_instagram_user(server, user_id: str) -> None:
    """An Instagram professional account: the user, its insights, two pages of media and their comments."""
    from fakeplatforms import fixture

    server.on(f"{META_BASE}/{user_id}", fixture("meta", "ig_user"))
    server.on(f"{META_BASE}/{user_id}/insights", fixture("meta", "ig_insights_day"))
    _serve_two_pages(server, f"{user_id}/media", "ig_media_1", "ig_media_2", "aWdwYWdlMg")
    server.on(f"{META_BASE}/18000000000000002/comments", fixture("meta", "ig_comments"))
    server.on(f"{META_BASE}/18000000000000001/comments", {"data": []})


def serve_meta(server) -> None:
    """Every Facebook Page and Instagram account of the small registry answers on the fake Graph API
    (fakeplatforms.FakePlatform) with the documented fixtures; the token EXPIRED is refused."""
    from fakeplatforms import Reply, fixture

    for page_id in small_registry_ids("facebook").values():
        serve_meta_page(server, page_id)
    serve_meta_post_comments(server)
    for user_id in small_registry_ids("instagram").values():
        serve_instagram_user(server, user_id)
    server.reject_token(EXPIRED, Reply(400, fixture("meta", "error_190")))


def create_database(server, prefix: str):
    """A new database on `server` with the Python-owned tables (no registry)."""
    from kinerja.warehouse import connect, ensure_database
    from kinerja.warehouse.schema import apply_ddl

    params = ensure_database(server, f"{prefix}_{uuid.uuid4().hex[:10]}")
    with connect(params) as conn:
        apply_ddl(conn)
    return params


def copy_database(server, template, prefix: str):
    """A new database on `server`, a copy of `template`'s schemas and rows; nobody may be connected
    to `template` meanwhile (PostgreSQL's CREATE DATABASE ... TEMPLATE)."""
    from psycopg import sql

    from kinerja.warehouse import connect

    dbname = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with connect(server, autocommit=True) as conn:
        conn.execute(
            sql.SQL("create database {} template {}").format(
                sql.Identifier(dbname), sql.Identifier(template.dbname)
            )
        )
    return template.with_dbname(dbname)


def drop_database(server, params) -> None:
    from psycopg import sql

    from kinerja.warehouse import connect

    with connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(params.dbname)))
