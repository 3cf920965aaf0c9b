"""One built, published and role-secured warehouse for every BI test (built once per package).

Two weeks of simulated data of the small registry (Bali and three central institutions)
across a month boundary, the full dbt build with a low coverage bar (so that two weeks rank),
publish, then `kinerja roles apply` with passwords for the national BI role and Bali's role.
Tests connect as those roles: the owner used to build bypasses row security.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest

from support import SMALL_REGISTRY

FIRST_DAY, DAYS = date(2026, 9, 22), 14
PROVINCE = "51"
PASSWORD = "bi-test-" + uuid.uuid4().hex[:12]


def land_simulated_days(conn, accounts, days):
    """What the daily DAG's land_simulator does, day by day: account days and posts, audited."""
    from kinerja.landing.harvest import land_harvest
    from kinerja.sources import simulator
    from kinerja.sources.base import Harvest

    for day in days:
        pulled = simulator.SimulatorSource(simulator.NO_REALITIES).harvest(day, accounts, 3)
        harvest = Harvest(
            account_days=list(simulator.simulate_day(accounts, day)),
            posts=[post for post in pulled.posts if post["as_of_date"] == day],
        )
        land_harvest(conn, simulator.SOURCE, None, day, harvest)


class BiWarehouse:
    """The built warehouse: the owner's parameters, and connections as the reader roles."""

    def __init__(self, params, report):
        from kinerja import config

        self.params = params
        self.report = report
        self.bi_role = config.bi_role()
        self.province_role = f"{config.role_prefix()}prov_{PROVINCE}"

    def as_role(self, role: str, **kwargs):
        from kinerja.warehouse import connect

        return connect(replace(self.params, user=role, password=PASSWORD), autocommit=True, **kwargs)

    def as_owner(self, **kwargs):
        from kinerja.warehouse import connect

        return connect(self.params, autocommit=True, **kwargs)


@pytest.fixture(scope="package")
def bi_warehouse(server):
    from kinerja import config, publish
    from kinerja import dbt_commands as dbt
    from kinerja.registry.load import load_registry, read_accounts
    from kinerja.warehouse import connect, ensure_database
    from kinerja.warehouse.roles import apply_roles
    from kinerja.warehouse.schema import apply_ddl

    params = ensure_database(server, f"kinerja_bi_{uuid.uuid4().hex[:10]}")
    accounts = read_accounts(SMALL_REGISTRY)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(config.role_password_env("bi"), PASSWORD)
        env.setenv(config.role_password_env(f"prov_{PROVINCE}"), PASSWORD)
        with connect(params, autocommit=True) as conn:
            apply_ddl(conn)
            load_registry(conn, SMALL_REGISTRY)
            land_simulated_days(conn, accounts, [FIRST_DAY + timedelta(days=i) for i in range(DAYS)])
            built = dbt.run_dbt(params, "build", "--vars", json.dumps({"min_coverage": 0.05}), check=False)
            assert built.returncode == 0, built.stdout[-3000:]
            publish.publish(conn)
            report = apply_roles(conn)
        yield BiWarehouse(params, report)
    with connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{params.dbname}" with (force)')
