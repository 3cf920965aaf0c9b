"""Task bodies of the registry: load the registry files, audit what was loaded."""

from __future__ import annotations

import logging
from pathlib import Path

from kinerja import config
from kinerja.registry.load import load_registry
from kinerja.warehouse import connect, ensure_warehouse
from kinerja.warehouse.schema import apply_ddl

log = logging.getLogger(__name__)


def sync_registry(registry_dir: Path | None = None) -> dict[str, int]:
    """Create the warehouse's Python-owned tables and load the registry files."""
    with connect(ensure_warehouse()) as conn:
        apply_ddl(conn)
        counts = load_registry(conn, registry_dir or config.registry_dir())
    log.info("registry loaded: %s", counts)
    return counts


def audit_registry() -> dict:
    """The daily DAG's audit_registry, on the configured warehouse; raises RegistryAuditFailed."""
    from kinerja.quality.registry import audit_registry as audit

    with connect(ensure_warehouse(), autocommit=True) as conn:
        return audit(conn)
