"""Unit tests of the monthly province scorecards (no database)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kinerja.scorecards.charts import ikms_bar_chart_svg
from kinerja.scorecards.render import (
    NoScoresError,
    advice_for,
    fetch_month_rows,
    render_month,
    render_province_pages,
)

OCTOBER = date(2026, 10, 1)
GENERATED_AT = datetime(2026, 11, 3, 8, 15, tzinfo=UTC)
SCRIPT_NAME = "Kabupaten <script>alert(1)</script>"


def score_row(
    institution_id,
    name,
    peer_group,
    province_code,
    province_name,
    ikms=None,
    rank=None,
    size=3,
    activity=50.0,
    reach=50.0,
    engagement=50.0,
    responsiveness=50.0,
    month=OCTOBER,
):
    """One row of reports.rpt_institution_scores_monthly; ineligible when ikms is None."""
    eligible = ikms is not None
    return {
        "month": month,
        "institution_id": institution_id,
        "institution_name": name,
        "peer_group": peer_group,
        "province_code": province_code,
        "province_name": province_name,
        "ikms": ikms,
        "rank_in_peer_group": rank,
        "peer_group_size": size,
        "is_eligible": eligible,
        "activity_score": activity if eligible else None,
        "reach_score": reach if eligible else None,
        "engagement_score": engagement if eligible else None,
        "responsiveness_score": responsiveness if eligible else None,
        "accounts": 4,
        "followers": 1234567,
        "posts": 120,
        "coverage": 0.8765,
        "methodology_version": "ikms-v1.0",
    }


@pytest.fixture
def rows():
    """Three provinces (one ineligible), their kabupaten/kota, and a ministry."""
    jabar = ("32", "Jawa Barat")
    return [
        score_row(
            "prov-32",
            "Pemerintah Provinsi Jawa Barat",
            "provinsi",
            *jabar,
            ikms=72.46,
            rank=2,
            responsiveness=64.25,
        ),
        score_row(
            "kab-3201",
            "Kabupaten Bogor",
            "kabupaten",
            *jabar,
            ikms=61.25,
            rank=2,
            activity=12.0,
            reach=70.0,
            engagement=65.0,
        ),
        score_row(
            "kota-3273",
            "Kota Bandung",
            "kota",
            *jabar,
            ikms=80.0,
            rank=1,
            size=2,
            activity=90.0,
            reach=85.0,
            engagement=30.0,
        ),
        score_row("kab-3299", SCRIPT_NAME, "kabupaten", *jabar, ikms=40.0, rank=3),
        # Alphabetically first, yet must come last: it has no score.
        score_row("kab-3298", "Kabupaten Aaa", "kabupaten", *jabar),
        score_row(
            "prov-31", "Pemerintah Provinsi DKI Jakarta", "provinsi", "31", "DKI Jakarta", ikms=90.0, rank=1
        ),
        score_row(
            "kota-3174", "Kota Jakarta Selatan", "kota", "31", "DKI Jakarta", ikms=70.0, rank=2, size=2
        ),
        score_row("prov-11", "Pemerintah Aceh", "provinsi", "11", "Aceh"),
        score_row("kab-1101", "Kabupaten Simeulue", "kabupaten", "11", "Aceh", ikms=20.0, rank=3),
        score_row("kem-01", "Kementerian Contoh", "kementerian", None, None, ikms=50.0, rank=1),
    ]


@pytest.fixture
def pages(rows, tmp_path):
    """Render the fixture rows; return the written paths."""
    return render_province_pages(rows, tmp_path, generated_at=GENERATED_AT)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def page(pages, name: str) -> str:
    return read(next(p for p in pages if p.name == name))


def member_rows(html: str) -> list[dict]:
    """The kabupaten/kota table rows as {cell class: text} dicts, in page order."""
    found = []
    for row_class, body in re.findall(r'<tr class="(ranked|insufficient)">(.*?)</tr>', html, re.DOTALL):
        cells = dict(re.findall(r'<td class="([^"]*)">(.*?)</td>', body, re.DOTALL))
        found.append({"row_class": row_class, **cells})
    return found


def test_one_page_per_province_with_index_last(pages, tmp_path):
    assert [p.name for p in pages] == [
        "provinsi-11-aceh.html",
        "provinsi-31-dki-jakarta.html",
        "provinsi-32-jawa-barat.html",
        "index.html",
    ]
    assert all(p.parent == tmp_path / "2026-10" and p.is_file() for p in pages)
    assert sorted(p.name for p in (tmp_path / "2026-10").iterdir()) == sorted(p.name for p in pages)


def test_one_folder_per_month(rows, tmp_path):
    november = [dict(row, month=date(2026, 11, 1)) for row in rows]
    written = render_province_pages(rows + november, tmp_path, generated_at=GENERATED_AT)
    assert [p.parent.name for p in written] == ["2026-10"] * 4 + ["2026-11"] * 4
    assert written[3].name == "index.html" and written[-1].name == "index.html"
    assert "November 2026" in read(written[-1])


def test_members_sorted_by_ikms_with_ineligible_last(pages):
    table = member_rows(page(pages, "provinsi-32-jawa-barat.html"))
    names = [row["name"] for row in table]
    assert names == [
        "Kota Bandung",
        "Kabupaten Bogor",
        "Kabupaten &lt;script&gt;alert(1)&lt;/script&gt;",
        "Kabupaten Aaa",
    ]
    last = table[-1]
    assert last["row_class"] == "insufficient"
    assert last["num ikms"] == "Data tidak cukup"
    assert "dari" not in last["rank"]  # never given a rank, let alone the last one
    assert "Pemerintah Provinsi Jawa Barat" not in names  # the province is the headline, not a row


def test_names_are_escaped(pages):
    for path in pages:
        assert "<script" not in read(path)
    html = page(pages, "provinsi-32-jawa-barat.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_rank_text_follows_the_given_ranks(pages):
    html = page(pages, "provinsi-32-jawa-barat.html")
    headline = html.split('id="kabkota"')[0]
    assert '<span class="label">Peringkat</span><span class="value">2 dari 3 provinsi</span>' in headline
    ranks = {row["name"]: row["rank"] for row in member_rows(html)}
    assert ranks["Kota Bandung"] == "1 dari 2 kota"
    assert ranks["Kabupaten Bogor"] == "2 dari 3 kabupaten"


def test_decimals_use_a_comma(pages):
    html = page(pages, "provinsi-32-jawa-barat.html")
    bogor = next(row for row in member_rows(html) if row["name"] == "Kabupaten Bogor")
    assert bogor["num ikms"] == "61,3"  # 61.25 rounded half up
    assert '<span class="value">72,5</span>' in html
    assert "87,7%" in html  # coverage 0.8765 as a percentage
    assert "1.234.567" in html  # followers, dots between thousands
    assert "61.3" not in html and "72.5" not in html


def test_indonesian_labels_month_and_footer(pages):
    html = page(pages, "provinsi-32-jawa-barat.html")
    for label in (
        "Kartu Skor Kinerja Media Sosial",
        "Peringkat",
        "Indeks (IKMS)",
        "Aktivitas",
        "Jangkauan",
        "Keterlibatan",
        "Responsivitas",
        "Bulan",
        "Oktober 2026",
    ):
        assert label in html
    footer = html.split("<footer>")[1]
    assert "ikms-v1.0" in footer and "3 November 2026, 08:15 UTC" in footer
    notes = html.split('id="catatan"')[1]
    assert "empat komponen: Aktivitas, Jangkauan, Keterlibatan dan Responsivitas" in notes


def test_headline_and_table_show_responsiveness(pages):
    html = page(pages, "provinsi-32-jawa-barat.html")
    headline = html.split('id="kabkota"')[0]
    assert '<span class="label">Responsivitas</span><span class="value">64,3</span>' in headline
    table = html.split('id="kabkota"')[1]
    headers = re.findall(r"<th[^>]*>(.*?)</th>", table)
    assert headers.index("Responsivitas") == headers.index("Keterlibatan") + 1
    cells = {row["name"]: row for row in member_rows(html)}
    assert cells["Kota Bandung"]["num responsiveness"] == "50,0"
    assert cells["Kabupaten Aaa"]["num responsiveness"] == "–"  # ineligible: no components


def test_advice_comes_from_the_weakest_component(pages):
    advice = {
        row["name"]: row["advice-cell"] for row in member_rows(page(pages, "provinsi-32-jawa-barat.html"))
    }
    assert advice["Kabupaten Bogor"].startswith("Tingkatkan frekuensi unggahan:")  # activity 12
    assert advice["Kota Bandung"].startswith("Tingkatkan keterlibatan:")  # engagement 30
    assert advice["Kabupaten Aaa"].startswith("Lengkapi data:")


def test_advice_skips_missing_components():
    row = score_row(
        "k",
        "K",
        "kabupaten",
        "32",
        "Jawa Barat",
        ikms=50.0,
        rank=1,
        activity=None,
        reach=40.0,
        engagement=45.0,
    )
    assert advice_for(row).startswith("Perluas jangkauan:")


def test_advice_picks_responsiveness_when_weakest_and_skips_it_when_missing(tmp_path):
    jabar = ("32", "Jawa Barat")
    slow = score_row(
        "kab-3201",
        "Kabupaten Lambat",
        "kabupaten",
        *jabar,
        ikms=60.0,
        rank=1,
        activity=70.0,
        reach=65.0,
        engagement=55.0,
        responsiveness=8.0,
    )
    unknown = score_row(
        "kab-3202",
        "Kabupaten Tanpa Balasan",
        "kabupaten",
        *jabar,
        ikms=55.0,
        rank=2,
        activity=70.0,
        reach=65.0,
        engagement=45.0,
        responsiveness=None,
    )
    assert advice_for(slow).startswith("Percepat balasan:")
    # None is "not measured", not 0: the weakest measured component wins.
    assert advice_for(unknown).startswith("Tingkatkan keterlibatan:")

    written = render_province_pages([slow, unknown], tmp_path, generated_at=GENERATED_AT)
    cells = {row["name"]: row for row in member_rows(page(written, "provinsi-32-jawa-barat.html"))}
    assert cells["Kabupaten Lambat"]["num responsiveness"] == "8,0"
    assert cells["Kabupaten Lambat"]["advice-cell"].startswith("Percepat balasan:")
    missing = cells["Kabupaten Tanpa Balasan"]
    assert missing["row_class"] == "ranked"
    assert missing["num responsiveness"] == "–"  # the same dash as any other missing component
    assert missing["num engagement"] == "45,0"
    assert missing["advice-cell"].startswith("Tingkatkan keterlibatan:")
    assert "Percepat balasan" not in missing["advice-cell"]


def test_chart_embedded_with_one_bar_per_eligible_row(pages):
    html = page(pages, "provinsi-32-jawa-barat.html")
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert len(re.findall(r'<g id="ikms-bar-\d+"', svg)) == 3  # 4 members, 1 ineligible
    assert "Data tidak cukup" in svg
    assert "<?xml" not in html and "<!DOCTYPE svg" not in html


def test_chart_svg_directly(rows):
    members = [r for r in rows if r["province_code"] == "32" and r["peer_group"] != "provinsi"]
    svg = ikms_bar_chart_svg(members)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert len(re.findall(r'<g id="ikms-bar-\d+"', svg)) == 3
    assert "80,0" in svg  # bar values use the comma too
    assert ikms_bar_chart_svg(members) == svg  # deterministic: same data, same bytes
    assert ikms_bar_chart_svg([]) == ""


def test_index_links_every_province_page(pages):
    index = read(pages[-1])
    links = re.findall(r'<a href="([^"]+)">', index)
    assert links == ["provinsi-31-dki-jakarta.html", "provinsi-32-jawa-barat.html", "provinsi-11-aceh.html"]
    assert set(links) == {p.name for p in pages[:-1]}
    assert "1 dari 3 provinsi" in index and "Data tidak cukup" in index


def test_pages_reference_no_url(pages):
    for path in pages:
        assert not re.search(r"https?://", read(path), re.IGNORECASE), path.name


class _FakeCursor:
    """Enough of a psycopg cursor to run fetch_month_rows without a server."""

    def __init__(self, result):
        self.result, self.executed = result, []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, query, params):
        self.executed.append((query, params))

    def fetchall(self):
        return self.result

    def fetchone(self):
        return self.result[0] if self.result else None


class _FakeConnection:
    def __init__(self, result, issue=(1, None, "terbitan pertama", [])):
        self.cursor_ = _FakeCursor(result)
        self.issue = issue

    def execute(self, query, params):
        assert "from publication.latest_issues where month = %s" in query
        return _FakeCursor([self.issue])

    def cursor(self, row_factory=None):
        assert row_factory is not None  # rows must come back as dicts
        return self.cursor_


def test_render_month_without_scores_says_what_to_do(tmp_path):
    conn = _FakeConnection([])
    with pytest.raises(NoScoresError, match=r"no issued scores for 2026-10: run the monthly DAG first"):
        render_month(conn, date(2026, 10, 15), tmp_path)
    query, params = conn.cursor_.executed[0]
    # the scorecards read what was issued (frozen), not the live report
    assert "from publication.latest_issues" in query and "jsonb_populate_record" in query
    assert "score.engagement_score, score.responsiveness_score," in query
    assert params == (OCTOBER,)


def test_fetched_decimals_become_floats():
    row = score_row("kab-3201", "Kabupaten Bogor", "kabupaten", "32", "Jawa Barat", ikms=61.25, rank=1)
    row = dict(row, ikms=Decimal("61.25"), responsiveness_score=Decimal("12.50"))
    (fetched,) = fetch_month_rows(_FakeConnection([row]), OCTOBER)
    assert fetched["responsiveness_score"] == 12.5 and isinstance(fetched["responsiveness_score"], float)
    assert isinstance(fetched["ikms"], float)


def test_render_month_renders_fetched_rows(rows, tmp_path):
    written = render_month(_FakeConnection(rows), OCTOBER, tmp_path)
    assert written[-1] == tmp_path / "2026-10" / "index.html"
    assert len(written) == 4
    assert "Terbitan ke-1" in written[-1].read_text()


def test_a_reissue_says_what_changed_on_the_pages_it_concerns(rows, tmp_path):
    change = {
        "institution_id": rows[0]["institution_id"],
        "institution_name": rows[0]["institution_name"],
        "field": "ikms",
        "before": 61.25,
        "after": 63.5,
    }
    issue = (
        2,
        datetime(2026, 11, 5, 1, 0, tzinfo=UTC),
        "data direvisi setelah batas data terbitan sebelumnya",
        [change],
    )
    written = render_month(_FakeConnection(rows, issue), OCTOBER, tmp_path)
    pages = {path.name: path.read_text() for path in written}
    expected = f"{rows[0]['institution_name']}: IKMS 61.25 → 63.5"
    assert "Terbitan ke-2 · batas data 5 November 2026, 01:00 UTC" in pages["index.html"]
    assert expected in pages["index.html"]
    concerned = [name for name, html in pages.items() if expected in html and name != "index.html"]
    assert len(concerned) == 1


def test_grade_movement_and_rank_range_are_shown_in_words(rows, tmp_path):
    from kinerja.scorecards.render import render_province_pages

    first = dict(
        rows[0],
        grade="B",
        grade_label="Baik",
        rank_movement=2,
        is_movement_comparable=True,
        rank_range_best=1,
        rank_range_worst=3,
    )
    second = dict(
        rows[1],
        grade="C",
        grade_label="Cukup",
        rank_movement=-1,
        is_movement_comparable=False,
        rank_range_best=4,
        rank_range_worst=4,
    )
    written = render_province_pages([first, second, *rows[2:]], tmp_path)
    html = next(path for path in written if "jawa-barat" in path.name).read_text()
    # the province (first) and Kabupaten Bogor (second) are both ranked on the Jawa Barat page
    assert "B (Baik)" in html and "▲ 2" in html and "1–3" in html
    assert "C (Cukup)" in html
    # a change of a metric's definition between the months makes the movement "not comparable"
    assert "tidak sebanding" in html and "▼ 1" not in html
