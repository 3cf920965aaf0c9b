"""A large dropped export: refused before landing, or landed and audited, and at what cost.

Two benchmarks in one script:

`--compare` (streamed parsing, issue 18): exports at and below the file drop's default limits
(KINERJA_FILEDROP_MAX_BYTES 20 MB, KINERJA_FILEDROP_MAX_ROWS 200,000), each read, landed and
audited by two versions of the code side by side in one run: every phase is a fresh process
whose PYTHONPATH puts one `plugins/` folder first (`--code NAME=PATH`, default main's
/work/main/plugins and this checkout's), so its peak memory (ru_maxrss) is that code's. Two
shapes of file:
  - `repeats`: the issue's YouTube totals export cycling 7 days (36 bytes a row; every repeat
    held, the file rejected as mostly repeats);
  - `posts`: an X content export of distinct posts of one account (about 104 bytes a row, so
    199,999 rows make 20.8 MB, just under both limits); every row lands as one batch of posts
    and is audited: the audit's cost per batch size.
The bytes of the file are not counted apart: they are read whole (at most the byte limit).

Without `--compare`, the issue's own case:

The file is the shape of the issue's case: a YouTube Studio totals export of ROWS rows that
repeat DAYS distinct days (about 36 bytes a row: 1.5 M rows make some 54 MB), dropped into
the folder of kab-5101 of the small test registry. Each phase runs in a fresh process (so that
its peak memory is its own) on a fresh database, and times reading the inbox, landing every
file and auditing the file drop's batches, as `kinerja filedrop process` does:

  a) the default limits (kinerja.config: KINERJA_FILEDROP_MAX_BYTES, _MAX_ROWS): the file
     is refused before a row is read;
  b) the limits raised above the file: it is read whole, its repeated days are counted once
     (the repeats held in raw.filedrop_quarantine, one row each), DAYS rows land and are audited.

Server: KINERJA_WAREHOUSE_URL when set (a database of its own, dropped at the end), else an
embedded server in a temporary folder (bench/landing_throughput.throwaway_warehouse).

Run: .venv/bin/python bench/filedrop_large.py [--rows 1500000] [--days 7]
     .venv/bin/python bench/filedrop_large.py --compare [--sizes 25000,50000,100000,199999]
         [--code main=/work/main/plugins --code branch=plugins]
Results: bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

RECEIVED = date(2026, 6, 13)
REGISTRY = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "registry_small"


def write_export(path: Path, rows: int, days: int) -> int:
    """A totals export of `rows` rows cycling through `days` days before RECEIVED; its size."""
    lines = [
        f"{(RECEIVED - timedelta(days=days - i)):%d-%m-%Y},{1_000_000 + i},{12_345.6789 + i:.4f},{20_000 + i}\n"
        for i in range(days)
    ]
    with path.open("w", encoding="utf-8") as file:
        file.write("Date,Views,Watch time (hours),Subscribers\n")
        for start in range(0, rows, 10_000):
            file.writelines(lines[i % days] for i in range(start, min(rows, start + 10_000)))
    return path.stat().st_size


def write_posts_export(path: Path, rows: int) -> int:
    """An X content export of `rows` distinct posts of demo_kab5101_x published before RECEIVED; its size."""
    text = "Info layanan publik"  # so that a row is about 104 bytes: 199,999 rows come just under 20 MB
    with path.open("w", encoding="utf-8") as file:
        file.write("Post id,Date,Post text,Link,Impressions,Likes,Bookmarks,Replies,Reposts\n")
        for start in range(0, rows, 10_000):
            file.writelines(
                f"{1_000_000 + n},{RECEIVED - timedelta(days=1 + n % 60):%a %b %d %Y},"
                f'"{text}",https://x.com/demo_kab5101_x/status/{1_000_000 + n},'
                f"{500 + n % 997},{n % 89},{n % 7},{n % 13},{n % 11}\n"
                for n in range(start, min(rows, start + 10_000))
            )
    return path.stat().st_size


def phase(export: Path, rows: int, raise_limits: bool) -> dict:
    """One measured run in this process on a copy of `export`; the result as a dict."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from landing_throughput import throwaway_warehouse

    with tempfile.TemporaryDirectory(prefix="kinerja-filedrop-bench-") as folder:
        inbox, archive = Path(folder) / "inbox", Path(folder) / "archive"
        (inbox / "kab-5101").mkdir(parents=True)
        shutil.copyfile(export, inbox / "kab-5101" / "totals.csv")
        size = export.stat().st_size
        if raise_limits:
            os.environ["KINERJA_FILEDROP_MAX_BYTES"] = str(size + 1)
            os.environ["KINERJA_FILEDROP_MAX_ROWS"] = str(rows + 1)
        from kinerja.landing.filedrop import audit_dropped_batches, land_dropped_files
        from kinerja.registry.load import load_registry, read_accounts
        from kinerja.sources.filedrop.inbox import read_inbox
        from kinerja.warehouse import connect

        with throwaway_warehouse("kinerja_bench_filedrop") as params, connect(params) as conn:
            load_registry(conn, REGISTRY)
            conn.commit()
            registry = read_accounts(REGISTRY)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.perf_counter()
            report = land_dropped_files(conn, read_inbox(conn, inbox, registry, RECEIVED), archive)
            landed_at = time.perf_counter()
            rss_landed = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # before the audit's imports
            audits = audit_dropped_batches(conn)
            audited_at = time.perf_counter()
            status, landed, held, message = conn.execute(
                "select status, rows_landed, rows_quarantined, message from raw.filedrop_files"
            ).fetchone()
    return {
        "limits": "raised above the file" if raise_limits else "default",
        "bytes": size,
        "rows": rows,
        "status": status,
        "rows_landed": landed,
        "rows_held": held,
        "audits": [a["status"] for a in audits],
        "read_and_land_s": round(landed_at - started, 2),
        "audit_s": round(audited_at - landed_at, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rss_before_mb": round(rss_before / 1024),
        "peak_rss_read_and_land_mb": round(rss_landed / 1024),
        "message": message[:160],
        "files": dict(report.counts),
    }


def compare(sizes: list[int], codes: dict[str, Path]) -> None:
    """Each shape and size read, landed and audited by each version of the code; a table of results."""
    print(f"load before: {os.getloadavg()}", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="kinerja-filedrop-export-") as folder:
        for shape in ("repeats", "posts"):
            for rows in sizes:
                export = Path(folder) / f"{shape}.csv"
                if shape == "repeats":
                    write_export(export, rows, 7)
                else:
                    write_posts_export(export, rows)
                for name, plugins in codes.items():
                    command = [sys.executable, __file__, "--rows", str(rows), "--export", str(export)]
                    environment = {**os.environ, "PYTHONPATH": str(plugins.resolve())}
                    output = subprocess.run(
                        [*command, "--phase", "default"],
                        check=True,
                        capture_output=True,
                        text=True,
                        env=environment,
                    )
                    result = json.loads(output.stdout.strip().splitlines()[-1])
                    results.append({"shape": shape, "code": name, "load": os.getloadavg()[0], **result})
                    print(json.dumps(results[-1]), flush=True)
    print(f"load after: {os.getloadavg()}", flush=True)
    print(
        "| shape | rows | MB | code | outcome (landed / held) | read + land s | peak RSS MB: before reading, "
        "read + land, with the audit | audit s | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['shape']} | {r['rows']:,} | {r['bytes'] / 1e6:.1f} | {r['code']} | {r['status']} "
            f"({r['rows_landed']:,} / {r['rows_held']:,}) | {r['read_and_land_s']} | {r['rss_before_mb']}, "
            f"**{r['peak_rss_read_and_land_mb']}**, {r['peak_rss_mb']} | {r['audit_s']} | {r['load']:.1f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--compare", action="store_true", help="main against this checkout at the limits")
    parser.add_argument(
        "--sizes", default="25000,50000,100000,199999", help="rows of each file, with --compare"
    )
    parser.add_argument("--code", action="append", help="NAME=PLUGINS_FOLDER, with --compare (repeatable)")
    parser.add_argument("--phase", choices=("default", "raised"), help=argparse.SUPPRESS)
    parser.add_argument("--export", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.export, args.rows, args.phase == "raised")))
        return
    if args.compare:
        here = Path(__file__).resolve().parents[1] / "plugins"
        codes = dict(c.split("=", 1) for c in args.code or ["main=/work/main/plugins", f"branch={here}"])
        compare([int(n) for n in args.sizes.split(",")], {k: Path(v) for k, v in codes.items()})
        return
    print(f"load before: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="kinerja-filedrop-export-") as folder:
        export = Path(folder) / "totals.csv"
        write_export(export, args.rows, args.days)  # here, so that a phase's memory is the file drop's
        for name in ("default", "raised"):
            command = [sys.executable, __file__, "--rows", str(args.rows), "--export", str(export)]
            output = subprocess.run([*command, "--phase", name], check=True, capture_output=True, text=True)
            print(json.dumps(json.loads(output.stdout.strip().splitlines()[-1]), indent=1), flush=True)
    print(f"load after: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
