"""Connect Metabase to the warehouse with the BI role, once (docker compose's metabase-setup service).

A fresh Metabase is set up through its API (`POST /api/setup`): the first admin
(METABASE_ADMIN_EMAIL, METABASE_ADMIN_PASSWORD) and the warehouse as its database, reached
as KINERJA_BI_ROLE. A Metabase set up before gets the warehouse added if it lacks it.
The warehouse's host, port and database come from KINERJA_WAREHOUSE_URL, its one owner.
"""

from __future__ import annotations

import os
import sys

import httpx

from kinerja import config

DATABASE_NAME = "Kinerja warehouse"


def warehouse_database() -> dict:
    """Metabase's description of the warehouse, as the BI role sees it."""
    params = config.warehouse_params()
    role, password = config.bi_role(), config.bi_password()
    if params is None or not role or not password:
        sys.exit("metabase_setup: set KINERJA_WAREHOUSE_URL, KINERJA_BI_ROLE and KINERJA_BI_PASSWORD (.env)")
    details = {
        "host": params.host,
        "port": params.port,
        "dbname": params.dbname,
        "user": role,
        "password": password,
        "ssl": (params.get("sslmode") or "disable") not in ("disable", "allow", "prefer"),
    }
    return {"engine": "postgres", "name": DATABASE_NAME, "details": details}


def main() -> None:
    metabase = httpx.Client(base_url=os.environ.get("METABASE_URL", "http://metabase:3000"), timeout=60)
    email, password = os.environ["METABASE_ADMIN_EMAIL"], os.environ["METABASE_ADMIN_PASSWORD"]
    database = warehouse_database()
    properties = metabase.get("/api/session/properties").raise_for_status().json()
    if not properties.get("has-user-setup"):
        metabase.post(
            "/api/setup",
            json={
                "token": properties["setup-token"],
                "user": {"email": email, "password": password, "first_name": "Kinerja", "last_name": "Admin"},
                "prefs": {"site_name": "Kinerja", "site_locale": "id", "allow_tracking": False},
                "database": database,
            },
        ).raise_for_status()
        print(f"metabase_setup: Metabase set up, {DATABASE_NAME} connected as {database['details']['user']}")
        return
    session = metabase.post("/api/session", json={"username": email, "password": password}).raise_for_status()
    metabase.headers["X-Metabase-Session"] = session.json()["id"]
    listed = metabase.get("/api/database").raise_for_status().json()
    names = {db["name"] for db in (listed["data"] if isinstance(listed, dict) else listed)}
    if DATABASE_NAME in names:
        print(f"metabase_setup: {DATABASE_NAME} already connected")
        return
    metabase.post("/api/database", json=database).raise_for_status()
    print(f"metabase_setup: {DATABASE_NAME} connected as {database['details']['user']}")


if __name__ == "__main__":
    main()
