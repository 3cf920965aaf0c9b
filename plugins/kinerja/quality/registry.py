"""The audit of the loaded registry (registry.institutions, registry.accounts) with GX.

registry/check.py refuses invalid registry files before they load; this audit checks what
is in the warehouse after the load (suites registry_institutions.yml, registry_accounts.yml),
so that a hand edit of the tables or a loader bug cannot reach the landing and the scores.
Built on `kinerja.quality.engine`: results go to audit.validation_results (level 'registry',
batch_id `registry:<table>`, the newest audit replacing the previous one), the validation to
the one Data Docs site; a failure raises `RegistryAuditFailed` naming the
expectation, the rows and what to do. Run by the daily DAG's `audit_registry` task, after
`sync_registry` and before anything lands.
"""

from __future__ import annotations

import logging

import psycopg

from kinerja.quality import engine

log = logging.getLogger(__name__)

LEVEL = "registry"
CENTRAL_PEER_GROUPS = ("kementerian", "lembaga")


class RegistryAuditFailed(RuntimeError):
    """The loaded registry holds rows the pipeline cannot use; the message says which and what to do."""


_INSTITUTIONS = f"""
select
    i.institution_id, i.name, i.peer_group, i.region_code, i.province_code, i.population, i.area_km2,
    i.timezone, i.valid_from, i.valid_to,
    exists (
        select 1 from registry.institutions o
        where o.institution_id = i.institution_id and o.valid_from <> i.valid_from
          and o.valid_from <= coalesce(i.valid_to, 'infinity') and i.valid_from <= coalesce(o.valid_to, 'infinity')
    ) as period_overlaps_another,
    i.peer_group in {CENTRAL_PEER_GROUPS} or (i.region_code is not null and i.province_code is not null)
        as has_region_when_regional
from registry.institutions i
order by 1, i.valid_from
"""

_ACCOUNTS = """
with institution_provinces as (
    -- an institution's province as its latest version says (the rule of int_institution_provinces)
    select distinct on (institution_id) institution_id, province_code
    from registry.institutions
    order by institution_id, valid_from desc
),
account_provinces as (
    select a.account_id, count(distinct p.province_code) as provinces
    from registry.accounts a
    join institution_provinces p on p.institution_id = a.institution_id
    group by a.account_id
)
select
    a.account_id, a.institution_id, a.platform, a.handle, a.valid_from, a.valid_to,
    exists (
        select 1 from registry.accounts o
        where o.account_id = a.account_id and o.institution_id = a.institution_id and o.valid_from <> a.valid_from
          and o.valid_from <= coalesce(a.valid_to, 'infinity') and a.valid_from <= coalesce(o.valid_to, 'infinity')
    ) as period_overlaps_another,
    exists (select 1 from registry.institutions i where i.institution_id = a.institution_id) as institution_known,
    coalesce(ap.provinces, 0) <= 1 as within_one_province
from registry.accounts a
left join account_provinces ap on ap.account_id = a.account_id
order by 1, 2, a.valid_from
"""

_WORDING = {
    "consequence": "nothing was landed or scored with it",
    "next_step": "load the registry again (`kinerja registry load`, or clear the daily run's sync_registry)",
}


def audit_registry(conn: psycopg.Connection) -> dict:
    """Audit both registry tables; raises RegistryAuditFailed on the first table that fails."""
    outcome = {}
    for suite, table, query in (
        ("registry_institutions", "registry.institutions", _INSTITUTIONS),
        ("registry_accounts", "registry.accounts", _ACCOUNTS),
    ):
        frame = engine.read_rows(conn, query, {})
        audit = engine.audit_table(
            conn, suite, table, f"registry:{table}", frame, {}, LEVEL, RegistryAuditFailed, **_WORDING
        )
        outcome[table] = audit.rows_checked
    return outcome
