"""The warehouse: where it runs (embedded or given by URL), connections, schemas."""

from kinerja.warehouse.connection import connect, ensure_database, ensure_warehouse, resolve_server

__all__ = ["connect", "ensure_database", "ensure_warehouse", "resolve_server"]
