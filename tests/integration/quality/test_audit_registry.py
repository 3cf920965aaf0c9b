"""The GX audit of the loaded registry: the real registry passes, bad rows are named with what to do."""

from __future__ import annotations

import pytest

from kinerja import config
from kinerja.quality.registry import RegistryAuditFailed, audit_registry
from kinerja.registry.load import load_registry

pytestmark = pytest.mark.integration


def _failed(conn, table):
    return {
        (expectation, column, unexpected)
        for expectation, column, unexpected in conn.execute(
            "select expectation, column_name, unexpected from audit.validation_results"
            " where batch_id = %s and level = 'registry' and not success",
            [f"registry:{table}"],
        )
    }


def test_the_real_registry_passes_its_audit(conn, monkeypatch):
    # the shipped registry, even after a test of this worker pointed KINERJA_REGISTRY_DIR at the
    # small one (the session's Airflow fixture does, for the rest of the session)
    monkeypatch.delenv("KINERJA_REGISTRY_DIR", raising=False)
    load_registry(conn, config.registry_dir())
    checked = audit_registry(conn)
    assert checked["registry.institutions"] > 500 and checked["registry.accounts"] > 3000
    assert _failed(conn, "registry.institutions") == _failed(conn, "registry.accounts") == set()


def test_bad_registry_rows_fail_the_audit_with_what_to_do(conn):
    audit_registry(conn)  # the small registry passes
    conn.execute("update registry.institutions set timezone = 'UTC' where institution_id = 'kab-5101'")
    with pytest.raises(RegistryAuditFailed, match=r"timezone is not WIB, WITA or WIT") as failed:
        audit_registry(conn)
    assert "institution_id=kab-5101" in str(failed.value) and "kinerja registry load" in str(failed.value)
    conn.execute(
        "update registry.institutions set timezone = 'Asia/Makassar' where institution_id = 'kab-5101'"
    )

    # an account period overlapping another of the same account, and an account of an unknown institution
    conn.execute(
        "insert into registry.accounts (account_id, institution_id, platform, handle, valid_from)"
        " select account_id, institution_id, platform, handle, valid_from + 10 from registry.accounts"
        " where account_id = 'demo-kab-5101-x'"
    )
    conn.execute(
        "insert into registry.accounts (account_id, institution_id, platform, handle, valid_from)"
        " values ('demo-nowhere-x', 'kab-9999', 'x', 'nowhere', '2024-01-01')"
    )
    with pytest.raises(RegistryAuditFailed) as failed:
        audit_registry(conn)
    assert "demo-kab-5101-x" in str(failed.value) and "end the earlier row" in str(failed.value)
    assert _failed(conn, "registry.accounts") == {
        ("expect_column_values_to_be_in_set", "period_overlaps_another", 2),
        ("expect_column_values_to_be_in_set", "institution_known", 1),
    }
    assert _failed(conn, "registry.institutions") == set()


def test_an_account_shared_by_institutions_of_two_provinces_fails_the_audit(conn):
    conn.execute(
        "insert into registry.institutions (institution_id, name, peer_group, region_code, province_code,"
        " timezone, source, valid_from)"
        " values ('kab-3501', 'Kabupaten Pacitan', 'kabupaten', '3501', '35', 'Asia/Jakarta', 'test', '2000-01-01')"
    )
    conn.execute(
        "insert into registry.accounts (account_id, institution_id, platform, handle, valid_from)"
        " select account_id, 'kab-3501', platform, handle, valid_from from registry.accounts"
        " where account_id = 'demo-kab-5101-x'"
    )
    with pytest.raises(RegistryAuditFailed, match=r"demo-kab-5101-x.* more than one province") as failed:
        audit_registry(conn)
    assert "give each province's institution its own account" in str(failed.value)
    assert _failed(conn, "registry.accounts") == {
        ("expect_column_values_to_be_in_set", "within_one_province", 2)
    }
    assert _failed(conn, "registry.institutions") == set()
