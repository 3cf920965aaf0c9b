"""One built, published and role-secured warehouse for every BI test (built once per package).

Two weeks of simulated data of the small registry (Bali and three central institutions)
across a month boundary, plus a Bali account a ministry shares and a central institution
without accounts (bi_warehouse_data.py); the full dbt build with a coverage bar that
September's days pass and October's do not, publish, then `kinerja roles apply` with
passwords for the national BI role and Bali's role.
Tests connect as those roles: the owner used to build bypasses row security.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from bi_warehouse_data import (
    CRISIS_RATE,
    DAYS,
    EMPTY_INSTITUTION,
    FIRST_DAY,
    HOSTILE_NAME,
    MIN_COVERAGE,
    PASSWORD,
    PROVINCE,
    SHARED_ACCOUNT,
    SHARING_INSTITUTION,
)

from support import SMALL_REGISTRY, dbt_build


def land_simulated_days(conn, accounts, days):
    """What the daily DAG's land_simulator does, day by day: account days and posts, audited."""
    from kinerja.landing.harvest import land_harvest
    from kinerja.sources import simulator
    from kinerja.sources.base import Harvest

    # a few crises, so that the crisis question has signals to show
    realities = simulator.Realities(crisis_rate=CRISIS_RATE)
    for day in days:
        pulled = simulator.SimulatorSource(realities).harvest(day, accounts, 3)
        harvest = Harvest(
            account_days=list(simulator.simulate_day(accounts, day, realities)),
            posts=[post for post in pulled.posts if post["as_of_date"] == day],
        )
        land_harvest(conn, simulator.SOURCE, None, day, harvest)


def _add_shared_account_and_empty_institution(conn) -> None:
    conn.execute(
        "insert into registry.accounts (account_id, institution_id, platform, handle, valid_from, is_demo)"
        " select account_id, %s, platform, handle, %s, is_demo from registry.accounts where account_id = %s",
        [SHARING_INSTITUTION, FIRST_DAY, SHARED_ACCOUNT],
    )
    conn.execute(
        "insert into registry.institutions (institution_id, name, peer_group, timezone, source, valid_from)"
        " values (%s, %s, 'lembaga', 'Asia/Jakarta', 'test', '2000-01-01')",
        [EMPTY_INSTITUTION, HOSTILE_NAME],
    )


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
    from kinerja.registry.load import load_registry, read_accounts
    from kinerja.warehouse import connect, ensure_database
    from kinerja.warehouse.roles import apply_roles
    from kinerja.warehouse.schema import apply_ddl

    params = ensure_database(server, f"kinerja_bi_{uuid.uuid4().hex[:10]}")
    accounts = read_accounts(SMALL_REGISTRY)
    with connect(params, autocommit=True) as conn:
        apply_ddl(conn)
        load_registry(conn, SMALL_REGISTRY)
        _add_shared_account_and_empty_institution(conn)
        land_simulated_days(conn, accounts, [FIRST_DAY + timedelta(days=i) for i in range(DAYS)])
        built = dbt_build(params, "--vars", json.dumps({"min_coverage": MIN_COVERAGE}), check=False)
        assert built.returncode == 0, built.stdout[-3000:]
        publish.publish(conn)
        # the passwords only while the roles are created: later applies keep them, and the
        # environment of the session's other tests stays as it was
        with pytest.MonkeyPatch.context() as env:
            env.setenv(config.role_password_env("bi"), PASSWORD)
            env.setenv(config.role_password_env(f"prov_{PROVINCE}"), PASSWORD)
            report = apply_roles(conn)
    yield BiWarehouse(params, report)
    with connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{params.dbname}" with (force)')
