"""Landing throughput: our landing path against the COPY ceiling and pandas' to_sql, on the same rows.

The records are national scale: the simulator's account days (Realities.national(), so
with no-value reasons) of every demo registry account for DAYS days, built once and held
in memory. Each contender writes all of them to the same throwaway database:

  a) kinerja.landing.land_batch: each record formatted once (checksum and COPY line),
     partition locks, COPY into the indexed raw.account_daily, the replaced rows deleted,
     ledger row, one commit. Measured as one batch of every row (a backfill), as one
     batch per day (the daily shape), and again as one batch per day of restated rows
     over rows already there (they replace them).
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
import io
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
from kinerja.landing import batches
from kinerja.registry.load import read_accounts
from kinerja.sources import CANONICAL_FIELDS
from kinerja.sources.simulator import Realities, SimulatorSource

LAST_DAY = date(2026, 10, 31)


@contextlib.contextmanager
def throwaway_warehouse(prefix: str = "kinerja_bench") -> Iterator[PgParams]:
    """A fresh database with the warehouse tables, on KINERJA_WAREHOUSE_URL's server or a private embedded one."""
    from psycopg import sql

    from kinerja.warehouse import connect, embedded, ensure_database
    from kinerja.warehouse.schema import apply_ddl

    home = None
    if config.warehouse_url():
        server = config.warehouse_params()
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
            maintenance = server.with_dbname("postgres")
            with connect(maintenance, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(params.dbname))
                )
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
                (
                    batch_id,
                    number,
                    "simulator",
                    *(record[f] for f in CANONICAL_FIELDS),
                    Jsonb(record["no_value"]),
                )
            )


def bench_to_sql(frame, engine) -> None:
    from sqlalchemy.dialects.postgresql import JSONB

    frame.to_sql("bench_to_sql", engine, if_exists="append", index=False, dtype={"no_value": JSONB})


def _frame(records: list[dict]):
    import pandas as pd

    columns = landing.ACCOUNT_DAILY.copy_columns
    rows = [
        (n, "simulator", *(r[f] for f in CANONICAL_FIELDS), r["no_value"])
        for n, r in enumerate(records, start=1)
    ]
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
    """Time land_batch's steps one by one on an empty table, then again over restated rows.

    Calls landing.py's own helpers in land_batch's order; the Python work of formatting
    the rows is timed apart from the COPY that sends them.
    """
    table = landing.ACCOUNT_DAILY
    times: dict[str, float] = {}
    _reset(conn)
    for repeat, rows in (("empty table", records), ("replacing restated rows", _restated(records))):
        clock = time.perf_counter()

        def lap(name: str, repeat=repeat) -> None:
            nonlocal clock
            now = time.perf_counter()
            times[f"{repeat}: {name}"] = now - clock
            clock = now

        formatted = batches._format(table, rows)
        lap("format and checksum (python, _format)")
        batch_id = landing.batch_id_for("simulator", LAST_DAY, formatted.checksum)
        with conn.cursor() as cur:
            batches._lock_partitions(cur, table, "simulator", {*formatted.days, LAST_DAY})
            lap("advisory locks")
            batches._copy_rows(cur, table, "simulator", batch_id, formatted.lines)
            lap("COPY into raw.account_daily")
            if formatted.has_not_observed:
                batches._keep_values_not_observed(cur, table, "simulator", batch_id)
            lap("keep values not observed")
            batches._record_in_ledger(
                cur, table, batch_id, "simulator", LAST_DAY, len(rows), formatted.checksum, in_place=False
            )
            lap("ledger")
            # landing deletes nothing: the audit's acceptance replaces the rows a batch restates
            batches.replace_with_accepted(cur, table.name, batch_id)
            lap("replace at acceptance (replace_with_accepted)")
        conn.commit()
        lap("commit")
    return times


def _restated(records: list[dict]) -> list[dict]:
    """The same account-days with every view count changed, as a platform's restatement."""
    return [{**r, "views": None if r["views"] is None else r["views"] + 1} for r in records]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile land_batch and time its steps")
    args = parser.parse_args()

    started = time.perf_counter()
    by_day = national_records(args.days)
    records = [r for day_records in by_day.values() for r in day_records]
    restated_by_day = {day: _restated(day_records) for day, day_records in by_day.items()}
    print(
        f"{len(records):,} account-day records of {len(by_day)} days built in {time.perf_counter() - started:.1f} s"
    )
    started = time.perf_counter()
    frame = _frame(records)
    print(f"DataFrame for to_sql built in {time.perf_counter() - started:.1f} s (not counted)")

    from sqlalchemy import create_engine

    from kinerja.warehouse import connect

    results: dict[str, list[float]] = {}
    with throwaway_warehouse() as params, connect(params) as conn:
        conn.execute("create table bench_copy (like raw.account_daily)")
        conn.commit()
        n = len(records)
        engines = {
            driver: create_engine(params.sqlalchemy_url(f"postgresql+{driver}"))
            for driver in ("psycopg", "psycopg2")
        }
        # Every contender once per round, so that the machine's noise falls on all of them.
        for round_ in range(1, args.rounds + 1):
            print(f"-- round {round_}")
            conn.execute("truncate bench_copy")
            conn.commit()
            _timed(CEILING, results, n, lambda: bench_copy_ceiling(conn, records))
            _reset(conn)
            _timed(
                "a) land_batch, one batch of every row",
                results,
                n,
                lambda: bench_land_batch_one(conn, records),
            )
            _reset(conn)
            _timed(
                "a) land_batch, one batch per day", results, n, lambda: bench_land_batch_daily(conn, by_day)
            )
            # restated content (every view count changed): the same content again would be a no-op
            _timed(
                "a) land_batch, one batch per day, replacing restated rows",
                results,
                n,
                lambda: bench_land_batch_daily(conn, restated_by_day),
            )
            for driver, engine in engines.items():
                conn.execute("drop table if exists bench_to_sql")
                conn.commit()
                _timed(
                    f"c) pandas DataFrame.to_sql (SQLAlchemy, {driver})",
                    results,
                    n,
                    lambda engine=engine: bench_to_sql(frame, engine),
                )
        for engine in engines.values():
            engine.dispose()
        landed = conn.execute("select count(*), count(distinct batch_id) from raw.account_daily").fetchone()
        print(f"raw.account_daily: {landed[0]:,} rows in {landed[1]} batches")
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
        print(
            f"{label:<56} {rate:>9,.0f} rows/s ({spread:>15})  {rate / ceiling:5.0%} of ceiling  "
            f"{rate / to_sql:5.1f}x to_sql"
        )


if __name__ == "__main__":
    main()
