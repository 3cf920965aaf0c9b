"""Demo accounts: one per platform for every institution, clearly marked as demo.

The real list of official accounts is collected by the data team; until then the
pipeline, the simulator and the scorecards run on these. They are deterministic
(derived from a SHA-256 of the institution id, never from Python's per-process
`hash()`), so the committed accounts.csv can be regenerated and compared.

Regenerate the shipped file with `python -m kinerja.registry.demo`.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from kinerja import config
from kinerja.registry.load import (
    ACCOUNT_COLUMNS,
    ACCOUNTS_FILE,
    PLATFORMS,
    read_accounts,
    read_institutions,
)

PLATFORM_CODES = {"instagram": "ig", "facebook": "fb", "x": "x", "youtube": "yt", "tiktok": "tt"}
DEMO_ACTIVE_FROM = date(2022, 1, 1)


def _digest(text: str) -> int:
    """A stable 64-bit number for `text`: the same in every process and on every machine."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def demo_platform_account_id(institution_id: str, platform: str) -> str:
    """A fake 16-digit numeric platform id (no leading zero), stable for the pair."""
    return str(10**15 + _digest(f"{institution_id}/{platform}") % (9 * 10**15))


def demo_handle(institution_id: str, platform: str) -> str:
    """A handle that says it is a demo, e.g. `demo_kab3201_ig`."""
    return f"demo_{institution_id.replace('-', '')}_{PLATFORM_CODES[platform]}"


def generate_demo_accounts(institutions: list[dict]) -> list[dict[str, Any]]:
    """Five demo accounts per institution (one per platform), in input order.

    Each dict has exactly the columns of registry.accounts.
    """
    return [
        {
            "account_id": f"demo-{institution['institution_id']}-{platform}",
            "institution_id": institution["institution_id"],
            "platform": platform,
            "handle": demo_handle(institution["institution_id"], platform),
            "platform_account_id": demo_platform_account_id(institution["institution_id"], platform),
            "active_from": DEMO_ACTIVE_FROM,
            "active_to": None,
            "is_demo": True,
        }
        for institution in institutions
        for platform in PLATFORMS
    ]


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
