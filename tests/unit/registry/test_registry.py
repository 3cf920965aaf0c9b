"""The registry files: counts, time zones, demo accounts and the errors bad rows give."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from kinerja import config, platforms
from kinerja.registry.demo import generate_demo_accounts, write_accounts_csv
from kinerja.registry.history import accounts_on, valid_on
from kinerja.registry.load import (
    ACCOUNT_COLUMNS,
    INSTITUTION_COLUMNS,
    PEER_GROUPS,
    TIMEZONES,
    RegistryError,
    read_accounts,
    read_institutions,
    registry_counts,
)

SHIPPED = Path(config.PROJECT_ROOT) / "plugins" / "kinerja" / "registry" / "data"
SMALL = Path(__file__).resolve().parents[2] / "fixtures" / "registry_small"

# The curated central list (see data/PROVENANCE.md): change these with the list.
KEMENTERIAN = 48  # the Kabinet Merah Putih (Keppres 133/P Tahun 2024, Perpres 139 Tahun 2024)
LEMBAGA = 29
CABINET_BEGINS = date(2024, 10, 21)
SPLIT_2024 = {  # ministries of the 2019-2024 cabinet that the 2024 cabinet split
    "kem-menko-polhukam": {"kem-menko-polkam", "kem-menko-kumhamimipas"},
    "kem-kumham": {"kem-kum", "kem-ham", "kem-imipas"},
    "kem-dikbudristek": {"kem-dikdasmen", "kem-diktisaintek", "kem-bud"},
    "kem-pupr": {"kem-pu", "kem-pkp"},
    "kem-desapdtt": {"kem-desapdt", "kem-trans"},
    "kem-lhk": {"kem-lh", "kem-hut"},
    "kem-kopukm": {"kem-kop", "kem-umkm"},
    "kem-parekraf": {"kem-par", "kem-ekraf"},
}
DAY = date(2026, 10, 1)


@pytest.fixture(scope="module")
def institutions() -> list[dict]:
    return read_institutions(SHIPPED)


@pytest.fixture(scope="module")
def accounts(institutions) -> list[dict]:
    return read_accounts(SHIPPED, institution_ids={i["institution_id"] for i in institutions})


def by_region(institutions: list[dict], code: str) -> dict:
    return next(i for i in institutions if i["region_code"] == code)


def test_shipped_counts(institutions, accounts):
    counts = registry_counts(institutions, accounts, on=DAY)
    assert counts == {
        "kementerian": KEMENTERIAN,
        "lembaga": LEMBAGA,
        "provinsi": 38,
        "kabupaten": 416,
        "kota": 98,
        "accounts": len(accounts_on(accounts, DAY)),
    }
    # 3,000+ official accounts, as the ministry expects nationally
    assert 3000 < counts["accounts"] < 3500


def test_the_2024_cabinet_split(institutions):
    """Eight ministries ended on 2024-10-20; their successors began the next day and name them."""
    before = registry_counts(institutions, [], on=CABINET_BEGINS - timedelta(days=1))
    after = registry_counts(institutions, [], on=CABINET_BEGINS)
    assert after["kementerian"] == KEMENTERIAN
    new_ids = {i["institution_id"] for i in institutions if i["valid_from"] == CABINET_BEGINS}
    ended = {i["institution_id"] for i in institutions if i["valid_to"] == CABINET_BEGINS - timedelta(days=1)}
    assert ended == set(SPLIT_2024) | {"kem-komdigi", "kem-investasi"}  # eight splits and two renames
    assert before["kementerian"] == after["kementerian"] - len(new_ids) + len(ended) == 33
    for predecessor, successors in SPLIT_2024.items():
        named = {i["institution_id"] for i in institutions if predecessor in (i["predecessor_ids"] or [])}
        assert named == successors


def test_a_renamed_ministry_keeps_its_id(institutions):
    names = [
        (i["name"], i["valid_from"], i["valid_to"])
        for i in institutions
        if i["institution_id"] == "kem-komdigi"
    ]
    assert names == [
        ("Kementerian Komunikasi dan Informatika", date(2000, 1, 1), date(2024, 10, 20)),
        ("Kementerian Komunikasi dan Digital", CABINET_BEGINS, None),
    ]


def test_institutions_are_valid(institutions):
    versions = [(i["institution_id"], i["valid_from"]) for i in institutions]
    assert len(versions) == len(set(versions))
    for institution in institutions:
        assert tuple(institution) == INSTITUTION_COLUMNS
        assert institution["peer_group"] in PEER_GROUPS
        assert institution["timezone"] in TIMEZONES
        assert institution["name"] == institution["name"].strip() and institution["name"]
        assert ".example.org" in institution["scorecard_email"]


def test_regional_fields(institutions):
    jakarta_utara = by_region(institutions, "3172")
    assert jakarta_utara["institution_id"] == "kota-3172"
    assert jakarta_utara["name"] == "Kota Administrasi Jakarta Utara"  # trailing space in the file
    assert jakarta_utara["parent_institution_id"] == "prov-31"
    assert jakarta_utara["population"] == 1832032
    assert by_region(institutions, "31")["area_km2"] is None  # empty in the source
    assert by_region(institutions, "3101")["peer_group"] == "kabupaten"
    provinces = {i["institution_id"] for i in institutions if i["peer_group"] == "provinsi"}
    for institution in institutions:
        if institution["peer_group"] in ("kabupaten", "kota"):
            assert institution["parent_institution_id"] in provinces


def test_central_fields(institutions):
    komdigi = next(i for i in institutions if i["institution_id"] == "kem-komdigi" and i["valid_to"] is None)
    assert komdigi["name"] == "Kementerian Komunikasi dan Digital"
    assert komdigi["timezone"] == "Asia/Jakarta"
    assert komdigi["region_code"] is None and komdigi["province_code"] is None
    assert komdigi["scorecard_email"] == "humas@kem-komdigi.example.org"


@pytest.mark.parametrize("code", ["81", "82", "91", "92", "93", "94", "95", "96"])
def test_eastern_provinces_are_wit(institutions, code):
    assert by_region(institutions, code)["timezone"] == "Asia/Jayapura"


def test_time_zones_of_regions(institutions):
    assert by_region(institutions, "51")["timezone"] == "Asia/Makassar"  # Bali
    assert by_region(institutions, "5171")["timezone"] == "Asia/Makassar"  # Kota Denpasar
    assert by_region(institutions, "31")["timezone"] == "Asia/Jakarta"  # DKI Jakarta
    assert by_region(institutions, "9171")["timezone"] == "Asia/Jayapura"  # Kota Jayapura


def test_demo_accounts_take_the_shapes_of_real_registries(institutions, accounts):
    for account in accounts:
        assert "demo" in account["handle"]
        assert account["is_demo"] is True
        assert account["platform_account_id"].isdigit()
    today = accounts_on(accounts, DAY)
    by_institution: dict[str, list[str]] = {}
    for account in today:
        for institution_id in account["institution_ids"]:
            by_institution.setdefault(institution_id, []).append(account["platform"])
    current = {i["institution_id"] for i in valid_on(institutions, DAY)}
    without_any = current - set(by_institution)
    assert 5 <= len(without_any) <= 30  # institutions with no account at all
    assert (
        sum(set(p) != set(platforms.names()) for p in by_institution.values()) > 100
    )  # missing some platform
    assert sum(len(p) > len(set(p)) for p in by_institution.values()) > 100  # two accounts on one platform
    shared = [a for a in today if len(a["institution_ids"]) > 1]
    assert {a["account_id"] for a in shared} >= {"demo-kem-dikbudristek-youtube"}
    retired = {a["account_id"] for a in accounts} - {a["account_id"] for a in today}
    assert len(retired) > 20
    handles: dict[str, set[str]] = {}
    for account in accounts:
        handles.setdefault(account["account_id"], set()).add(account["handle"])
    renamed = [account_id for account_id, names in handles.items() if len(names) > 1]
    assert len(renamed) > 20


def test_a_split_ministry_hands_its_accounts_to_its_successors(accounts):
    rows = [a for a in accounts if a["account_id"] == "demo-kem-dikbudristek-youtube"]
    assert {(a["institution_id"], a["valid_from"], a["valid_to"]) for a in rows} == {
        ("kem-dikbudristek", date(2022, 1, 1), date(2024, 10, 20)),
        ("kem-dikdasmen", CABINET_BEGINS, None),
        ("kem-diktisaintek", CABINET_BEGINS, None),
        ("kem-bud", CABINET_BEGINS, None),
    }
    instagram = [a for a in accounts if a["account_id"] == "demo-kem-dikbudristek-instagram"]
    assert [(a["institution_id"], a["handle"]) for a in instagram] == [
        ("kem-dikdasmen", "demo_kemdikdasmen_ig"),
        ("kem-dikbudristek", "demo_kemdikbudristek_ig"),
    ]


def test_one_handle_names_one_account_on_any_day(accounts):
    for day in (date(2023, 1, 1), CABINET_BEGINS, DAY):
        today = accounts_on(accounts, day)
        assert len({(a["platform"], a["handle"]) for a in today}) == len(today)


def test_shipped_accounts_are_the_generated_ones(institutions, accounts, tmp_path):
    generated = generate_demo_accounts(institutions)
    assert accounts == generated
    for account in generated:
        assert tuple(account) == ACCOUNT_COLUMNS
    # Byte for byte too: a regenerated file gives an empty diff in review.
    write_accounts_csv(generated, tmp_path / "accounts.csv")
    assert (tmp_path / "accounts.csv").read_bytes() == (SHIPPED / "accounts.csv").read_bytes()


def test_demo_accounts_are_the_same_in_another_process(institutions):
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from kinerja.registry.load import read_institutions\n"
        "from kinerja.registry.demo import generate_demo_accounts\n"
        "rows = generate_demo_accounts(read_institutions(Path(sys.argv[1])))\n"
        "print(json.dumps(rows, default=str))\n"
    )
    plugins = str(Path(config.PROJECT_ROOT) / "plugins")
    # Another hash seed: the output must not depend on Python's per-process hash().
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": plugins}
    result = subprocess.run(
        [sys.executable, "-c", code, str(SHIPPED)], env=env, capture_output=True, text=True, check=True
    )
    here = json.loads(json.dumps(generate_demo_accounts(institutions), default=str))
    assert json.loads(result.stdout) == here


def test_small_registry():
    institutions = read_institutions(SMALL)
    accounts = read_accounts(SMALL, institution_ids={i["institution_id"] for i in institutions})
    assert registry_counts(institutions, accounts, on=DAY) == {
        "kementerian": 2,
        "lembaga": 1,
        "provinsi": 1,
        "kabupaten": 8,
        "kota": 1,
        "accounts": 65,
    }
    assert {i["timezone"] for i in institutions if i["province_code"]} == {"Asia/Makassar"}


# --- errors name the file, the line and the column -------------------------------


def small_copy(tmp_path: Path) -> Path:
    target = tmp_path / "registry"
    shutil.copytree(SMALL, target)
    return target


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_error(error: pytest.ExceptionInfo, path: Path, line: int, column: str) -> None:
    assert error.value.path == path
    assert error.value.line == line
    assert error.value.column == column
    message = str(error.value)
    assert str(path) in message and f"line {line}" in message and repr(column) in message


def test_bad_date(tmp_path):
    registry = small_copy(tmp_path)
    accounts = registry / "accounts.csv"
    lines = accounts.read_text().splitlines()
    lines[3] = lines[3].replace("2022-01-01", "2022-13-01")  # line 4 of the file
    accounts.write_text("\n".join(lines) + "\n")
    with pytest.raises(RegistryError) as error:
        read_accounts(registry)
    assert_error(error, accounts, 4, "valid_from")
    assert "2022-13-01" in str(error.value)


def test_date_in_another_format(tmp_path):
    registry = small_copy(tmp_path)
    accounts = registry / "accounts.csv"
    replace_in(accounts, "2022-01-01,,true", "01/01/2022,,true")
    with pytest.raises(RegistryError) as error:
        read_accounts(registry)
    assert_error(error, accounts, 2, "valid_from")


def test_unknown_platform(tmp_path):
    registry = small_copy(tmp_path)
    accounts = registry / "accounts.csv"
    replace_in(accounts, "demo-prov-51-facebook,prov-51,facebook,", "demo-prov-51-facebook,prov-51,threads,")
    with pytest.raises(RegistryError) as error:
        read_accounts(registry)
    assert_error(error, accounts, 3, "platform")
    assert "threads" in str(error.value)


def test_account_of_unknown_institution(tmp_path):
    registry = small_copy(tmp_path)
    accounts = registry / "accounts.csv"
    replace_in(accounts, "demo-prov-51-x,prov-51,", "demo-prov-51-x,prov-99,")
    ids = {i["institution_id"] for i in read_institutions(registry)}
    with pytest.raises(RegistryError) as error:
        read_accounts(registry, institution_ids=ids)
    assert_error(error, accounts, 4, "institution_id")


def test_duplicate_account_id(tmp_path):
    registry = small_copy(tmp_path)
    accounts = registry / "accounts.csv"
    with accounts.open("a") as handle:
        handle.write("demo-prov-51-x,prov-51,x,another_handle,,,2022-01-01,,true\n")
    with pytest.raises(RegistryError) as error:
        read_accounts(registry)
    # the same account and institution twice in one period: the period is what to fix
    assert_error(error, accounts, 67, "valid_from")
    assert "line 4" in error.value.message  # where the first one is


def test_unknown_peer_group(tmp_path):
    registry = small_copy(tmp_path)
    central = registry / "central_institutions.csv"
    replace_in(central, ",lembaga,", ",badan,")
    with pytest.raises(RegistryError) as error:
        read_institutions(registry)
    assert_error(error, central, 4, "peer_group")


def test_unknown_jenis(tmp_path):
    registry = small_copy(tmp_path)
    regions = registry / "regions_kepmendagri2025.csv"
    replace_in(regions, ",2,Kota,Kota Denpasar,", ",2,Kotamadya,Kota Denpasar,")
    with pytest.raises(RegistryError) as error:
        read_institutions(registry)
    assert_error(error, regions, 11, "jenis")


def test_missing_column(tmp_path):
    registry = small_copy(tmp_path)
    accounts = registry / "accounts.csv"
    replace_in(accounts, ",is_demo\n", ",demo\n")
    with pytest.raises(RegistryError) as error:
        read_accounts(registry)
    assert_error(error, accounts, 1, "is_demo")
