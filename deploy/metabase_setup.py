"""Connect Metabase to the warehouse with the reader roles, and add the starter questions (docker compose's metabase-setup service).

A fresh Metabase is set up through its API (`POST /api/setup`): the first admin
(METABASE_ADMIN_EMAIL, METABASE_ADMIN_PASSWORD) and the warehouse as its database, reached
as the national BI role (KINERJA_BI_ROLE, KINERJA_BI_PASSWORD). Metabase's open-source
edition cannot restrict rows per user, so each regional office gets a database connection
of its own, as its province's role (`<prefix>prov_<code>`, whose rows PostgreSQL's row
security limits): one for each KINERJA_ROLE_PASSWORD_PROV_<code> set (docker compose reads them
from role-passwords.env, which `kinerja roles passwords` writes). Each connection gets a
collection of the same name holding the starter questions (kinerja.bi) as native-query
cards. Running it again adds only what is missing. The warehouse's host, port and database
come from KINERJA_WAREHOUSE_URL, its one owner.
"""

from __future__ import annotations

import os
import sys

import httpx

from kinerja import config
from kinerja.bi import Question, questions

DATABASE_NAME = "Kinerja warehouse"


def province_database_name(code: str) -> str:
    return f"{DATABASE_NAME} - provinsi {code}"


def warehouse_database(
    name: str = DATABASE_NAME, role: str | None = None, password: str | None = None
) -> dict:
    """Metabase's description of the warehouse as one reader role sees it (default: the national BI role)."""
    params = config.warehouse_params()
    role, password = role or config.bi_role(), password or config.role_password("bi")
    if params is None or not password:
        sys.exit("metabase_setup: set KINERJA_WAREHOUSE_URL, KINERJA_BI_ROLE and KINERJA_BI_PASSWORD (.env)")
    details = {
        "host": params.host,
        "port": params.port,
        "dbname": params.dbname,
        "user": role,
        "password": password,
        "ssl": (params.get("sslmode") or "disable") not in ("disable", "allow", "prefer"),
    }
    return {"engine": "postgres", "name": name, "details": details}


def reader_databases() -> list[dict]:
    """The national connection first, then one per province role with a password in the environment."""
    databases = [warehouse_database()]
    for code, password in config.province_role_passwords().items():
        role = f"{config.role_prefix()}prov_{code}"
        databases.append(warehouse_database(province_database_name(code), role, password))
    return databases


def card(question: Question, database_id: int, collection_id: int) -> dict:
    """A starter question as a Metabase card: a native query with its parameters as template tags."""
    return {
        "name": question.name,
        "description": question.description,
        "collection_id": collection_id,
        "display": "table",
        "visualization_settings": {},
        "dataset_query": {
            "type": "native",
            "database": database_id,
            "native": {"query": question.sql, "template-tags": question.metabase_template_tags()},
        },
    }


def _listed(answer) -> list[dict]:
    return answer["data"] if isinstance(answer, dict) else answer


def _log_in(metabase: httpx.Client, email: str, password: str) -> None:
    session = metabase.post("/api/session", json={"username": email, "password": password}).raise_for_status()
    metabase.headers["X-Metabase-Session"] = session.json()["id"]


def ensure_databases(metabase: httpx.Client, databases: list[dict]) -> dict[str, int]:
    """Add each connection Metabase lacks (by name); returns every connection's id by name."""
    ids = {db["name"]: db["id"] for db in _listed(metabase.get("/api/database").raise_for_status().json())}
    for database in databases:
        if database["name"] in ids:
            print(f"metabase_setup: {database['name']} already connected")
            continue
        added = metabase.post("/api/database", json=database).raise_for_status().json()
        ids[database["name"]] = added["id"]
        print(f"metabase_setup: {database['name']} connected as {database['details']['user']}")
    return ids


def ensure_cards(metabase: httpx.Client, database_ids: dict[str, int], names: list[str]) -> int:
    """A collection per connection (named as it) with every starter question missing from it; returns cards added."""
    collections = {
        c["name"]: c["id"] for c in _listed(metabase.get("/api/collection").raise_for_status().json())
    }
    existing = {
        (c.get("collection_id"), c["name"])
        for c in _listed(metabase.get("/api/card").raise_for_status().json())
    }
    added = 0
    for name in names:
        if name not in collections:
            created = metabase.post(
                "/api/collection", json={"name": name, "color": "#509EE3"}
            ).raise_for_status()
            collections[name] = created.json()["id"]
        for question in questions():
            if (collections[name], question.name) in existing:
                continue
            metabase.post(
                "/api/card", json=card(question, database_ids[name], collections[name])
            ).raise_for_status()
            added += 1
    return added


def main() -> None:
    metabase = httpx.Client(base_url=os.environ.get("METABASE_URL", "http://metabase:3000"), timeout=60)
    email, password = os.environ["METABASE_ADMIN_EMAIL"], os.environ["METABASE_ADMIN_PASSWORD"]
    databases = reader_databases()
    properties = metabase.get("/api/session/properties").raise_for_status().json()
    if not properties.get("has-user-setup"):
        metabase.post(
            "/api/setup",
            json={
                "token": properties["setup-token"],
                "user": {"email": email, "password": password, "first_name": "Kinerja", "last_name": "Admin"},
                "prefs": {"site_name": "Kinerja", "site_locale": "id", "allow_tracking": False},
                "database": databases[0],
            },
        ).raise_for_status()
        print(
            f"metabase_setup: Metabase set up, {DATABASE_NAME} connected as {databases[0]['details']['user']}"
        )
    _log_in(metabase, email, password)
    ids = ensure_databases(metabase, databases)
    added = ensure_cards(metabase, ids, [database["name"] for database in databases])
    print(f"metabase_setup: {added} starter question card(s) added")


if __name__ == "__main__":
    main()
