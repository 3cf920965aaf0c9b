"""A worker of a history run: `python -m kinerja.tasks.land_days [--registry-dir DIR] DAY...`

Lands the simulator's days given, one after another, in this process, without their audits,
and writes one JSON line per day to stdout: kinerja.tasks.sources.land_simulated_days reads
them and audits the days in order. Logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--registry-dir", type=Path)
    parser.add_argument("days", nargs="+", type=date.fromisoformat)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    from kinerja.tasks.sources import land_simulated_day_unaudited

    for day in args.days:
        outcome = land_simulated_day_unaudited(day, args.registry_dir)
        print(json.dumps(outcome, default=str), flush=True)


if __name__ == "__main__":
    main()
