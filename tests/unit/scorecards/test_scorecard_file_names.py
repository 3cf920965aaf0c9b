"""Scorecard files are named by ids, so no name of the registry can break or redirect them."""

from __future__ import annotations

import dataclasses

from kinerja.scorecards.render import province_filename, render_issue
from scorecard_issues import national_issue

LONG_NAME = "Provinsi " + "Kepulauan Sangat Panjang Sekali " * 9  # about 300 characters


def test_a_province_with_a_300_character_name_gets_its_report(tmp_path):
    issue = national_issue()
    rows = [
        {**row, "province_name": LONG_NAME} if row.get("province_code") == "51" else row for row in issue.rows
    ]
    assert len(LONG_NAME) > 255
    written = render_issue(dataclasses.replace(issue, rows=rows), tmp_path, formats=("html",))
    folder = tmp_path / "2026-10"
    report = folder / "provinsi-51.html"
    assert report in written and LONG_NAME.strip() in report.read_text(encoding="utf-8")
    assert 'href="provinsi-51.html"' in (folder / "index.html").read_text(encoding="utf-8")


def test_a_file_name_is_its_slugged_code_and_never_a_path():
    assert province_filename("51") == "provinsi-51.html"
    assert province_filename("../../etc") == "provinsi-etc.html"
    assert province_filename("") == "provinsi-x.html"
