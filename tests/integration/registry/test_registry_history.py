"""Registry history: a back-dated handle change and an institution split, as the data team enters them.

The earlier month's ranking is computed, the registry is changed afterwards (the handle
change is back-dated into that month, the split takes effect the month after), the
warehouse is rebuilt, and the earlier month must come out exactly as it was; the
dimensions, the dbt snapshots and the load ledger must show the history and who made it.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta

import pytest

from kinerja import landing, publish
from kinerja.quality import account_days as quality
from kinerja.registry.load import load_registry, read_accounts
from kinerja.sources import simulator
from kinerja.warehouse import connect
from support import SMALL_REGISTRY, dbt_build

pytestmark = pytest.mark.integration

SEPTEMBER = [date(2026, 9, 1) + timedelta(days=i) for i in range(30)]
OCTOBER_START = [date(2026, 10, 1) + timedelta(days=i) for i in range(5)]
HANDLE_CHANGED = date(2026, 9, 15)  # entered in October, effective in September
SPLIT = date(2026, 10, 1)  # kem-dagri ends on 30 September; two ministries take over
DATA_TEAM = "Tim Data Kominfo <data@example.org>"

RANKING = """
    select month, institution_id, institution_name, peer_group, ikms, rank_in_peer_group, peer_group_size,
           is_eligible, activity_score, reach_score, engagement_score, responsiveness_score,
           accounts, followers, posts, coverage
    from reports.rpt_institution_scores_monthly where month = %s order by institution_id
"""


def _land_and_audit(conn, registry_dir, days):
    accounts = read_accounts(registry_dir)
    records = [record for day in days for record in simulator.simulate_day(accounts, day)]
    batch = landing.land_batch(conn, "simulator", days[-1], iter(records))
    quality.audit_batch(conn, batch.batch_id)


def _build(warehouse):
    """Build, then publish what passed (write-audit-publish), as the DAGs do."""
    dbt_build(warehouse, "--vars", '{"min_coverage": 0.5}')
    with connect(warehouse, autocommit=True) as conn:
        publish.publish(conn)


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _append(path, *rows):
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(row + "\n" for row in rows)


def _change_registry(registry):
    """What the data team commits in October: a back-dated handle change and the split."""
    accounts, central = registry / "accounts.csv", registry / "central_institutions.csv"
    # the handle of Komdigi's X account changed on 15 September; the team learns it later
    _edit(
        accounts,
        "demo-kem-komdigi-x,kem-komdigi,x,demo_kemkomdigi_x,9169889896931408,,2022-01-01,,true",
        "demo-kem-komdigi-x,kem-komdigi,x,demo_kemkomdigi_x,9169889896931408,,2022-01-01,2026-09-14,true\n"
        "demo-kem-komdigi-x,kem-komdigi,x,komdigi_ri,9169889896931408,,2026-09-15,,true",
    )
    # kem-dagri ends; kem-otda takes its accounts over, the YouTube channel is shared by both successors
    _edit(
        central,
        "kem-dagri,Kementerian Dalam Negeri,kementerian,humas@kem-dagri.example.org,"
        "Keppres 133/P Tahun 2024; Perpres 139 Tahun 2024,,,",
        "kem-dagri,Kementerian Dalam Negeri,kementerian,humas@kem-dagri.example.org,"
        "Keppres 133/P Tahun 2024; Perpres 139 Tahun 2024,,2026-09-30,",
    )
    _append(
        central,
        "kem-otda,Kementerian Otonomi Daerah,kementerian,humas@kem-otda.example.org,Perpres 1 Tahun 2026,2026-10-01,,kem-dagri",
        "kem-pemdes,Kementerian Pemerintahan Desa,kementerian,,Perpres 1 Tahun 2026,2026-10-01,,kem-dagri",
    )
    text = accounts.read_text(encoding="utf-8")
    dagri_rows = [line for line in text.splitlines() if ",kem-dagri," in line]
    for row in dagri_rows:
        _edit(accounts, row, row.replace(",2022-01-01,,", ",2022-01-01,2026-09-30,"))
        taken_over = row.replace(",kem-dagri,", ",kem-otda,").replace(",2022-01-01,,", ",2026-10-01,,")
        _append(accounts, taken_over.replace("demo_kemdagri", "kemenotda"))
    shared = next(row for row in dagri_rows if "-youtube," in row)
    _append(
        accounts,
        shared.replace(",kem-dagri,", ",kem-pemdes,")
        .replace(",2022-01-01,,", ",2026-10-01,,")
        .replace("demo_kemdagri", "kemenotda"),
    )


def _one(conn, query, *params):
    return conn.execute(query, params).fetchall()


def test_history_keeps_an_earlier_month_as_it_was(conn, warehouse, tmp_path, monkeypatch):
    registry = tmp_path / "registry"
    shutil.copytree(SMALL_REGISTRY, registry)
    load_registry(conn, registry)  # the same content the fixture loaded: nothing is recorded anew
    [(first_author,)] = _one(conn, "select distinct recorded_by from registry.accounts")
    _land_and_audit(conn, registry, SEPTEMBER)
    _build(warehouse)
    september_before = _one(conn, RANKING, SEPTEMBER[0])
    assert sum(row[7] for row in september_before) >= 10  # most institutions are ranked

    _change_registry(registry)
    monkeypatch.setenv("KINERJA_REGISTRY_CHANGED_BY", DATA_TEAM)
    load_registry(conn, registry)
    _land_and_audit(conn, registry, OCTOBER_START)
    _build(warehouse)

    # the earlier month, recomputed with the registry as it is now, is exactly as it was
    assert _one(conn, RANKING, SEPTEMBER[0]) == september_before

    # the split: the old ministry ends, its successors name it, October scores the successors
    versions = _one(
        conn,
        "select institution_id, valid_from, valid_to, predecessor_ids from marts.dim_institutions"
        " where institution_id in ('kem-dagri', 'kem-otda', 'kem-pemdes') order by 1",
    )
    assert versions == [
        ("kem-dagri", date(2000, 1, 1), date(2026, 9, 30), None),
        ("kem-otda", SPLIT, None, "kem-dagri"),
        ("kem-pemdes", SPLIT, None, "kem-dagri"),
    ]
    october = dict(
        _one(
            conn,
            "select institution_id, accounts from reports.rpt_institution_scores_monthly"
            " where month = '2026-10-01' and peer_group = 'kementerian'",
        )
    )
    assert october == {"kem-komdigi": 5, "kem-otda": 5, "kem-pemdes": 1}  # kem-dagri ended before October

    # the back-dated handle change: two periods of one account, its September days still Komdigi's
    handles = _one(
        conn,
        "select handle, valid_from, valid_to from marts.dim_accounts"
        " where account_id = 'demo-kem-komdigi-x' order by valid_from",
    )
    assert handles == [
        ("demo_kemkomdigi_x", date(2022, 1, 1), HANDLE_CHANGED - timedelta(days=1)),
        ("komdigi_ri", HANDLE_CHANGED, None),
    ]
    days = _one(
        conn,
        "select distinct institution_id from intermediate.int_account_days_by_institution"
        " where account_id = 'demo-kem-komdigi-x'",
    )
    assert days == [("kem-komdigi",)]

    # the audit trail: the replaced row is closed in the snapshot, the new rows say who made them
    snapshot = _one(
        conn,
        "select handle, valid_to, recorded_by, dbt_valid_to is null from snapshots.snap_registry__accounts"
        " where account_id = 'demo-kem-komdigi-x' order by dbt_valid_from, valid_from",
    )
    assert snapshot == [
        ("demo_kemkomdigi_x", None, first_author, False),
        ("demo_kemkomdigi_x", HANDLE_CHANGED - timedelta(days=1), DATA_TEAM, True),
        ("komdigi_ri", None, DATA_TEAM, True),
    ]
    unchanged = _one(
        conn,
        "select distinct recorded_by from registry.accounts where institution_id = 'kem-komdigi'"
        " and account_id <> 'demo-kem-komdigi-x'",
    )
    assert unchanged == [(first_author,)]  # rows the change did not touch keep their first record
    loads = _one(
        conn, "select loaded_by, rows_added > 0, rows_removed > 0 from registry.loads order by load_id"
    )
    assert loads[-1] == (DATA_TEAM, True, True)


def test_loading_an_unchanged_registry_records_nothing_new(conn, warehouse):
    before = _one(conn, "select count(*), max(recorded_at) from registry.accounts")
    load_registry(conn, SMALL_REGISTRY)
    assert _one(conn, "select count(*), max(recorded_at) from registry.accounts") == before
    assert _one(conn, "select count(*) from registry.loads") == [(1,)]  # the fixture's first load only


def test_comparison_groups_load_with_the_registry(conn, tmp_path):
    registry = tmp_path / "registry"
    shutil.copytree(SMALL_REGISTRY, registry)
    (registry / "comparison_groups.csv").write_text(
        "group_id,group_name,institution_id,valid_from,valid_to\n"
        "bali-selatan,Bali selatan,kab-5103,2025-01-01,\n"
        "bali-selatan,Bali selatan,kota-5171,,2025-12-31\n",
        encoding="utf-8",
    )
    load_registry(conn, registry)
    rows = conn.execute(
        "select group_id, institution_id, valid_from, valid_to from registry.comparison_groups order by 2"
    ).fetchall()
    assert rows == [
        ("bali-selatan", "kab-5103", date(2025, 1, 1), None),
        ("bali-selatan", "kota-5171", date(2000, 1, 1), date(2025, 12, 31)),
    ]
    # a registry without the file has no groups
    load_registry(conn, SMALL_REGISTRY)
    assert conn.execute("select count(*) from registry.comparison_groups").fetchone() == (0,)
