"""Demo accounts in the shapes real registries have, clearly marked as demo.

The real list of official accounts is collected by the data team; until then the
pipeline, the simulator and the scorecards run on these. They are deterministic
(derived from a SHA-256 of the institution id, never from Python's per-process
`hash()`), so the committed accounts.csv can be regenerated and compared.

Shapes, as real registries have them:
- most institutions have one account per platform, some lack a platform, a few
  (one in fifty) have no account at all, and one in three has a second account on
  Instagram, Facebook and TikTok (its leader's office, a bureau);
- when a ministry was split (the 2024 cabinet), its first successor takes over its
  accounts under a new handle, and its YouTube channel is shared by all successors;
- one account in forty is retired during 2025; one in forty is renamed during 2025.

Regenerate the shipped file with `python -m kinerja.registry.demo`.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from kinerja import config, platforms
from kinerja.registry.load import (
    ACCOUNT_COLUMNS,
    ACCOUNTS_FILE,
    read_accounts,
    read_institutions,
)

PLATFORM_CODES = {"instagram": "ig", "facebook": "fb", "x": "x", "youtube": "yt", "tiktok": "tt"}
DEMO_VALID_FROM = date(2022, 1, 1)
CHANGES_YEAR = date(2025, 1, 1)  # retirements and renames fall in this year
SHARED_PLATFORM = "youtube"  # the platform a split ministry's successors share
# One institution in three also runs a second account (its leader's office, a bureau) on these.
SECOND_ACCOUNT_PLATFORMS = ("instagram", "facebook", "tiktok")


def _digest(text: str) -> int:
    """A stable 64-bit number for `text`: the same in every process and on every machine."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def demo_platform_account_id(institution_id: str, platform: str) -> str:
    """A fake 16-digit numeric platform id (no leading zero), stable for the pair."""
    return str(10**15 + _digest(f"{institution_id}/{platform}") % (9 * 10**15))


def demo_handle(institution_id: str, platform: str) -> str:
    """A handle that says it is a demo, e.g. `demo_kab3201_ig`."""
    return f"demo_{institution_id.replace('-', '')}_{PLATFORM_CODES[platform]}"


def _periods(institutions: list[dict]) -> dict[str, tuple[date, date | None, list[str]]]:
    """Each institution id's first day, last day (None: still valid) and predecessors, in file order."""
    periods: dict[str, tuple[date, date | None, list[str]]] = {}
    for row in institutions:
        begins, ends, predecessors = periods.get(
            row["institution_id"], (row["valid_from"], row["valid_from"], [])
        )
        ends = None if ends is None or row["valid_to"] is None else max(ends, row["valid_to"])
        periods[row["institution_id"]] = (
            min(begins, row["valid_from"]),
            ends,
            predecessors + list(row["predecessor_ids"] or []),
        )
    return periods


def _row(
    account_id: str, owner: str, platform: str, handle: str, valid_from: date, valid_to: date | None
) -> dict:
    return {
        "account_id": account_id,
        "institution_id": owner,
        "platform": platform,
        "handle": handle,
        "platform_account_id": demo_platform_account_id(account_id, platform),
        "verified_on": valid_from + timedelta(days=_digest(account_id) % 60),
        "valid_from": valid_from,
        "valid_to": valid_to,
        "is_demo": True,
    }


def _own_account(
    institution_id: str, platform: str, begins: date, ends: date | None, number: int = 1
) -> list[dict]:
    """An institution's own account: one row, or two when it is renamed, with an end when retired."""
    suffix = "" if number == 1 else f"-{number}"
    account_id = f"demo-{institution_id}-{platform}{suffix}"
    handle = demo_handle(institution_id, platform) + suffix.replace("-", "")
    fate = _digest(f"fate/{account_id}") % 40
    change_day = CHANGES_YEAR + timedelta(days=_digest(f"day/{account_id}") % 365)
    if ends is None and begins < change_day and fate == 0:  # retired
        return [_row(account_id, institution_id, platform, handle, begins, change_day)]
    if ends is None and begins < change_day and fate == 1:  # renamed
        return [
            _row(account_id, institution_id, platform, handle, begins, change_day - timedelta(days=1)),
            _row(account_id, institution_id, platform, f"{handle}_official", change_day, None),
        ]
    return [_row(account_id, institution_id, platform, handle, begins, ends)]


def _has_platform(institution_id: str, platform: str) -> bool:
    if _digest(f"none/{institution_id}") % 50 == 0:
        return False  # an institution with no account at all
    return _digest(f"platform/{institution_id}/{platform}") % 8 != 0


def _successor_rows(predecessor: str, successors: list[str], begins: date) -> tuple[list[dict], set[tuple]]:
    """The split ministry's accounts under its successors, and the (successor, platform) pairs they cover."""
    rows, covered = [], set()
    for platform in platforms.names():
        if not _has_platform(predecessor, platform):
            continue
        account_id = f"demo-{predecessor}-{platform}"
        takers = successors if platform == SHARED_PLATFORM else successors[:1]
        for successor in takers:
            handle = demo_handle(successor if platform != SHARED_PLATFORM else predecessor, platform)
            rows.append(_row(account_id, successor, platform, handle, begins, None))
            covered.add((successor, platform))
    return rows, covered


def generate_demo_accounts(institutions: list[dict]) -> list[dict[str, Any]]:
    """The demo accounts of every institution (see the module's docstring), grouped by institution.

    Each dict has exactly the columns of registry.accounts.
    """
    periods = _periods(institutions)
    successors: dict[str, list[str]] = {}
    for institution_id, (_, _, predecessors) in periods.items():
        for predecessor in predecessors:
            successors.setdefault(predecessor, []).append(institution_id)
    taken_over: dict[str, list[dict]] = {}
    covered: set[tuple] = set()
    for predecessor, heirs in successors.items():
        begins = periods[heirs[0]][0]
        taken_over[heirs[0]], pairs = _successor_rows(predecessor, heirs, begins)
        covered |= pairs
    rows: list[dict[str, Any]] = []
    for institution_id, (begins, ends, _) in periods.items():
        rows += taken_over.get(institution_id, [])
        for platform in platforms.names():
            if (institution_id, platform) in covered or not _has_platform(institution_id, platform):
                continue
            rows += _own_account(institution_id, platform, max(begins, DEMO_VALID_FROM), ends)
            if platform in SECOND_ACCOUNT_PLATFORMS and _digest(f"second/{institution_id}") % 3 == 0:
                rows += _own_account(institution_id, platform, max(begins, DEMO_VALID_FROM), ends, number=2)
    return rows


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def write_accounts_csv(rows: Iterable[dict], path: Path) -> None:
    """Write accounts in the accounts.csv format (ISO dates, empty for None, true/false)."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ACCOUNT_COLUMNS)
        for row in rows:
            writer.writerow([_csv_value(row[column]) for column in ACCOUNT_COLUMNS])


def regenerate(registry_dir: Path | None = None) -> int:
    """Rewrite the registry's accounts.csv with demo accounts; returns how many.

    Refuses when the file already lists a real (non-demo) account: those are curated
    by hand and must not be overwritten by generated data.
    """
    registry_dir = Path(registry_dir) if registry_dir is not None else config.registry_dir()
    path = registry_dir / ACCOUNTS_FILE
    if path.exists() and any(not account["is_demo"] for account in read_accounts(registry_dir)):
        raise SystemExit(f"{path} lists real accounts: not overwriting it with demo accounts")
    rows = generate_demo_accounts(read_institutions(registry_dir))
    write_accounts_csv(rows, path)
    return len(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    print(f"wrote {regenerate(target)} demo accounts")
