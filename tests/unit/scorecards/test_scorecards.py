"""Unit tests of the scorecards: what an institution's scorecard, a province report and the
national summary say, in Bahasa Indonesia and English, rendered from an issue (no database)."""

from __future__ import annotations

import base64
import dataclasses
import html as html_lib
import re
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kinerja.scorecards import document
from kinerja.scorecards.locale import Formatter
from kinerja.scorecards.render import html_to_pdf, render_issue
from scorecard_issues import national_issue, score_row


def text_of(html: str) -> str:
    """The page's visible text on one line: tags dropped, entities decoded, spaces collapsed."""
    body = html[html.index("<body>") :]
    body = re.sub(r"<svg.*?</svg>", " ", body, flags=re.DOTALL)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The whole issue rendered as HTML, in Bahasa Indonesia and in English."""
    out = tmp_path_factory.mktemp("scorecards")
    render_issue(national_issue(), out, formats=("html",))
    render_issue(national_issue(), out, lang="en", formats=("html",))
    return out / "2026-10"


def pdf_text(pdf: bytes) -> str:
    """The PDF's objects with every compressed stream inflated, as text."""
    parts = [pdf.decode("latin-1")]
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.DOTALL):
        try:
            parts.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            continue
    return "\n".join(parts)


def page(folder: Path, name: str) -> str:
    return text_of((folder / name).read_text(encoding="utf-8"))


def test_every_institution_gets_a_scorecard_and_every_province_a_report(written):
    cards = sorted(p.stem for p in (written / "institusi").glob("*.html"))
    assert cards == sorted(row["institution_id"] for row in national_issue().rows)
    assert (written / "provinsi-51.html").exists() and (written / "index.html").exists()
    assert sorted(p.stem for p in (written / "en" / "institusi").glob("*.html")) == cards


def test_a_province_scorecard_shows_rank_movement_values_and_advice_in_bahasa(written):
    text = page(written, "institusi/prov-51.html")
    assert "Provinsi Bali" in text and "Periode: Oktober 2026" in text
    assert "75,3" in text  # 75,25 rounded half up, with a decimal comma
    assert "peringkat 3 dari 38 provinsi" in text and "peringkat 7 dari 40 institusi" in text
    assert "▲ naik 2" in text and "3–4" in text and "B (Baik)" in text
    # reach 40 and responsiveness 50 against the provinces' median 70: the weakest first
    html = (written / "institusi" / "prov-51.html").read_text(encoding="utf-8")
    advice = [
        text_of("<body>" + item).strip()
        for item in re.findall(r"<li>(.*?)</li>", html.split('class="recommendations"')[1].split("</ol>")[0])
    ]
    assert advice[0].startswith("Jangkauan 40,0, median provinsi 70,0.")
    assert advice[1].startswith("Responsivitas 50,0, median provinsi 70,0.")
    assert len(advice) == 2  # activity 90 and engagement 70 are not weak
    # the issue's time in the province's own zone (01:00 UTC is 09.00 WITA), never the render time
    assert "diterbitkan 4 November 2026, 09.00 WITA" in text and "Terbitan ke-1" in text
    assert "Metodologi versi ikms-v1" in text


def test_components_are_shown_against_the_peer_median_and_best(written):
    html = (written / "institusi" / "prov-51.html").read_text(encoding="utf-8")
    rows = re.findall(
        r'<td>(\w+)</td><td class="num own">([\d,]+)</td><td class="num median">([\d,]+)</td>'
        r'<td class="num best">([\d,]+)</td>',
        html,
    )
    assert rows == [
        ("Aktivitas", "90,0", "80,0", "90,0"),
        ("Jangkauan", "40,0", "70,0", "80,0"),
        ("Keterlibatan", "70,0", "70,0", "80,0"),
        ("Responsivitas", "50,0", "70,0", "80,0"),
    ]
    charts = re.findall(r'<img class="chart" alt="([^"]+)" src="data:image/svg\+xml;base64,([^"]+)">', html)
    assert [alt for alt, _ in charts] == ["Komponen dibanding kelompok sejenis", "Tren 12 bulan"]
    components_svg = base64.b64decode(charts[0][1]).decode()
    assert components_svg.count("<text") > 4 and "Jangkauan" in components_svg and "40,0" in components_svg


def test_per_platform_table_best_posts_crisis_and_coverage(written):
    text = page(written, "institusi/prov-51.html")
    assert "Instagram 1 123.456 +3.456 13,6 812,5 43,2% 2,5 jam 100,0%" in text
    assert "X 1 990 -10 2,3 4,0 – – 50,0%" in text  # X gives no replies: a dash, not 0
    assert "Instagram @bali_prov, 12 Oktober 2026 (reel): 15.234 interaksi, 201.000 tayangan" in text
    assert (
        "20 Oktober 2026 · Instagram @bali_prov: lonjakan komentar, lonjakan reaksi marah (waspada)" in text
    )
    assert "Tanpa data cukup (di bawah 80% hari): X @bali_prov_x (50%)" in text


def test_no_advice_when_nothing_is_weak(written):
    text = page(written, "institusi/kab-5108.html")
    assert "100,0" in text and "peringkat 1 dari 2 kabupaten" in text and "tetap" in text
    assert "Tidak ada komponen yang lemah dibanding kelompok sejenis" in text
    assert "Tingkatkan" not in text and "median kabupaten" not in text


def test_an_institution_without_enough_data_is_told_so_and_what_to_send(written):
    text = page(written, "institusi/kab-5201.html")
    assert "Data tidak cukup." in text and "tidak diperingkat (bukan diberi peringkat terakhir)" in text
    assert "Yang perlu dikirim: data harian setiap akun resmi" in text
    html = (written / "institusi" / "kab-5201.html").read_text(encoding="utf-8")
    # no rank, no grade, no components, no advice: only what is known and what to send
    for absent in ('class="value rank-peer"', 'class="value grade"', 'class="components"', "Rekomendasi"):
        assert absent not in html


def test_a_central_institution_gets_its_scorecard_in_wib(written):
    text = page(written, "institusi/kem-komdigi.html")
    assert "Kementerian Komunikasi dan Digital" in text and "Kementerian" in text
    assert "peringkat 2 dari 3 kementerian" in text and "▼ turun 3" in text
    assert "diterbitkan 4 November 2026, 08.00 WIB" in text
    # reach 50 against the ministries' median 60; responsiveness 76 is above its median 70
    assert (
        "Jangkauan 50,0, median kementerian 60,0." in text
        and "Responsivitas 76" not in text.split("Rekomendasi")[1]
    )
    agency = page(written, "institusi/lem-bps.html")
    assert "Data tidak cukup." in agency and "Instagram @bps_statistics (0%)" in agency


def test_the_english_version(written):
    text = page(written, "en/institusi/prov-51.html")
    assert "Social Media Performance Scorecard" in text and "Period: October 2026" in text
    assert "75.3" in text and "rank 3 of 38 provinces" in text and "▲ up 2" in text
    assert "Reach 40.0, provinces median 70.0." in text
    assert "issued 4 November 2026, 09:00 WITA" in text
    assert "Instagram 1 123,456 +3,456 13.6 812.5 43.2% 2.5 h 100.0%" in text
    assert "Grade B (Good)" in text
    assert "Oktober" not in text and "peringkat" not in text and "Baik" not in text
    html = (written / "en" / "institusi" / "prov-51.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html


def test_an_issue_frozen_without_english_labels_shows_the_grade_alone_in_english(tmp_path):
    issue = national_issue()
    for row in issue.rows:
        row.pop("grade_label_en")
    render_issue(issue, tmp_path, lang="en", formats=("html",), institution="prov-51")
    text = page(tmp_path / "2026-10" / "en", "institusi/prov-51.html")
    assert "Grade B Rank" in text and "Baik" not in text


def test_province_report_ranks_all_its_kabupaten_and_kota_with_the_insufficient_last(written):
    html = (written / "provinsi-51.html").read_text(encoding="utf-8")
    names = re.findall(r'<td class="name"><a href="institusi/([\w-]+)\.html">', html)
    assert names == ["kab-5108", "kota-5171", "kab-5103"]
    text = page(written, "provinsi-51.html")
    assert "3 dari 3 dengan data cukup" in text and "Median IKMS" in text
    lombok = (written / "provinsi-52.html").read_text(encoding="utf-8")
    assert "0 dari 1 dengan data cukup" in text_of(lombok) and 'class="insufficient"' in lombok
    # seven columns: nothing is left to overflow the page (the advice lives on each scorecard)
    header = html[html.index('<table class="members">') : html.index("</thead>")]
    assert len(re.findall(r"<th[ >]", header)) == 7


def test_national_summary_per_peer_group(written):
    text = page(written, "index.html")
    for line in (
        "Kementerian 3 3 66,6 Kementerian Dalam Negeri (70,0); Kementerian Komunikasi dan Digital (66,6);",
        "Lembaga 1 0 –",
        "Provinsi 3 3 75,3 Provinsi Nusa Tenggara Barat (80,0); Provinsi Bali (75,3);",
    ):
        assert line in text


def test_a_reissue_changes_the_output_and_says_what_changed(tmp_path):
    first = tmp_path / "first"
    render_issue(national_issue(), first, institution="prov-51", formats=("html", "pdf"))
    change = {
        "institution_id": "prov-51",
        "institution_name": "Provinsi Bali",
        "field": "ikms",
        "before": 75.25,
        "after": 77.5,
    }
    reissue = national_issue(2, datetime(2026, 12, 2, 1, 0, tzinfo=UTC), bali_ikms=77.5, changes=[change])
    second = tmp_path / "second"
    render_issue(reissue, second, institution="prov-51", formats=("html", "pdf"))
    for suffix in ("html", "pdf"):
        before = (first / "2026-10" / "institusi" / f"prov-51.{suffix}").read_bytes()
        assert before != (second / "2026-10" / "institusi" / f"prov-51.{suffix}").read_bytes()
    text = page(second / "2026-10", "institusi/prov-51.html")
    assert "Terbitan ke-2" in text and "Terbitan ulang: data direvisi" in text
    assert "Provinsi Bali: IKMS 75,2 → 77,5" in text or "Provinsi Bali: IKMS 75,3 → 77,5" in text


def test_rendering_is_deterministic_in_one_process(tmp_path):
    for name in ("a", "b"):
        render_issue(national_issue(), tmp_path / name, institution="kem-komdigi")
    for suffix in ("html", "pdf"):
        a = (tmp_path / "a" / "2026-10" / "institusi" / f"kem-komdigi.{suffix}").read_bytes()
        assert a == (tmp_path / "b" / "2026-10" / "institusi" / f"kem-komdigi.{suffix}").read_bytes()
    pdf = (tmp_path / "a" / "2026-10" / "institusi" / "kem-komdigi.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and "D:20261104010000" in pdf_text(pdf)  # the issue's time, not now


def test_names_are_escaped_and_pages_call_nowhere(tmp_path):
    issue = national_issue()
    rows = [
        dict(r, institution_name="Kabupaten <script>alert(1)</script>")
        if r["institution_id"] == "kab-5103"
        else r
        for r in issue.rows
    ]
    render_issue(dataclasses.replace(issue, rows=rows), tmp_path, province="51", formats=("html",))
    for path in (tmp_path / "2026-10").rglob("*.html"):
        content = path.read_text(encoding="utf-8")
        assert "<script>" not in content and not re.search(r"https?://", content), path.name


def _overflowing_boxes(html: str) -> list[str]:
    """Boxes of the laid-out PDF pages that reach past the page's content area."""
    from weasyprint import HTML

    found = []
    for laid_out in HTML(string=html).render().pages:
        page_box = laid_out._page_box
        right = page_box.margin_width() - page_box.margin_right
        stack = [page_box]
        while stack:
            box = stack.pop()
            stack.extend(getattr(box, "children", []))
            if getattr(box, "width", None) is None or box.element_tag in (None, "html", "body"):
                continue
            if type(box).__name__.startswith("Margin"):
                continue
            if box.position_x + box.margin_width() > right + 0.5:
                found.append(
                    f"<{box.element_tag}> ends at {box.position_x + box.margin_width():.0f} > {right:.0f}"
                )
    return found


def test_nothing_is_cut_off_on_a4(tmp_path):
    """A province with 40 kabupaten/kota of long names, and a scorecard with five platforms."""
    issue = national_issue()
    members = [
        score_row(
            f"kab-51{n:02d}",
            f"Kabupaten Kepulauan Sangihe Talaud Selatan Nomor {n}",
            "kabupaten",
            "51",
            "Bali",
            ikms=30 + n,
            rank=41 - n,
            size=40,
            rank_national=300 + n,
            national_size=514,
            movement=n % 3 - 1,
        )
        for n in range(40)
    ]
    details = issue.details["prov-51"]
    details = dict(
        details,
        platforms=[
            dict(details["platforms"][0], platform=p)
            for p in ("instagram", "facebook", "x", "youtube", "tiktok")
        ],
    )
    issue = dataclasses.replace(
        issue, rows=issue.rows + members, details=dict(issue.details, **{"prov-51": details})
    )
    render_issue(issue, tmp_path, province="51", formats=("html",))
    for name in ("provinsi-51.html", "institusi/prov-51.html"):
        assert _overflowing_boxes((tmp_path / "2026-10" / name).read_text(encoding="utf-8")) == [], name


def test_pdf_of_a_page_is_a4_portrait_with_page_numbers(written):
    from weasyprint import HTML

    html = (written / "provinsi-51.html").read_text(encoding="utf-8")
    document_ = HTML(string=html).render()
    width, height = document_.pages[0].width, document_.pages[0].height
    assert (round(width * 25.4 / 96), round(height * 25.4 / 96)) == (210, 297)
    assert b"%PDF" in html_to_pdf(html)[:8]


def test_formatter_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="language 'fr' is not offered: choose one of id, en"):
        Formatter("fr")


def test_recommendations_follow_the_weak_margin():
    fmt = Formatter("id")
    row = score_row("x", "X", "kota", ikms=60, rank=1, size=2, components=(66, 66, 66, 56))
    stats = document.peer_stats(
        [row, score_row("y", "Y", "kota", ikms=70, rank=1, size=2, components=(70, 70, 70, 70))]
    )
    # medians are 68: activity, reach and engagement lie 2 below (not weak), responsiveness 12 below
    assert [r.split(",")[0] for r in document.recommendations(row, stats["kota"], fmt)] == [
        "Responsivitas 56"
    ]


def _trend_svg(html: str) -> str:
    charts = re.findall(r'<img class="chart" alt="([^"]+)" src="data:image/svg\+xml;base64,([^"]+)">', html)
    return next(
        base64.b64decode(data).decode() for alt, data in charts if alt in ("Tren 12 bulan", "12-month trend")
    )


def test_the_trend_marks_a_metric_definition_break(tmp_path):
    issue = national_issue()
    comparable = dict(issue.details["prov-51"])
    comparable["trend"] = [dict(point, is_movement_comparable=True) for point in comparable["trend"]]
    render_issue(issue, tmp_path / "break", institution="prov-51", formats=("html",))
    smooth = dataclasses.replace(issue, details=dict(issue.details, **{"prov-51": comparable}))
    render_issue(smooth, tmp_path / "smooth", institution="prov-51", formats=("html",))
    with_break = _trend_svg((tmp_path / "break" / "2026-10" / "institusi" / "prov-51.html").read_text())
    without = _trend_svg((tmp_path / "smooth" / "2026-10" / "institusi" / "prov-51.html").read_text())
    assert "stroke-dasharray" in with_break and "stroke-dasharray" not in without
    assert "Jan 26" in with_break and "Okt 26" in with_break


def test_an_issue_without_frozen_details_says_so(tmp_path):
    issue = dataclasses.replace(national_issue(), details={})
    render_issue(issue, tmp_path, institution="kab-5108", formats=("html",))
    text = page(tmp_path / "2026-10", "institusi/kab-5108.html")
    assert "Rincian per platform tidak dibekukan untuk terbitan ini." in text
    assert "peringkat 1 dari 2 kabupaten" in text and "diterbitkan 4 November 2026, 08.00 WIB" in text
