"""deploy/metabase_setup.py against a stand-in Metabase on 127.0.0.1 that answers as Metabase's API documents.

A fresh Metabase is set up with the warehouse reached as the BI role (host, port and
database from KINERJA_WAREHOUSE_URL, the one owner); a Metabase set up before gets the
warehouse added once, and never twice. Each province role with a password gets a connection
of its own, and every connection a collection with the starter questions as cards.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from support import REPO


def _load_setup_script():
    spec = importlib.util.spec_from_file_location("metabase_setup", REPO / "deploy" / "metabase_setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeMetabase:
    """Metabase's set-up, session, database, collection and card endpoints, with what each request carried."""

    def __init__(self, set_up: bool):
        self.set_up = set_up
        self.databases: list[dict] = []
        self.collections: list[dict] = []
        self.cards: list[dict] = []
        self.requests: list[tuple[str, str, dict, dict]] = []

    def answer(self, method: str, path: str, body: dict, headers: dict) -> tuple[int, object]:
        self.requests.append((method, path, body, headers))
        if (method, path) == ("GET", "/api/session/properties"):
            return 200, {"has-user-setup": self.set_up, "setup-token": None if self.set_up else "token-123"}
        if (method, path) == ("POST", "/api/setup"):
            if self.set_up or body.get("token") != "token-123":
                return 403, {"message": "setup token mismatch"}
            self.set_up = True
            self.databases.append(body["database"])
            return 200, {"id": "session-1"}
        if (method, path) == ("POST", "/api/session"):
            return 200, {"id": "session-2"}
        if path == "/api/database":
            if headers.get("x-metabase-session") != "session-2":
                return 401, "Unauthenticated"
            if method == "GET":
                return 200, {"data": [{"id": i + 1, **db} for i, db in enumerate(self.databases)]}
            self.databases.append(body)
            return 200, {"id": len(self.databases), **body}
        for collection, kind in ((self.collections, "/api/collection"), (self.cards, "/api/card")):
            if path == kind:
                if headers.get("x-metabase-session") != "session-2":
                    return 401, "Unauthenticated"
                if method == "GET":
                    return 200, collection
                collection.append({"id": len(collection) + 100, **body})
                return 200, collection[-1]
        return 404, "Not found"


@pytest.fixture
def metabase(request):
    fake = FakeMetabase(set_up=request.param)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, answer = fake.answer(self.command, self.path, body, headers)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake.url = f"http://127.0.0.1:{server.server_port}"
    yield fake
    server.shutdown()


@pytest.fixture
def stack_environment(monkeypatch, metabase):
    monkeypatch.setenv(
        "KINERJA_WAREHOUSE_URL", "postgresql://kinerja:secret@db.internal:6543/kinerja?sslmode=require"
    )
    monkeypatch.setenv("KINERJA_BI_ROLE", "kinerja_bi")
    monkeypatch.setenv("KINERJA_BI_PASSWORD", "bi-secret")
    monkeypatch.setenv("METABASE_URL", metabase.url)
    monkeypatch.setenv("METABASE_ADMIN_EMAIL", "data-team@example.invalid")
    monkeypatch.setenv("METABASE_ADMIN_PASSWORD", "admin-secret")


@pytest.mark.parametrize("metabase", [False], indirect=True)
def test_a_fresh_metabase_is_set_up_with_the_warehouse_as_the_bi_role(metabase, stack_environment):
    _load_setup_script().main()

    setup = next(body for method, path, body, _ in metabase.requests if path == "/api/setup")
    assert setup["user"]["email"] == "data-team@example.invalid"
    assert setup["prefs"]["allow_tracking"] is False
    assert metabase.databases == [
        {
            "engine": "postgres",
            "name": "Kinerja warehouse",
            "details": {
                "host": "db.internal",
                "port": 6543,
                "dbname": "kinerja",
                "user": "kinerja_bi",
                "password": "bi-secret",
                "ssl": True,
            },
        }
    ]


@pytest.mark.parametrize("metabase", [True], indirect=True)
def test_a_metabase_set_up_before_gets_the_warehouse_once(metabase, stack_environment):
    setup_script = _load_setup_script()

    setup_script.main()
    setup_script.main()

    assert [db["name"] for db in metabase.databases] == ["Kinerja warehouse"]
    assert not any(path == "/api/setup" for _, path, _, _ in metabase.requests)


@pytest.mark.parametrize("metabase", [False], indirect=True)
def test_without_the_bi_role_s_password_it_says_what_to_set(metabase, stack_environment, monkeypatch):
    monkeypatch.delenv("KINERJA_BI_PASSWORD")

    with pytest.raises(SystemExit, match="KINERJA_BI_PASSWORD"):
        _load_setup_script().main()
    assert metabase.databases == []


@pytest.mark.parametrize("metabase", [False], indirect=True)
def test_each_province_role_gets_a_connection_and_every_connection_the_starter_questions(
    metabase, stack_environment, monkeypatch
):
    from kinerja.bi import questions

    monkeypatch.setenv("KINERJA_ROLE_PREFIX", "kinerja_")
    monkeypatch.setenv("KINERJA_ROLE_PASSWORD_PROV_51", "bali-secret")
    monkeypatch.setenv("KINERJA_ROLE_PASSWORD_PROV_32", "jabar-secret")
    setup_script = _load_setup_script()

    setup_script.main()
    setup_script.main()  # a second run adds nothing

    connections = {
        db["name"]: (db["details"]["user"], db["details"]["password"]) for db in metabase.databases
    }
    assert connections == {
        "Kinerja warehouse": ("kinerja_bi", "bi-secret"),
        "Kinerja warehouse - provinsi 32": ("kinerja_prov_32", "jabar-secret"),
        "Kinerja warehouse - provinsi 51": ("kinerja_prov_51", "bali-secret"),
    }
    database_ids = {db["name"]: i + 1 for i, db in enumerate(metabase.databases)}
    collection_of = {c["id"]: c["name"] for c in metabase.collections}
    assert sorted(collection_of.values()) == sorted(connections)
    starter = {q.name: q for q in questions()}
    assert len(metabase.cards) == len(starter) * len(connections)
    for card in metabase.cards:
        question = starter[card["name"]]
        query = card["dataset_query"]
        # each card reads through the connection of its own collection: its role's rows only
        assert query["database"] == database_ids[collection_of[card["collection_id"]]]
        assert query["type"] == "native" and query["native"]["query"] == question.sql
        assert set(query["native"]["template-tags"]) == {p.name for p in question.parameters}
    month = next(c for c in metabase.cards if "peer group" in c["name"])["dataset_query"]["native"]
    assert month["template-tags"]["month"]["type"] == "date"
    assert "{{month}}" in month["query"]
