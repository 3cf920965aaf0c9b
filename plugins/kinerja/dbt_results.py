"""What one dbt build did, node by node: read from dbt's run_results.json, logged and recorded.

A DAG runs its models in one dbt build (kinerja.orchestration.dbt_build); this keeps the view
one task per model gave: every model, seed, snapshot and test with its status, time and rows,
in the task's log and in `ops.dbt_node_results`, where the data team's dashboard reads it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    resource_type: str
    status: str
    execution_seconds: float
    rows_affected: int | None
    failures: int | None
    message: str | None

    @property
    def name(self) -> str:
        return self.unique_id.split(".", 2)[-1]

    def rows_shown(self) -> str:
        """Rows written (a model, seed, snapshot) or failing (a test); blank where dbt has none (a view)."""
        count = self.failures if self.resource_type in ("test", "unit_test") else self.rows_affected
        return "" if count is None or count < 0 else f"{count:,}"


@dataclass(frozen=True)
class BuildResults:
    invocation_id: str
    completed_at: datetime
    nodes: tuple[NodeResult, ...]

    def failed(self) -> list[NodeResult]:
        return [node for node in self.nodes if node.status in ("error", "fail", "runtime error")]

    def table(self) -> str:
        """A fixed-width table for the task log, slowest first."""
        lines = [f"{'status':<8} {'seconds':>8} {'rows':>9}  node"]
        for node in sorted(self.nodes, key=lambda n: -n.execution_seconds):
            rows = "" if node.rows_affected is None else f"{node.rows_affected:,}"
            lines.append(
                f"{node.status:<8} {node.execution_seconds:>8.2f} {rows:>9}  {node.resource_type} {node.name}"
            )
        return "\n".join(lines)


def read_run_results(path: Path) -> BuildResults:
    """The nodes of dbt's run_results.json at `path`."""
    raw = json.loads(path.read_text())
    nodes = tuple(_node(result) for result in raw["results"])
    return BuildResults(
        invocation_id=raw["metadata"]["invocation_id"],
        completed_at=datetime.fromisoformat(raw["metadata"]["generated_at"]),
        nodes=nodes,
    )


def _node(result: dict) -> NodeResult:
    unique_id = result["unique_id"]
    response = result.get("adapter_response") or {}
    return NodeResult(
        unique_id=unique_id,
        resource_type=unique_id.split(".", 1)[0],
        status=str(result["status"]),
        execution_seconds=float(result.get("execution_time") or 0.0),
        rows_affected=response.get("rows_affected"),
        failures=result.get("failures"),
        message=result.get("message"),
    )


def record(conn: psycopg.Connection, build: BuildResults, dag_id=None, run_id=None, task_id=None) -> int:
    """Record every node of `build` in ops.dbt_node_results (again: no change); the rows written."""
    with conn.cursor() as cur:
        cur.executemany(
            """
            insert into ops.dbt_node_results (invocation_id, unique_id, dag_id, run_id, task_id,
                resource_type, status, execution_seconds, rows_affected, failures, message, completed_at)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
            on conflict (invocation_id, unique_id) do nothing
            """,
            [
                (
                    build.invocation_id,
                    node.unique_id,
                    dag_id,
                    run_id,
                    task_id,
                    node.resource_type,
                    node.status,
                    node.execution_seconds,
                    node.rows_affected,
                    node.failures,
                    node.message,
                    build.completed_at,
                )
                for node in build.nodes
            ],
        )
        return cur.rowcount
