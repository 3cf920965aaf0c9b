"""Landing throughput: our landing path against the COPY ceiling and pandas' to_sql, on the same rows.

The records are national scale: the simulator's account days (Realities.national(), so
with no-value reasons) of every demo registry account for DAYS days, built once and held
in memory. Each contender writes all of them to the same throwaway database:

  a) kinerja.landing.land_batch: checksum, COPY into a temp table, partition locks,
     delete + insert into the indexed raw.account_daily, ledger row, one commit. Measured
     as one batch of every row (a backfill), as one batch per day (the daily shape), and
     again as one batch per day over rows already there (a re-run replaces them).
  a') a prototype of a faster land_batch (proposed_land_batch below; landing.py unchanged):
     the same rows, batch ids and ledger, in one pass and one COPY into the raw table.
  b) the ceiling: psycopg COPY with copy.write_row of the same tuples into an unindexed
     copy of raw.account_daily, one commit.
  c) pandas DataFrame.to_sql on a SQLAlchemy engine (psycopg and psycopg2 drivers, default
     settings: method=None, no chunksize; no_value typed JSONB) into an unindexed table; the
     DataFrame is built beforehand. Ratios are to the faster of the two.

Server: KINERJA_WAREHOUSE_URL when set (a database of its own, dropped at the end), else
an embedded server (pgserver) in a temporary folder, stopped and removed at the end; the
warehouse of `make run` is never touched.

Run: .venv/bin/python bench/landing_throughput.py [--days 30] [--rounds 3] [--profile]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import hashlib
import io
import json
import pstats
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from kinerja import config, landing
from kinerja.config import PgParams
from kinerja.registry.load import read_accounts
from kinerja.sources import CANONICAL_FIELDS
from kinerja.sources.simulator import Realities, SimulatorSource

LAST_DAY = date(2026, 10, 31)


@contextlib.contextmanager
def throwaway_warehouse(prefix: str = "kinerja_bench") -> Iterator[PgParams]:
    """A fresh database with the warehouse tables, on KINERJA_WAREHOUSE_URL's server or a private embedded one."""
    from kinerja.warehouse import connect, embedded, ensure_database
    from kinerja.warehouse.schema import apply_ddl
    from psycopg import sql

    home = None
    if config.warehouse_url():
        server = PgParams.from_url(config.warehouse_url())
    else:
        home = Path(tempfile.mkdtemp(prefix="kinerja-bench-"))
        server = embedded.start(home)
    params = ensure_database(server, f"{prefix}_{uuid.uuid4().hex[:10]}")
    try:
        with connect(params) as conn:
            apply_ddl(conn)
        yield params
    finally:
        if home is None:
            maintenance = PgParams(server.host, server.port, server.user, server.password, "postgres")
            with connect(maintenance, autocommit=True) as conn:
                conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(params.dbname)))
        else:
            embedded.stop(home)
            shutil.rmtree(home, ignore_errors=True)


def national_records(days: int) -> dict[date, list[dict]]:
    """The account days of every demo account for `days` days up to LAST_DAY, by day."""
    accounts = read_accounts(config.registry_dir())
    source = SimulatorSource(Realities.national(), with_posts=False)
    by_day = {}
    for back in range(days - 1, -1, -1):
        day = LAST_DAY - timedelta(days=back)
        by_day[day] = source.harvest(day, accounts).account_days
    return by_day


CEILING = "b) COPY write_row, unindexed table (ceiling)"


def _timed(label: str, results: dict, rows: int, run) -> None:
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    results.setdefault(label, []).append(seconds)
    print(f"{label:<58} {rows:>8,} rows {seconds:8.2f} s {rows / seconds:>10,.0f} rows/s", flush=True)


def _reset(conn) -> None:
    conn.execute("truncate raw.account_daily, raw.batch_ledger")
    conn.commit()


def bench_land_batch_one(conn, records: list[dict]) -> None:
    landing.land_batch(conn, "simulator", LAST_DAY, records)


def bench_land_batch_daily(conn, by_day: dict[date, list[dict]]) -> None:
    for day, records in by_day.items():
        landing.land_batch(conn, "simulator", day, records)


def bench_copy_ceiling(conn, records: list[dict]) -> None:
    """COPY of the rows land_batch ends up with (batch id included), into an unindexed table, committed."""
    from psycopg.types.json import Jsonb

    columns = landing.ACCOUNT_DAILY.copy_columns
    statement = f"copy bench_copy (batch_id, {', '.join(columns)}) from stdin"
    batch_id = f"simulator:{LAST_DAY.isoformat()}:{'0' * 16}"
    with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
        for number, record in enumerate(records, start=1):
            copy.write_row(
                (batch_id, number, "simulator", *(record[f] for f in CANONICAL_FIELDS), Jsonb(record["no_value"]))
            )


def bench_to_sql(frame, engine) -> None:
    from sqlalchemy.dialects.postgresql import JSONB

    frame.to_sql("bench_to_sql", engine, if_exists="append", index=False, dtype={"no_value": JSONB})


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value as COPY's text format needs it (backslash, tab, newline, carriage return escaped)."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def proposed_land_batch(conn, source: str, data_day: date, records, table=landing.ACCOUNT_DAILY) -> str:
    """A PROPOSAL for landing.land_batch (not used by the pipeline): the same result, one pass.

    Each record is formatted once, as the line its checksum already hashes (so batch ids do
    not change); the same text, escaped where needed, is COPYed straight into the raw
    table; then the rows of other batches in the partitions it carries are deleted. No
    temporary table, no second serialisation of no_value, no insert ... select.
    """
    hasher = hashlib.sha256()
    lines: list[str] = []
    day_values: set[date] = set()
    json_texts: dict[tuple, str] = {}
    day_field = table.day_field
    text_fields = [f for f in table.fields if f in ("platform", "account_id", "post_id", "post_type")]
    for record in records:
        values = ["\\N" if record[f] is None else str(record[f]) for f in table.fields]
        no_value = record.get("no_value")
        cache_key = tuple(no_value.items()) if no_value is not None else None
        text = json_texts.get(cache_key)
        if text is None:
            text = json_texts[cache_key] = json.dumps(no_value, sort_keys=True)
        canonical = "\t".join(values) + "\t" + text
        hasher.update((canonical + "\n").encode())
        if "\\" in text or any(_copy_text(record[f] or "") != (record[f] or "") for f in text_fields):
            escaped = ["\\N" if record[f] is None else _copy_text(str(record[f])) for f in table.fields]
            canonical = "\t".join(escaped) + "\t" + _copy_text(text)
        lines.append(canonical if no_value is not None else canonical.rsplit("\t", 1)[0] + "\t\\N")
        day_values.add(record[day_field])
    checksum = hasher.hexdigest()
    batch_id = landing.batch_id_for(source, data_day, checksum, table)
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(
            "select pg_advisory_xact_lock(hashtext(%s || day::text))"
            " from (select distinct day from unnest(%s::date[]) as day order by day) as sorted_days",
            [f"landing|{table.name}|{source}|", sorted({*day_values, data_day})],
        )
        # The same batch landed again: its own rows go first (a primary-key prefix lookup).
        cur.execute(f"delete from {table.name} where batch_id = %s", [batch_id])
        prefix = f"{_copy_text(batch_id)}\t"
        middle = f"\t{_copy_text(source)}\t"
        with cur.copy(f"copy {table.name} (batch_id, {', '.join(table.copy_columns)}) from stdin") as copy:
            for start in range(0, len(lines), 5000):
                chunk = lines[start:start + 5000]
                copy.write("".join(f"{prefix}{n}{middle}{line}\n" for n, line in enumerate(chunk, start + 1)))
        # Then every other batch's rows of the partitions this batch carries, found through
        # the batch's own rows: the planner has the raw table's statistics, no temp table.
        cur.execute(
            f"""
            delete from {table.name} as landed
            using (select distinct platform, account_id, {day_field} from {table.name} where batch_id = %s) as carried
            where landed.source = %s and landed.batch_id <> %s
              and landed.platform = carried.platform and landed.account_id = carried.account_id
              and landed.{day_field} = carried.{day_field}
            """,
            [batch_id, source, batch_id],
        )
        landing._record_in_ledger(cur, table, batch_id, source, data_day, len(lines), checksum)
    return batch_id


def _contents(conn) -> tuple:
    from kinerja.warehouse.fingerprint import table_fingerprint

    ledger = conn.execute(
        "select string_agg(concat_ws('|', batch_id, data_day, rows_in, checksum, status), ',' order by batch_id)"
        " from raw.batch_ledger"
    ).fetchone()[0]
    return table_fingerprint(conn, "raw.account_daily"), ledger


def _frame(records: list[dict]):
    import pandas as pd

    columns = landing.ACCOUNT_DAILY.copy_columns
    rows = [(n, "simulator", *(r[f] for f in CANONICAL_FIELDS), r["no_value"]) for n, r in enumerate(records, start=1)]
    return pd.DataFrame.from_records(rows, columns=list(columns))


def profile_land_batch(conn, records: list[dict], top: int = 25) -> str:
    _reset(conn)
    profiler = cProfile.Profile()
    profiler.enable()
    landing.land_batch(conn, "simulator", LAST_DAY, records)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def statement_times(conn, records: list[dict]) -> dict[str, float]:
    """Time land_batch's steps one by one on an empty table, then again over the same rows.

    Calls landing.py's own helpers in land_batch's order (landing.py is unchanged); the
    Python work of building rows is timed apart from the COPY that sends them.
    """
    table = landing.ACCOUNT_DAILY
    times: dict[str, float] = {}
    _reset(conn)
    for repeat in ("empty table", "replacing"):
        clock = time.perf_counter()

        def lap(name: str, repeat=repeat) -> None:
            nonlocal clock
            now = time.perf_counter()
            times[f"{repeat}: {name}"] = now - clock
            clock = now

        with conn.cursor() as cur:
            cur.execute(f"create temp table incoming on commit drop as select * from {table.name} with no data")
            lap("create temp table")
            hasher = hashlib.sha256()
            for record in records:
                hasher.update(landing._canonical_line(table, record))
            lap("checksum lines (python, _canonical_line)")
            rows = [landing._copy_row(table, n, "simulator", r) for n, r in enumerate(records, start=1)]
            lap("copy tuples (python, _copy_row)")
            with cur.copy(f"copy incoming ({', '.join(table.copy_columns)}) from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
            lap("COPY into the temp table")
            landing._lock_partitions(cur, table, "simulator", LAST_DAY)
            lap("advisory locks")
            batch_id = landing.batch_id_for("simulator", LAST_DAY, hasher.hexdigest())
            landing._replace_partitions(cur, table, "simulator", batch_id)
            lap("delete + insert into raw.account_daily")
            landing._record_in_ledger(cur, table, batch_id, "simulator", LAST_DAY, len(records), hasher.hexdigest())
            lap("ledger")
        conn.commit()
        lap("commit")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile land_batch and time its steps")
    args = parser.parse_args()

    started = time.perf_counter()
    by_day = national_records(args.days)
    records = [r for day_records in by_day.values() for r in day_records]
    print(f"{len(records):,} account-day records of {len(by_day)} days built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    frame = _frame(records)
    print(f"DataFrame for to_sql built in {time.perf_counter() - started:.1f} s (not counted)")

    from kinerja.warehouse import connect
    from sqlalchemy import create_engine

    results: dict[str, list[float]] = {}
    with throwaway_warehouse() as params, connect(params) as conn:
        conn.execute("create table bench_copy (like raw.account_daily)")
        conn.commit()
        n = len(records)
        engines = {driver: create_engine(params.url(driver=f"postgresql+{driver}")) for driver in ("psycopg", "psycopg2")}
        same = []
        # Every contender once per round, so that the machine's noise falls on all of them.
        for round_ in range(1, args.rounds + 1):
            print(f"-- round {round_}")
            conn.execute("truncate bench_copy")
            conn.commit()
            _timed(CEILING, results, n, lambda: bench_copy_ceiling(conn, records))
            _reset(conn)
            _timed("a) land_batch, one batch of every row", results, n, lambda: bench_land_batch_one(conn, records))
            _reset(conn)
            _timed("a) land_batch, one batch per day", results, n, lambda: bench_land_batch_daily(conn, by_day))
            _timed("a) land_batch, one batch per day, replacing", results, n,
                   lambda: bench_land_batch_daily(conn, by_day))
            expected = _contents(conn)
            _reset(conn)
            _timed("a') proposed land_batch (prototype), one batch per day", results, n,
                   lambda: [proposed_land_batch(conn, "simulator", day, rs) for day, rs in by_day.items()])
            _timed("a') proposed land_batch, one batch per day, replacing", results, n,
                   lambda: [proposed_land_batch(conn, "simulator", day, rs) for day, rs in by_day.items()])
            same.append(_contents(conn) == expected)
            for driver, engine in engines.items():
                conn.execute("drop table if exists bench_to_sql")
                conn.commit()
                _timed(f"c) pandas DataFrame.to_sql (SQLAlchemy, {driver})", results, n,
                       lambda engine=engine: bench_to_sql(frame, engine))
        for engine in engines.values():
            engine.dispose()
        landed = conn.execute("select count(*), count(distinct batch_id) from raw.account_daily").fetchone()
        print(f"raw.account_daily: {landed[0]:,} rows in {landed[1]} batches")
        print(f"proposed land_batch leaves the same raw.account_daily and ledger as land_batch: {all(same)}")
        if args.profile:
            print(profile_land_batch(conn, records))
            for name, seconds in statement_times(conn, records).items():
                print(f"{name:<56} {seconds:7.2f} s")

    median = {label: statistics.median(times) for label, times in results.items()}
    ceiling = n / median[CEILING]
    to_sql = n / min(s for label, s in median.items() if label.startswith("c)"))  # the faster driver
    print(f"\nmedian of {args.rounds} rounds, {n:,} rows:")
    for label, seconds in median.items():
        rate = n / seconds
        spread = f"{n / max(results[label]):,.0f}–{n / min(results[label]):,.0f}"
        print(f"{label:<56} {rate:>9,.0f} rows/s ({spread:>15})  {rate / ceiling:5.0%} of ceiling  "
              f"{rate / to_sql:5.1f}x to_sql")


if __name__ == "__main__":
    main()
