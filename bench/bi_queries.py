"""How fast do the starter BI questions answer, with 8 readers at once, as the national role and as a province role?

A throwaway warehouse with the full demo registry and years of national data, filled as
bench/warehouse_history.py fills it (the simulator's October 2026 for every account, then
the years before it written by SQL from that month), built in full (`dbt build
--full-refresh`), published, and secured by `kinerja roles apply` (roles with a prefix of
this run's own, dropped at the end). Then each starter question (kinerja.bi) is asked
--rounds times by each of --readers threads at once, each on a connection of its own, as the
national BI role and as one province's role (row security on every table with a region), in
the order national, province, province, national, and the p95 of each role's latencies is
reported.

Targets (issue 16): p95 under 200 ms per question; the province role's p95 at most 25 % over
the national role's.

Run: .venv/bin/python bench/bi_queries.py [--years 3] [--readers 8] [--rounds 10] [--province 35] [--hold]
    [--question FILE.sql ...]
--question measures a question file too, side by side with the starter ones (e.g. an earlier
version of one: `git show <commit>:plugins/kinerja/bi/questions/07_top_posts.sql > old_07.sql`).
--hold keeps the database (and its server and roles) after the first measurement, to try indexes
or plans on it with SQL without building it again: it prints how to connect, then measures again
for every line read on stdin (a line naming question slugs, e.g. "07", measures only those), and
drops everything at the end of stdin.
Results: bench/RESULTS.md (with the machine's load: cat /proc/loadavg).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

from landing_throughput import throwaway_warehouse
from warehouse_history import fill, timed_dbt

from kinerja import config, publish
from kinerja.bi import parse_question, questions
from kinerja.warehouse import connect

MONTH = date(2026, 9, 1)
PASSWORD = "bench-" + uuid.uuid4().hex


def ask(params, role: str, question, values: dict, readers: int, rounds: int) -> list[float]:
    """Latencies (s) of `question` asked `rounds` times by each of `readers` threads at once."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(readers)

    def reader() -> None:
        with connect(replace(params, user=role, password=PASSWORD), autocommit=True) as conn:
            question.run(conn, **values)  # warm the connection and the plan cache
            start.wait()
            mine = []
            for _ in range(rounds):
                began = time.perf_counter()
                question.run(conn, **values)
                mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def load() -> str:
    return Path("/proc/loadavg").read_text().strip()


def p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--province", default="35", help="the province whose role is measured (35: Jawa Timur)"
    )
    parser.add_argument(
        "--hold", action="store_true", help="keep the database; measure again per stdin line until its end"
    )
    parser.add_argument(
        "--question", type=Path, action="append", default=[], help="a question file to measure as well"
    )
    args = parser.parse_args()
    asked = questions() + [parse_question(f.stem, f.read_text(encoding="utf-8")) for f in args.question]
    os.environ["KINERJA_ROLE_PREFIX"] = f"bench{uuid.uuid4().hex[:6]}_"
    os.environ[config.role_password_env("bi")] = PASSWORD
    os.environ[config.role_password_env(f"prov_{args.province}")] = PASSWORD
    from kinerja.warehouse.roles import apply_roles

    national, province = config.bi_role(), f"{config.role_prefix()}prov_{args.province}"
    values = {"month": MONTH, "province_code": args.province, "institution_id": f"prov-{args.province}"}
    with throwaway_warehouse("kinerja_bi_bench") as params:
        started = time.perf_counter()
        raw_rows, post_rows = fill(params, args.years)
        print(
            f"filled {raw_rows:,} account-days, {post_rows:,} post snapshots in {time.perf_counter() - started:.0f} s"
        )
        print(f"full build {timed_dbt(params, 'build', '--full-refresh'):.0f} s", flush=True)
        with connect(params, autocommit=True) as conn:
            publish.publish(conn)
            apply_roles(conn)
            conn.execute("analyze")
            sizes = conn.execute(
                "select (select count(*) from marts.fct_account_daily), (select count(*) from marts.fct_posts)"
            ).fetchone()
        print(f"published: {sizes[0]:,} rows in fct_account_daily, {sizes[1]:,} in fct_posts")
        measure(params, national, province, asked, values, args)
        if args.hold:
            print(
                f"holding: host={params.host} port={params.port} dbname={params.dbname} user={params.user}"
                f" roles {national}, {province}; a line on stdin measures again, its end drops all",
                flush=True,
            )
            for line in sys.stdin:
                wanted = line.split()
                measure(
                    params,
                    national,
                    province,
                    [q for q in asked if not wanted or any(q.slug.startswith(w) for w in wanted)],
                    values,
                    args,
                )
    # roles are server-wide: this run's are dropped once its database is
    _drop_roles(config.role_prefix())


def measure(params, national: str, province: str, asked, values: dict, args) -> None:
    print(f"load before: {load()}")
    print(f"| question | p95 {national} | p95 {province} | province / national |")
    print("|---|---|---|---|")
    for question in asked:
        # national, province, province, national: a load that drifts during the question weighs
        # on both roles alike
        latencies: dict[str, list[float]] = {national: [], province: []}
        for role in (national, province, province, national):
            latencies[role] += ask(params, role, question, values, args.readers, args.rounds)
        national_p95, province_p95 = p95(latencies[national]), p95(latencies[province])
        print(
            f"| {question.slug} | {national_p95 * 1000:.1f} ms | {province_p95 * 1000:.1f} ms"
            f" | {province_p95 / national_p95:.2f} |",
            flush=True,
        )
    print(f"load after: {load()}", flush=True)


def _drop_roles(prefix: str) -> None:
    from psycopg import sql

    server = config.warehouse_params()
    if server is None:
        return  # the private embedded server went with its folder
    with connect(server.with_dbname("postgres"), autocommit=True) as conn:
        pattern = prefix.replace("_", r"\_") + "%"
        for (role,) in conn.execute(
            "select rolname from pg_roles where rolname like %s", [pattern]
        ).fetchall():
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


if __name__ == "__main__":
    main()
