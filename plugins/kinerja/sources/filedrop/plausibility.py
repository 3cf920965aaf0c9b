"""Plausibility of self-reported account days against the account's own history.

A file drop is self-reported: a wrong account exported, a digit too many. A follower
count that jumps more than tenfold, up or down, against the account's last known count
(in the warehouse, from any source, or the file's previous day) is held back in
quarantine with the reason instead of landing. Small accounts are left alone: going
from 12 to 150 followers happens.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import NamedTuple

from kinerja.sources.filedrop.parsed import RowProblem

JUMP_FACTOR = 10
MIN_REFERENCE = 100  # below this many followers a tenfold change is no sign of a wrong file


class KnownFollowers(NamedTuple):
    value: int
    day: date
    source: str


# (platform, account_id, before) -> the last known follower count before that day, if any
LastKnown = Callable[[str, str, date], KnownFollowers | None]


def implausible_rows(lines_and_records: list[tuple[int, dict]], last_known: LastKnown) -> list[RowProblem]:
    """A problem for each account day whose followers jump implausibly; records in any order."""
    problems: list[RowProblem] = []
    reference: dict[tuple[str, str], KnownFollowers | None] = {}
    for line, record in sorted(lines_and_records, key=lambda item: item[1]["metric_date"]):
        key, followers = (record["platform"], record["account_id"]), record["followers"]
        if followers is None:
            continue
        if key not in reference:
            reference[key] = last_known(*key, record["metric_date"])
        known = reference[key]
        if known is not None and _jumps(known.value, followers):
            problems.append(RowProblem(line, "followers", _reason(record, known), check="plausibility"))
        else:
            reference[key] = KnownFollowers(followers, record["metric_date"], "this file")
    return problems


def _jumps(before: int, now: int) -> bool:
    if before < MIN_REFERENCE:
        return False
    return now > before * JUMP_FACTOR or now * JUMP_FACTOR < before


def _reason(record: dict, known: KnownFollowers) -> str:
    return (
        f"followers {record['followers']:,} on {record['metric_date']} is more than {JUMP_FACTOR}x away from "
        f"{known.value:,} on {known.day} (source {known.source}): check that the file is of account "
        f"{record['account_id']} and unedited; the row was not landed"
    )
