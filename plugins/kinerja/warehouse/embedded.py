"""The embedded PostgreSQL server (pgserver) used when KINERJA_WAREHOUSE_URL is unset.

pgserver ships a real PostgreSQL 16 in a wheel. It listens on a unix socket only
(no TCP port): BI tools that need a port use docker compose or an external server.
The server keeps running after the process that started it exits, so Airflow tasks,
dbt and the CLI all reach the same server; `kinerja warehouse stop` stops it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kinerja import config
from kinerja.config import PgParams

log = logging.getLogger(__name__)


def pgdata_dir(home: Path | None = None) -> Path:
    return (home or config.local_dir()) / "pgdata"


def start(home: Path | None = None) -> PgParams:
    """Start (or find running) the embedded server and return its connection parameters."""
    import pgserver  # imported here: starting a server is the only reason to load it

    # pgserver logs every handle it opens and closes, also at interpreter exit
    logging.getLogger("pgserver").setLevel(logging.WARNING)

    pgdata = pgdata_dir(home)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process, other processes share it.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    params = PgParams.from_url(server.get_uri(), setting="the embedded server's URL")
    log.info("embedded PostgreSQL running, socket in %s", params.host)
    return params


def stop(home: Path | None = None) -> bool:
    """Stop the embedded server if it runs; True when it was running."""
    pgdata = pgdata_dir(home)
    if not (pgdata / "postmaster.pid").exists():
        return False
    import os

    from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    return True
