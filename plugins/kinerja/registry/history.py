"""The registry as it was on a given day.

Registry rows carry the period in which they were true (from, to; `to` inclusive, None
while still true). An account may have several rows: one per handle it had, one per
institution that shares it. Sources ask for the accounts of a day through `accounts_on`,
so that a retired account is no longer pulled and a renamed handle is looked up under
the name it had then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

# The row keys that bound a row's validity (inclusive).
VALID_FROM, VALID_TO = "valid_from", "valid_to"


def is_valid_on(row: dict[str, Any], day: date) -> bool:
    return row[VALID_FROM] <= day and (row[VALID_TO] is None or day <= row[VALID_TO])


def valid_on(rows: Iterable[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    """The rows (institution or account versions) that were true on `day`, in their order."""
    return [row for row in rows if is_valid_on(row, day)]


def accounts_on(rows: Iterable[dict[str, Any]], day: date) -> list[dict[str, Any]]:
    """One dict per account valid on `day`, in account_id order.

    Each dict is the account's row of that day with `institution_ids`: every institution
    the account belongs to on that day (shared accounts have several; the first row's
    `institution_id` stays for callers that need one).
    """
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        if not is_valid_on(row, day):
            continue
        account = merged.setdefault(row["account_id"], {**row, "institution_ids": ()})
        if row["institution_id"] not in account["institution_ids"]:
            account["institution_ids"] = (*account["institution_ids"], row["institution_id"])
    return [merged[account_id] for account_id in sorted(merged)]
