"""The gate before a publish by hand: only a build whose dbt tests and build audit passed.

The DAGs publish only after their build and its audit passed (a failed task stops the run).
`kinerja publish`, run by an operator after a rebuild outside the DAGs, has no such order:
this gate looks at what the warehouse recorded instead, and refuses when

- a dbt node (model, test, seed, snapshot, unit test) of the project failed in its latest
  recorded build (`ops.dbt_node_results`; the run results dbt left in its target folder
  are recorded first, so a build run by hand counts as well), or
- the latest build audit of a suite (`audit.validation_results`, level 'build') has a
  failed expectation.

An operator may publish anyway with an explicit reason: the override is logged and recorded
in `ops.publish_overrides` (who, when, why, and what was refused). The gate is separate from
`kinerja.publish.schemas.publish`, which copies; it is called before the copy.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import psycopg

from kinerja import config
from kinerja.dbt_results import read_run_results, record

log = logging.getLogger(__name__)

FAILED_STATUSES = ("error", "fail", "runtime error")
# dbt commands whose run results are builds of the warehouse (compile and ls build nothing)
_BUILDING_COMMANDS = {"build", "run", "test", "seed", "snapshot"}


class PublishRefused(RuntimeError):
    """The build did not pass its tests or its audit; the message names each failure and what to do."""


def record_last_dbt_command(conn: psycopg.Connection, target_dir: Path | None = None) -> int:
    """Record the run results dbt left in its target folder, when they are of a build; rows added."""
    path = (target_dir or config.dbt_target_dir()) / "run_results.json"
    if not path.is_file():
        return 0
    command = (json.loads(path.read_text()).get("args") or {}).get("which")
    if command not in _BUILDING_COMMANDS:
        return 0
    return record(conn, read_run_results(path), task_id="dbt " + command)


def failed_dbt_nodes(conn: psycopg.Connection, manifest_path: Path) -> list[str]:
    """Each node of the project whose latest recorded result is a failure, as 'type name: status (message)'."""
    manifest = json.loads(Path(manifest_path).read_text())
    known = [*manifest.get("nodes", {}), *manifest.get("unit_tests", {})]
    rows = conn.execute(
        """
        select resource_type, unique_id, status, failures, message from (
            select distinct on (unique_id) unique_id, resource_type, status, failures, message
            from ops.dbt_node_results
            where unique_id = any(%s)
            order by unique_id, completed_at desc
        ) as latest
        where status = any(%s)
        order by unique_id
        """,
        [known, list(FAILED_STATUSES)],
    )
    return [
        f"dbt {kind} {unique_id.split('.', 2)[-1]}: {status}"
        + (f", {failures} failing row(s)" if failures else "")
        + (f" ({message.splitlines()[0][:160]})" if message else "")
        for kind, unique_id, status, failures, message in rows
    ]


def failed_build_audits(conn: psycopg.Connection) -> list[str]:
    """Each failed expectation of the latest build audit of every suite, as 'audit id: expectation on column'."""
    rows = conn.execute(
        """
        with latest as (
            select distinct on (suite) suite, batch_id
            from audit.validation_results
            where level = 'build'
            order by suite, validated_at desc
        )
        select results.batch_id, results.expectation, results.column_name, results.unexpected
        from audit.validation_results as results
        inner join latest using (suite, batch_id)
        where not results.success
        order by results.batch_id, results.expectation, results.column_name
        """
    )
    return [
        f"build audit {audit_id}: {expectation}"
        + (f" on {column}" if column else "")
        + f", {unexpected} row(s)"
        for audit_id, expectation, column, unexpected in rows
    ]


def check_before_publish(
    conn: psycopg.Connection,
    *,
    force: bool = False,
    reason: str | None = None,
    manifest_path: Path | None = None,
    target_dir: Path | None = None,
) -> list[str]:
    """Refuse (`PublishRefused`) a build whose dbt tests or build audit failed, unless forced with a reason.

    Returns what was overridden (empty when nothing failed). A forced publish is logged and
    recorded in ops.publish_overrides before anything is copied, and committed at once.
    """
    reason = (reason or "").strip()
    if force and not reason:
        raise PublishRefused(
            '--force needs --reason "...": say why this build may be published although it failed;'
            " the reason is recorded in ops.publish_overrides. Nothing was published."
        )
    record_last_dbt_command(conn, target_dir)
    failures = failed_dbt_nodes(conn, manifest_path or config.dbt_manifest_path()) + failed_build_audits(conn)
    if not failures:
        return []
    if not force:
        raise PublishRefused(
            f"the build did not pass, so nothing was published ({len(failures)} failure(s)):\n  - "
            + "\n  - ".join(failures)
            + "\nWhat to do: fix the cause (runbook: 'A dbt test failed', 'The audit of the build failed'),"
            " build and audit again, then publish. Only to publish this build anyway:"
            ' `kinerja publish --force --reason "why"` (recorded in ops.publish_overrides).'
        )
    conn.execute("insert into ops.publish_overrides (reason, overridden) values (%s, %s)", [reason, failures])
    if not conn.autocommit:
        conn.commit()
    log.warning("publishing a build that failed, forced (%s): %s", reason, "; ".join(failures))
    return failures
