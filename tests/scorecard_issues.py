"""Builds IssuedMonth objects for the scorecard tests: a small national picture, no database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from kinerja.publish.issues import FIRST_ISSUE_REASON, RESTATED_REASON
from kinerja.scorecards.issue import IssuedMonth

OCTOBER = date(2026, 10, 1)
ISSUED_AT = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
CUT_OFF = datetime(2026, 11, 3, 23, 30, tzinfo=UTC)


def score_row(
    institution_id,
    name,
    peer_group,
    province_code=None,
    province_name=None,
    *,
    ikms=None,
    rank=None,
    size=None,
    rank_national=None,
    national_size=40,
    movement=None,
    components=(60, 60, 60, 60),
    coverage=0.95,
    grade=("B", "Baik", "Good"),
    comparable=True,
):
    """One issued row of reports.rpt_institution_scores_monthly; ineligible when ikms is None."""
    eligible = ikms is not None
    activity, reach, engagement, responsiveness = components if eligible else (None,) * 4
    return {
        "month": OCTOBER,
        "institution_id": institution_id,
        "institution_name": name,
        "peer_group": peer_group,
        "province_code": province_code,
        "province_name": province_name,
        "ikms": ikms,
        "rank_in_peer_group": rank,
        "peer_group_size": size,
        "rank_national": rank_national,
        "national_size": national_size,
        "is_eligible": eligible,
        "grade": grade[0] if eligible else None,
        "grade_label": grade[1] if eligible else None,
        "grade_label_en": grade[2] if eligible else None,
        "previous_rank_in_peer_group": None if movement is None or rank is None else rank + movement,
        "rank_movement": movement,
        "is_movement_comparable": comparable,
        "rank_range_best": rank,
        "rank_range_worst": None if rank is None else rank + 1,
        "activity_score": activity,
        "reach_score": reach,
        "engagement_score": engagement,
        "responsiveness_score": responsiveness,
        "accounts": 5 if eligible else 2,
        "followers": 123456,
        "posts": 120,
        "coverage": coverage if eligible else 0.1,
        "methodology_version": "ikms-v1",
    }


def details(timezone="Asia/Makassar", accounts=(("instagram", "bali_prov"), ("x", "bali_prov_x")), trend=()):
    return {
        "timezone": timezone,
        "accounts": [{"platform": p, "handle": h} for p, h in accounts],
        "platforms": [
            {
                "platform": "instagram",
                "accounts": 1,
                "coverage": 1.0,
                "followers_start": 120000,
                "followers_end": 123456,
                "followers_growth": 3456,
                "posts": 60,
                "posts_per_week": 13.55,
                "median_interactions_per_post": 812.5,
                "reply_rate": 0.4321,
                "median_reply_time_s": 9000,
            },
            {
                "platform": "x",
                "accounts": 1,
                "coverage": 0.5,
                "followers_start": 1000,
                "followers_end": 990,
                "followers_growth": -10,
                "posts": 10,
                "posts_per_week": 2.26,
                "median_interactions_per_post": 4,
                "reply_rate": None,
                "median_reply_time_s": None,
            },
        ],
        "best_posts": [
            {
                "platform": "instagram",
                "handle": "bali_prov",
                "post_id": "p1",
                "published_at": "2026-10-12T03:00:00+00:00",
                "metric_date": "2026-10-12",
                "post_type": "reel",
                "interactions": 15234,
                "views": 201000,
            },
        ],
        "crisis_signals": [
            {
                "metric_date": "2026-10-20",
                "platform": "instagram",
                "handle": "bali_prov",
                "signals_fired": "comments,anger",
                "severity": "alert",
            },
        ],
        "trend": list(trend)
        or [
            {
                "month": f"2026-{m:02d}-01",
                "ikms": 60 + m,
                "rank_in_peer_group": 4,
                "peer_group_size": 38,
                "is_movement_comparable": m != 7,
            }
            for m in range(1, 11)
        ],
    }


def national_issue(issue_no=1, issued_at=ISSUED_AT, bali_ikms=75.25, changes=()):
    """Two provinces with their kabupaten/kota, a ministry, an agency without data."""
    rows = [
        score_row(
            "prov-51",
            "Provinsi Bali",
            "provinsi",
            "51",
            "Bali",
            ikms=bali_ikms,
            rank=3,
            size=38,
            rank_national=7,
            movement=2,
            components=(90, 40, 70, 50),
        ),
        score_row(
            "prov-52",
            "Provinsi Nusa Tenggara Barat",
            "provinsi",
            "52",
            "Nusa Tenggara Barat",
            ikms=80.0,
            rank=1,
            size=38,
            rank_national=2,
            movement=-1,
            components=(80, 80, 80, 80),
        ),
        score_row(
            "prov-53",
            "Provinsi Nusa Tenggara Timur",
            "provinsi",
            "53",
            "Nusa Tenggara Timur",
            ikms=70.0,
            rank=5,
            size=38,
            rank_national=9,
            movement=0,
            components=(70, 70, 70, 70),
        ),
        score_row(
            "kab-5108",
            "Kabupaten Buleleng",
            "kabupaten",
            "51",
            "Bali",
            ikms=100.0,
            rank=1,
            size=2,
            rank_national=1,
            movement=0,
            components=(100, 100, 100, 100),
            grade=("A", "Sangat baik", "Very good"),
        ),
        score_row(
            "kab-5103",
            "Kabupaten Badung",
            "kabupaten",
            "51",
            "Bali",
            ikms=55.5,
            rank=2,
            size=2,
            rank_national=20,
            movement=None,
            components=(55, 55, 56, 56),
            grade=("C", "Cukup", "Fair"),
        ),
        score_row(
            "kota-5171",
            "Kota Denpasar",
            "kota",
            "51",
            "Bali",
            ikms=68.0,
            rank=1,
            size=1,
            rank_national=12,
            movement=1,
            components=(68, 68, 68, 68),
        ),
        score_row("kab-5201", "Kabupaten Lombok Barat", "kabupaten", "52", "Nusa Tenggara Barat"),
        score_row(
            "kem-komdigi",
            "Kementerian Komunikasi dan Digital",
            "kementerian",
            ikms=66.6,
            rank=2,
            size=3,
            rank_national=14,
            movement=-3,
            components=(80, 50, 60, 76),
        ),
        score_row(
            "kem-dagri",
            "Kementerian Dalam Negeri",
            "kementerian",
            ikms=70.0,
            rank=1,
            size=3,
            rank_national=10,
            movement=1,
            components=(70, 70, 70, 70),
        ),
        score_row(
            "kem-keu",
            "Kementerian Keuangan",
            "kementerian",
            ikms=60.0,
            rank=3,
            size=3,
            rank_national=18,
            movement=0,
            components=(60, 60, 60, 60),
        ),
        score_row("lem-bps", "Badan Pusat Statistik", "lembaga"),
    ]
    frozen = {row["institution_id"]: details() for row in rows}
    frozen["kem-komdigi"] = details(timezone="Asia/Jakarta", accounts=(("youtube", "komdigi"),))
    frozen["lem-bps"] = details(timezone="Asia/Jakarta", accounts=(("instagram", "bps_statistics"),))
    frozen["lem-bps"]["platforms"] = []
    return IssuedMonth(
        month=OCTOBER,
        issue_no=issue_no,
        issued_at=issued_at,
        data_cut_off=CUT_OFF,
        reason=FIRST_ISSUE_REASON if issue_no == 1 else RESTATED_REASON,
        changes=list(changes),
        rows=rows,
        details=frozen,
    )


def store_issue(conn, issue):
    """Store an issue as kinerja.publish.issues would have frozen it."""
    conn.execute(
        "insert into publication.score_issues (month, issue_no, methodology_version, data_cut_off, issued_at,"
        " institutions, content_sha256, reason, changes) values (%s, %s, 'ikms-v1', %s, %s, %s, %s, %s, %s)",
        [
            issue.month,
            issue.issue_no,
            issue.data_cut_off,
            issue.issued_at,
            len(issue.rows),
            f"sha-{issue.issue_no}",
            issue.reason,
            json.dumps(issue.changes),
        ],
    )
    for row in issue.rows:
        conn.execute(
            "insert into publication.issued_scores values (%s, %s, %s, %s)",
            [issue.month, issue.issue_no, row["institution_id"], json.dumps(row, default=str)],
        )
        conn.execute(
            "insert into publication.issued_scorecards values (%s, %s, %s, %s)",
            [
                issue.month,
                issue.issue_no,
                row["institution_id"],
                json.dumps(issue.details[row["institution_id"]]),
            ],
        )
