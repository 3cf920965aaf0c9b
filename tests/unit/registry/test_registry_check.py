"""check_registry: every problem of a registry change at once, each with file, line, column and hint.

Each bad case copies tests/fixtures/registry_small to tmp_path and changes one thing.
Line numbers are those of the CSV files (header = line 1). In the small accounts.csv
lines 2-6 are prov-51's instagram, facebook, x, youtube and tiktok accounts, lines 7-11
kab-5101's, lines 12-16 kab-5102's, lines 17-21 kab-5103's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kinerja import config
from kinerja.registry import Problem, RegistryError, check_registry, read_accounts
from kinerja.registry.load import load_registry

SHIPPED = Path(config.PROJECT_ROOT) / "plugins" / "kinerja" / "registry" / "data"
SMALL = Path(__file__).resolve().parents[2] / "fixtures" / "registry_small"

REGIONS = "regions_kepmendagri2025.csv"
CENTRAL = "central_institutions.csv"
ACCOUNTS = "accounts.csv"

# The line of prov-51's account on each platform in the small accounts.csv.
PROV51_LINE = {"instagram": 2, "facebook": 3, "x": 4, "youtube": 5, "tiktok": 6}


def small_copy(tmp_path: Path, *, all_regions: bool = False) -> Path:
    """A copy of the small registry; with every region of the shipped regions file if asked."""
    target = tmp_path / "registry"
    shutil.copytree(SMALL, target)
    if all_regions:
        shutil.copyfile(SHIPPED / REGIONS, target / REGIONS)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` with `new`, keeping the file's line endings (regions: CRLF)."""
    with path.open(newline="", encoding="utf-8") as handle:
        text = handle.read()
    assert old in text, old
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(text.replace(old, new, 1))


def append(path: Path, row: str) -> None:
    with path.open(newline="", encoding="utf-8") as handle:
        ending = "\r\n" if "\r\n" in handle.read() else "\n"
    with path.open("a", newline="", encoding="utf-8") as handle:
        handle.write(row + ending)


def only_problem(registry: Path) -> Problem:
    problems = check_registry(registry)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def assert_at(problem: Problem, path: str, line: int, column: str) -> None:
    assert (problem.path, problem.line, problem.column) == (path, line, column), str(problem)
    assert problem.message and problem.hint


# --- valid registries ------------------------------------------------------------------


def test_shipped_registry_has_no_problems():
    assert check_registry(SHIPPED) == []


def test_small_registry_has_no_problems():
    assert check_registry(SMALL) == []


def test_problem_reads_as_file_line_column_message_hint():
    problem = Problem(
        ACCOUNTS, 12, "platform", "'Youtube' is not a canonical platform name", "Did you mean 'youtube'?"
    )
    assert str(problem) == (
        "accounts.csv, line 12, column 'platform': 'Youtube' is not a canonical platform name. "
        "Did you mean 'youtube'?"
    )


# --- regions ---------------------------------------------------------------------------


def test_kabupaten_of_a_province_not_in_the_file(tmp_path):
    registry = small_copy(tmp_path)
    append(
        registry / REGIONS, "52.01,5201,2,Kabupaten,Kabupaten Lombok Barat,52,Nusa Tenggara Barat,1,1,2,1.5"
    )
    problem = only_problem(registry)
    assert_at(problem, REGIONS, 12, "kode_provinsi")
    assert "52 is not a province" in problem.message
    assert "Add the province (a level 1 row) 52 or correct kode_provinsi" in problem.hint


def test_code_that_does_not_start_with_its_province(tmp_path):
    registry = small_copy(tmp_path)
    append(registry / REGIONS, "52.01,5201,2,Kabupaten,Kabupaten Lombok Barat,51,Bali,1,1,2,1.5")
    problem = only_problem(registry)
    assert_at(problem, REGIONS, 12, "kode_compact")
    assert "'5201' does not start with its kode_provinsi 51" in problem.message
    assert "correct kode_compact or kode_provinsi" in problem.hint


def test_duplicate_region_code(tmp_path):
    registry = small_copy(tmp_path)
    append(registry / REGIONS, "51.71,5171,2,Kota,Kota Denpasar,51,Bali,1,1,2,1.5")
    problem = only_problem(registry)
    assert_at(problem, REGIONS, 12, "kode_compact")
    assert "first seen at line 11" in problem.message
    assert "remove this row" in problem.hint


def test_kabupaten_with_a_legacy_province_code(tmp_path):
    # BPS's Kabupaten Fakfak under 91, which was Papua Barat in the legacy list.
    registry = small_copy(tmp_path, all_regions=True)
    append(registry / REGIONS, "91.01,9101,2,Kabupaten,Kabupaten Fakfak,91,Papua Barat,1,1,2,1.5")
    problem = only_problem(registry)
    assert_at(problem, REGIONS, 554, "kode_provinsi")
    assert "legacy" in problem.message and "91 is Papua" in problem.message
    assert problem.hint.startswith("Use 92, the Kemendagri 2025 code of Papua Barat")


def test_province_row_with_a_legacy_code(tmp_path):
    registry = small_copy(tmp_path, all_regions=True)
    edit(
        registry / REGIONS, "91,91,1,Provinsi,Papua,91,Papua,", "91,91,1,Provinsi,Papua Barat,91,Papua Barat,"
    )
    problem = only_problem(registry)  # not also each kabupaten of Papua
    assert_at(problem, REGIONS, 506, "kode_compact")
    assert "Papua Barat is 92 in Kemendagri 2025" in problem.hint


def test_account_with_a_legacy_province_code(tmp_path):
    registry = small_copy(tmp_path, all_regions=True)
    edit(registry / ACCOUNTS, "demo-prov-51-x,prov-51,", "demo-prov-51-x,kab-9101,")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 4, "institution_id")
    assert "91 is Papua Barat in the legacy 34-province list" in problem.hint
    assert "Papua Barat is 92" in problem.hint


# --- central institutions --------------------------------------------------------------


def test_duplicate_institution_id(tmp_path):
    registry = small_copy(tmp_path)
    append(registry / CENTRAL, "kem-dagri,Kementerian Dalam Negeri,kementerian,,Perpres 139 Tahun 2024,,,")
    problem = only_problem(registry)
    # a second row of an institution is a version: it must not overlap the first
    assert_at(problem, CENTRAL, 5, "valid_from")
    assert "'kem-dagri' is already valid on some of these days (line 2)" in problem.message


def test_central_id_taken_by_a_region(tmp_path):
    registry = small_copy(tmp_path)
    append(registry / CENTRAL, "prov-51,Badan Daerah,lembaga,,UU 1 Tahun 2000,,,")
    problem = only_problem(registry)
    assert_at(problem, CENTRAL, 5, "institution_id")
    assert f"first seen at {REGIONS} line 2" in problem.message


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("badan", "Did you mean 'lembaga'?"),
        ("Lembaga", "Did you mean 'lembaga'?"),
        ("kementrian", "Did you mean 'kementerian'?"),
        ("provinsi", f"come from {REGIONS}"),
        ("ormas", "Use one of: kementerian, lembaga"),
    ],
)
def test_unknown_peer_group(tmp_path, value, hint):
    registry = small_copy(tmp_path)
    edit(registry / CENTRAL, ",lembaga,", f",{value},")
    problem = only_problem(registry)
    assert_at(problem, CENTRAL, 4, "peer_group")
    assert hint in problem.hint


# --- accounts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("Youtube", "youtube"),
        ("YT", "youtube"),
        ("Intagram", "instagram"),
        ("IG", "instagram"),
        ("FB", "facebook"),
        ("Twitter", "x"),
        ("X", "x"),
        (" x", "x"),
        ("x ", "x"),
        ("tik tok", "tiktok"),
        ("TikTok", "tiktok"),
    ],
)
def test_platform_that_is_not_canonical(tmp_path, value, canonical):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, f"prov-51,{canonical},", f"prov-51,{value},")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, PROV51_LINE[canonical], "platform")
    assert problem.message == f"{value!r} is not a canonical platform name"
    assert problem.hint == f"Did you mean {canonical!r}?"


def test_platform_is_never_fixed_silently(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "prov-51,youtube,", "prov-51,Youtube,")
    with pytest.raises(RegistryError) as error:
        read_accounts(registry)
    assert (error.value.line, error.value.column) == (5, "platform")


def test_unknown_platform_lists_the_canonical_names(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "prov-51,facebook,", "prov-51,qwertyuiop,")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 3, "platform")
    assert problem.hint == "Use one of: instagram, facebook, x, youtube, tiktok"


def test_duplicate_handle_ignores_case_and_at_sign(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, ",demo_kab5101_fb,", ",@Demo_Prov51_FB,")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 8, "handle")
    assert "on facebook, first seen at line 3" in problem.message
    assert "without case and without a leading '@'" in problem.hint


def test_same_handle_on_another_platform_is_fine(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, ",demo_kab5101_fb,", ",demo_prov51_ig,")
    assert check_registry(registry) == []


def test_duplicate_account_id(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "demo-kab-5101-facebook,", "demo-prov-51-facebook,")
    problem = only_problem(registry)
    # the same account under a second institution is a shared account, but one account
    # has one platform id: these are two accounts under one id
    assert_at(problem, ACCOUNTS, 8, "platform_account_id")
    assert "at line 3" in problem.message


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        ("01/01/2022", "is not a date as YYYY-MM-DD", "Write the date as YYYY-MM-DD"),
        ("2022-1-1", "is not a date as YYYY-MM-DD", "Write the date as YYYY-MM-DD"),
        ("20220101", "is not a date as YYYY-MM-DD", "Write the date as YYYY-MM-DD"),
        ("2022-13-01", "is not a real date", "Check the month and the day"),
        ("2023-02-29", "is not a real date", "Check the month and the day"),
    ],
)
def test_bad_date(tmp_path, value, message, hint):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "4521388957411885,,2022-01-01,", f"4521388957411885,,{value},")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 2, "valid_from")
    assert problem.message.startswith(f"{value!r} {message}")
    assert problem.hint.startswith(hint)


def test_valid_to_before_valid_from(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "4521388957411885,,2022-01-01,,", "4521388957411885,,2022-01-01,2021-12-31,")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 2, "valid_to")
    assert problem.message == "2021-12-31 is before valid_from 2022-01-01"
    assert "on or after valid_from" in problem.hint


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("demo-lem-bps-x,lem-bps,", "demo-lem-bps-x,lem-bsp,", "Did you mean 'lem-bps'?"),
        ("demo-kab-5101-x,kab-5101,", "demo-kab-5101-x,kota-5101,", "Did you mean 'kab-5101'?"),
        ("demo-kab-5101-x,kab-5101,", "demo-kab-5101-x,kab-5199,", f"Use the id of a region of {REGIONS}"),
    ],
)
def test_account_of_an_institution_that_does_not_exist(tmp_path, old, new, hint):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, old, new)
    problem = only_problem(registry)
    assert problem.path == ACCOUNTS and problem.column == "institution_id"
    assert problem.message.startswith("unknown institution")
    assert problem.hint.startswith(hint)


# --- missing fields, columns and files -------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "line", "column"),
    [
        (ACCOUNTS, ",demo_prov51_x,", ",,", 4, "handle"),
        (ACCOUNTS, "demo-prov-51-x,prov-51,", "demo-prov-51-x,,", 4, "institution_id"),
        (ACCOUNTS, "4521388957411885,,2022-01-01,", "4521388957411885,,,", 2, "valid_from"),
        (CENTRAL, "lem-bps,Badan Pusat Statistik,", "lem-bps,,", 4, "name"),
        (CENTRAL, ",UU 16 Tahun 1997", ",", 4, "source"),
        (REGIONS, ",Kabupaten Badung,", ",,", 5, "nama"),
    ],
)
def test_missing_required_field(tmp_path, file, old, new, line, column):
    registry = small_copy(tmp_path)
    edit(registry / file, old, new)
    problem = only_problem(registry)
    assert_at(problem, file, line, column)
    assert problem.message == "is empty"
    assert problem.hint == f"Fill in {column}: it is required"


def test_missing_column(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, ",is_demo\n", ",demo\n")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 1, "is_demo")
    assert "Rename 'demo' to 'is_demo'" in problem.hint


def test_missing_file(tmp_path):
    registry = small_copy(tmp_path)
    (registry / CENTRAL).unlink()
    problem = only_problem(registry)  # and not every account of a central institution
    assert (problem.path, problem.line, problem.message) == (CENTRAL, 0, "file not found")


def test_row_with_too_few_fields(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "demo_prov51_x,6765857331362517,,2022-01-01,,true", "demo_prov51_x,,2022-01-01")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 4, "valid_from")  # the first column without a field
    assert "fewer fields" in problem.message


# --- every problem at once -------------------------------------------------------------


def three_problems(tmp_path: Path) -> Path:
    registry = small_copy(tmp_path)
    accounts = registry / ACCOUNTS
    edit(accounts, "prov-51,youtube,", "prov-51,Youtube,")  # line 5
    edit(accounts, "6286882738008733,,2022-01-01,", "6286882738008733,,2022-02-30,")  # line 12
    edit(accounts, "demo-kab-5103-instagram,kab-5103,", "demo-kab-5103-instagram,kab-5199,")  # line 17
    return registry


def test_three_problems_in_one_file_come_in_one_call(tmp_path):
    problems = check_registry(three_problems(tmp_path))
    assert [(p.path, p.line, p.column) for p in problems] == [
        (ACCOUNTS, 5, "platform"),
        (ACCOUNTS, 12, "valid_from"),
        (ACCOUNTS, 17, "institution_id"),
    ]


def test_problems_come_in_file_then_line_order(tmp_path):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "prov-51,youtube,", "prov-51,Youtube,")
    edit(registry / CENTRAL, ",lembaga,", ",badan,")
    edit(registry / REGIONS, ",Kabupaten Badung,", ",,")
    problems = check_registry(registry)
    assert [(p.path, p.line) for p in problems] == [(REGIONS, 5), (CENTRAL, 4), (ACCOUNTS, 5)]


def test_registry_error_lists_every_problem(tmp_path):
    registry = three_problems(tmp_path)
    # The files are checked before the database is touched: no connection is needed.
    with pytest.raises(RegistryError) as error:
        load_registry(None, registry)
    assert (error.value.path, error.value.line, error.value.column) == (registry / ACCOUNTS, 5, "platform")
    assert error.value.message == "'Youtube' is not a canonical platform name"
    assert len(error.value.problems) == 3
    lines = str(error.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{registry / ACCOUNTS}, line ") for line in lines)
    assert lines[0].endswith("Did you mean 'youtube'?")


# --- history: periods, shared accounts, renames, splits ------------------------------------


def split_dagri(registry: Path) -> None:
    """kem-dagri (renamed kem-dagri-old) ends on 2026-10-20; a successor begins the next day."""
    edit(registry / CENTRAL, "Perpres 139 Tahun 2024,,,", "Perpres 139 Tahun 2024,,2026-10-20,")
    edit(registry / CENTRAL, "kem-dagri,", "kem-dagri-old,")
    append(
        registry / CENTRAL,
        "kem-dagri,Kementerian Dalam Negeri,kementerian,,Perpres 1 Tahun 2026,2026-10-21,,kem-dagri-old",
    )


def test_a_split_with_its_predecessor_ended_is_accepted(tmp_path):
    registry = small_copy(tmp_path)
    split_dagri(registry)
    accounts = registry / ACCOUNTS
    accounts.write_text(accounts.read_text().replace(",kem-dagri,", ",kem-dagri-old,"))
    problems = check_registry(registry)
    # the old ministry's accounts still run past its end: each is reported with what to do
    assert [(p.line, p.column) for p in problems] == [(line, "valid_to") for line in range(52, 57)]
    assert problems[0].message == "empty (still valid) is after institution 'kem-dagri-old' ends (2026-10-20)"
    assert all("End this row on 2026-10-20" in p.hint for p in problems)


def test_a_predecessor_still_valid_is_a_problem(tmp_path):
    registry = small_copy(tmp_path)
    append(
        registry / CENTRAL, "kem-baru,Kementerian Baru,kementerian,,Perpres 1 Tahun 2026,2026-10-21,,lem-bps"
    )
    problem = only_problem(registry)
    assert_at(problem, CENTRAL, 5, "predecessor_ids")
    assert problem.message == "'lem-bps' is still valid when this institution begins"


def test_an_unknown_predecessor_is_a_problem(tmp_path):
    registry = small_copy(tmp_path)
    append(
        registry / CENTRAL,
        "kem-baru,Kementerian Baru,kementerian,,Perpres 1 Tahun 2026,2026-10-21,,kem-entah",
    )
    problem = only_problem(registry)
    assert_at(problem, CENTRAL, 5, "predecessor_ids")
    assert "unknown institution 'kem-entah'" in problem.message


def test_an_account_before_its_institution_begins(tmp_path):
    registry = small_copy(tmp_path)
    append(registry / CENTRAL, "kem-baru,Kementerian Baru,kementerian,,Perpres 1 Tahun 2026,2026-10-21,,")
    append(registry / ACCOUNTS, "demo-kem-baru-x,kem-baru,x,kembaru,,,2026-01-01,,true")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 67, "valid_from")
    assert problem.message == "2026-01-01 is before institution 'kem-baru' begins (2026-10-21)"


def test_a_shared_account_and_a_renamed_handle_are_accepted(tmp_path):
    registry = small_copy(tmp_path)
    accounts = registry / ACCOUNTS
    # shared: the province's Instagram account is also listed under Kemendagri
    append(
        accounts,
        "demo-prov-51-instagram,kem-dagri,instagram,demo_prov51_ig,4521388957411885,,2023-01-01,,true",
    )
    # renamed: Kemenkomdigi's X handle changes on 2026-10-10; its old handle passes to a new account
    edit(accounts, "demo_kemkomdigi_x,", "demo_kemkomdigi_x,")
    lines = accounts.read_text().splitlines()
    x_row = next(line for line in lines if line.startswith("demo-kem-komdigi-x,"))
    renamed = x_row.replace(",2022-01-01,,", ",2026-10-10,,").replace("demo_kemkomdigi_x", "komdigi_x_baru")
    edit(accounts, x_row, x_row.replace(",2022-01-01,,", ",2022-01-01,2026-10-09,"))
    append(accounts, renamed)
    append(accounts, "demo-kem-komdigi-x-2,kem-komdigi,x,demo_kemkomdigi_x,,,2026-11-01,,true")
    assert check_registry(registry) == []


def test_a_handle_taken_by_two_accounts_at_once_is_a_problem(tmp_path):
    registry = small_copy(tmp_path)
    append(registry / ACCOUNTS, "demo-kem-komdigi-x-2,kem-komdigi,x,@Demo_KemKomdigi_X,,,2026-11-01,,true")
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, 67, "handle")
    assert "duplicate handle '@Demo_KemKomdigi_X' on x" in problem.message


# --- hints that fit the mistake ---------------------------------------------------------------


def test_an_exact_duplicate_row_is_to_be_deleted_not_ended(tmp_path):
    registry = small_copy(tmp_path)
    lines = (registry / ACCOUNTS).read_text(encoding="utf-8").splitlines()
    append(registry / ACCOUNTS, lines[1])
    problem = only_problem(registry)
    assert_at(problem, ACCOUNTS, len(lines) + 1, "valid_from")
    assert problem.message == "the row repeats line 2 exactly"
    assert problem.hint.startswith("Delete the duplicate row") and "End the earlier row" not in problem.hint


def test_an_overlapping_row_that_differs_is_still_to_be_ended(tmp_path):
    registry = small_copy(tmp_path)
    lines = (registry / ACCOUNTS).read_text(encoding="utf-8").splitlines()
    assert ",,2022-01-01," in lines[1]
    append(
        registry / ACCOUNTS, lines[1].replace(",,2022-01-01,", ",2023-05-01,2022-01-01,")
    )  # verified later
    problem = only_problem(registry)
    assert "already valid" in problem.message and "End the earlier row" in problem.hint


@pytest.mark.parametrize("value", ["LinkedIn", "Flickr", "threads", "Telegram"])
def test_a_platform_kinerja_does_not_cover_is_named_so(tmp_path, value):
    registry = small_copy(tmp_path)
    edit(registry / ACCOUNTS, "prov-51,youtube,", f"prov-51,{value},")
    problem = only_problem(registry)
    assert problem.message == f"{value!r} is a platform not covered by Kinerja"
    assert "leave this account out of the registry" in problem.hint and "Did you mean" not in problem.hint


@pytest.mark.parametrize(
    "handle", ["Diskominfo Bali", "https://instagram.com/bali", "<script>x</script>", "bali😀"]
)
def test_a_handle_no_platform_allows_is_refused(tmp_path, handle):
    registry = small_copy(tmp_path)
    text = (registry / ACCOUNTS).read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if ",prov-51,youtube," in line)
    account_id, institution, platform, _handle, *rest = old.split(",")
    edit(registry / ACCOUNTS, old, ",".join([account_id, institution, platform, f'"{handle}"', *rest]))
    problem = only_problem(registry)
    assert problem.column == "handle" and problem.message == f"{handle!r} is no handle any platform allows"


# --- comparison groups (optional comparison_groups.csv) -------------------------------

GROUPS = "comparison_groups.csv"
GROUPS_HEADER = "group_id,group_name,institution_id,valid_from,valid_to"


def with_groups(tmp_path: Path, *rows: str) -> Path:
    registry = small_copy(tmp_path)
    (registry / GROUPS).write_text("\n".join((GROUPS_HEADER, *rows)) + "\n", encoding="utf-8")
    return registry


def test_comparison_groups_with_validity_dates_are_accepted(tmp_path):
    registry = with_groups(
        tmp_path,
        "bali-selatan,Bali selatan,kab-5103,2025-01-01,",
        "bali-selatan,Bali selatan,kota-5171,,2025-12-31",
    )
    assert check_registry(registry) == []


def test_comparison_group_of_an_unknown_institution(tmp_path):
    problem = only_problem(with_groups(tmp_path, "bali-selatan,Bali selatan,kab-6101,,"))
    assert_at(problem, GROUPS, 2, "institution_id")
    assert "unknown institution 'kab-6101'" in problem.message


def test_comparison_group_named_like_a_peer_group_or_named_twice(tmp_path):
    registry = with_groups(
        tmp_path,
        "kabupaten,Kabupaten,kab-5103,,",
        "bali-selatan,Bali selatan,kab-5103,,",
        "bali-selatan,Bali Selatan Raya,kota-5171,,",
    )
    problems = check_registry(registry)
    assert [(p.path, p.line, p.column) for p in problems] == [
        (GROUPS, 2, "group_id"),
        (GROUPS, 4, "group_name"),
    ]
    assert "is a peer group" in problems[0].message


def test_comparison_group_membership_overlapping_itself(tmp_path):
    problem = only_problem(
        with_groups(
            tmp_path,
            "bali-selatan,Bali selatan,kab-5103,2024-01-01,",
            "bali-selatan,Bali selatan,kab-5103,2025-01-01,",
        )
    )
    assert_at(problem, GROUPS, 3, "valid_from")
