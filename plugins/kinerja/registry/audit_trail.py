"""Who changed the registry, and when: kept with every row and every load.

A registry row keeps the time it was first loaded as it is (`recorded_at`) and who
loaded it (`recorded_by`); reloading an unchanged row keeps both, so they answer "since
when does the registry say this, and on whose change". Each load that changes anything
adds a row to registry.loads with the files' checksums and the git commit. dbt
snapshots of the registry tables keep every earlier version of every row.
"""

from __future__ import annotations

import getpass
import hashlib
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from kinerja import config

CHANGED_BY_ENV = config.REGISTRY_CHANGED_BY_ENV
STAMP_COLUMNS = ("recorded_at", "recorded_by")


@dataclass(frozen=True)
class Author:
    name: str
    git_commit: str | None


def registry_author(registry_dir: Path) -> Author:
    """Who made the registry as it is: $KINERJA_REGISTRY_CHANGED_BY, else the last git commit's author."""
    commit, git_author = _last_commit(registry_dir)
    name = config.registry_changed_by() or git_author or _os_user()
    return Author(name, commit)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container user without a name: say so rather than fail the load
        return "unknown (set KINERJA_REGISTRY_CHANGED_BY)"


def _last_commit(registry_dir: Path) -> tuple[str | None, str | None]:
    try:
        result = subprocess.run(
            ["git", "-C", str(registry_dir), "log", "-1", "--format=%H%x09%an <%ae>", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, None  # no git here: the environment variable or the OS user says who
    commit, _, author = result.stdout.strip().partition("\t")
    return (commit or None), (author or None)


def files_sha256(registry_dir: Path, names: Iterable[str]) -> dict[str, str]:
    return {name: hashlib.sha256((registry_dir / name).read_bytes()).hexdigest() for name in names}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class Changes:
    added: int
    removed: int


def stamp_rows(
    conn: psycopg.Connection, table: str, columns: Sequence[str], rows: list[dict], author: Author
) -> Changes:
    """Give each new row the recorded_at/recorded_by of its identical predecessor, or now and `author`."""
    query = sql.SQL("select {}, recorded_at, recorded_by from {}").format(
        sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier("registry", table)
    )
    previous: dict[tuple, tuple[datetime, str]] = {}
    for *values, recorded_at, recorded_by in conn.execute(query):
        previous[tuple(map(_hashable, values))] = (recorded_at, recorded_by)
    now = conn.execute("select now()").fetchone()[0]
    contents = set()
    for row in rows:
        content = tuple(_hashable(row[column]) for column in columns)
        contents.add(content)
        row["recorded_at"], row["recorded_by"] = previous.get(content, (now, author.name))
    return Changes(added=len(contents - previous.keys()), removed=len(previous.keys() - contents))


def record_load(conn: psycopg.Connection, author: Author, files: dict[str, str], changes: Changes) -> None:
    conn.execute(
        "insert into registry.loads (loaded_by, files_sha256, git_commit, rows_added, rows_removed)"
        " values (%s, %s, %s, %s, %s)",
        [author.name, Jsonb(files), author.git_commit, changes.added, changes.removed],
    )
