"""What a harvest reports besides its rows: problems and payloads (tables in warehouse/ddl_sources.sql)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date

import psycopg
from psycopg.types.json import Jsonb

from kinerja.sources.base import Payload, SourceProblem


def _canonical_json(body) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record_problems(
    conn: psycopg.Connection, data_day: date, source: str, platform: str, problems: Iterable[SourceProblem]
) -> int:
    """Replace the day's problems of `source` on `platform` with `problems`; returns how many.

    A problem already recorded keeps its `recorded_at`; one that did not come back is removed.
    """
    latest: dict[tuple[str, str], SourceProblem] = {}
    for problem in problems:  # one row per account and kind: the last word wins
        latest[(problem.account_id or "", problem.kind)] = problem
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            """
            delete from raw.source_problems
            where data_day = %s and source = %s and platform = %s
              and not exists (
                  select 1 from unnest(%s::text[], %s::text[]) as kept(account_id, kind)
                  where kept.account_id = coalesce(raw.source_problems.account_id, '')
                    and kept.kind = raw.source_problems.kind
              )
            """,
            [data_day, source, platform, [a for a, _ in latest], [k for _, k in latest]],
        )
        cur.executemany(
            """
            insert into raw.source_problems (data_day, source, platform, account_id, kind, message, retry_after)
            values (%s, %s, %s, %s, %s, %s, %s)
            on conflict (data_day, source, platform, coalesce(account_id, ''), kind) do update
                set message = excluded.message, retry_after = excluded.retry_after
            """,
            [
                (data_day, source, platform, p.account_id, p.kind, p.message, p.retry_after)
                for p in latest.values()
            ],
        )
    return len(latest)


def archive_payloads(conn: psycopg.Connection, data_day: date, payloads: Iterable[Payload]) -> int:
    """Keep every payload as received; the same answer to the same request of the day once. Returns new rows."""
    rows = []
    for payload in payloads:
        text = _canonical_json(payload.body)
        digest = hashlib.sha256(text.encode()).hexdigest()
        rows.append(
            (
                data_day,
                payload.source,
                payload.platform,
                payload.request,
                digest,
                payload.received_at,
                Jsonb(payload.body, dumps=_canonical_json),
            )
        )
    with conn.transaction(), conn.cursor() as cur:
        before = cur.execute(
            "select count(*) from raw.source_payloads where data_day = %s", [data_day]
        ).fetchone()[0]
        cur.executemany(
            """
            insert into raw.source_payloads (data_day, source, platform, request, body_sha256, received_at, body)
            values (%s, %s, %s, %s, %s, %s, %s)
            on conflict do nothing
            """,
            rows,
        )
        after = cur.execute(
            "select count(*) from raw.source_payloads where data_day = %s", [data_day]
        ).fetchone()[0]
    return after - before


def archived_answers(conn: psycopg.Connection, data_day: date, source: str, platform: str) -> list[tuple]:
    """The payloads archived by the harvest of `data_day` on `platform`, one per request: (request,
    received_at, body). A request answered more than once that day (a pull run twice) gives its
    latest answer, the one the day's last batch was made of."""
    return conn.execute(
        """
        select distinct on (request) request, received_at, body
        from raw.source_payloads
        where data_day = %s and source = %s and platform = %s
        order by request, received_at desc, body_sha256
        """,
        [data_day, source, platform],
    ).fetchall()
