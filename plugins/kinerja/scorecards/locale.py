"""Words and formats of the scorecards in Bahasa Indonesia (default) and English.

Numbers, dates and percentages are formatted by Babel for the language; times are shown
in the institution's own zone (WIB, WITA, WIT). Numbers are rounded half up first, as a
reader rounding by hand would (71,25 -> 71,3), then formatted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"
DASH = "–"

# Indonesia's official zone names, used in both languages.
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}

COMPONENTS = ("activity", "reach", "engagement", "responsiveness")

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Kartu Skor Kinerja Media Sosial",
        "period": "Periode",
        "issue": "Terbitan ke-{issue_no}",
        "issued_at": "diterbitkan {moment}",
        "cut_off": "batas data {moment}",
        "reissue": "Terbitan ulang: {reason}",
        "mail_greeting": "Yth. {name},",
        "mail_attached": "terlampir {title} periode {period} (terbitan ke-{issue_no}).",
        "mail_reissue_subject": "[Terbitan ulang ke-{issue_no}]",
        "mail_reissue": "Ini adalah terbitan ulang: {reason}. Kartu skor ini menggantikan terbitan sebelumnya.",
        "mail_changed": "Yang berubah untuk institusi Anda:",
        "mail_unchanged": "Skor institusi Anda tidak berubah.",
        "mail_attachment": "kartu-skor",
        "page": "Halaman",
        "of": "dari",
        "ikms": "Indeks (IKMS)",
        "grade": "Nilai",
        "rank_peer": "Peringkat dalam kelompok",
        "rank_national": "Peringkat nasional",
        "rank_text": "peringkat {rank} dari {size} {group}",
        "movement": "Gerak sejak bulan lalu",
        "moved_up": "naik {n}",
        "moved_down": "turun {n}",
        "unchanged": "tetap",
        "not_comparable": "tidak sebanding (definisi metrik berubah)",
        "rank_range": "Rentang peringkat (bobot ±10)",
        "components": "Komponen dibanding kelompok sejenis",
        "component": "Komponen",
        "own": "Skor sendiri",
        "median": "Median kelompok",
        "best": "Terbaik kelompok",
        "activity": "Aktivitas",
        "reach": "Jangkauan",
        "engagement": "Keterlibatan",
        "responsiveness": "Responsivitas",
        "trend": "Tren 12 bulan",
        "trend_caption": "IKMS per bulan menurut terbitan terakhir tiap bulan; garis putus-putus menandai perubahan definisi metrik platform.",
        "platforms": "Per platform",
        "platform": "Platform",
        "accounts": "Akun",
        "followers": "Pengikut",
        "growth": "Pertumbuhan",
        "posts_per_week": "Unggahan/minggu",
        "median_engagement": "Median interaksi/unggahan",
        "reply_rate": "Tingkat balasan",
        "reply_time": "Median waktu balas",
        "coverage": "Cakupan data",
        "best_posts": "Unggahan terbaik bulan ini",
        "interactions": "interaksi",
        "views": "tayangan",
        "no_posts": "Tidak ada unggahan yang tercatat bulan ini.",
        "crisis": "Sinyal krisis bulan ini",
        "no_crisis": "Tidak ada sinyal krisis bulan ini.",
        "signal_comments": "lonjakan komentar",
        "signal_anger": "lonjakan reaksi marah",
        "signal_reply_collapse": "balasan anjlok",
        "severity_watch": "pantau",
        "severity_alert": "waspada",
        "severity_critical": "kritis",
        "recommendations": "Rekomendasi",
        "no_recommendations": "Tidak ada komponen yang lemah dibanding kelompok sejenis: pertahankan.",
        "advice_against": "{component} {own}, median {group} {median}.",
        "advice_activity": "Unggah lebih rutin, idealnya setiap hari, di setiap akun resmi.",
        "advice_reach": "Promosikan akun resmi di situs web, layanan publik dan kegiatan daerah agar pengikut bertambah.",
        "advice_engagement": "Ajak warga berinteraksi lewat pertanyaan, ajakan dan konten yang dekat dengan kebutuhan mereka.",
        "advice_responsiveness": "Jawab komentar dan pertanyaan warga dalam 24 jam, mulai dari akun dengan komentar terbanyak.",
        "data_coverage": "Cakupan data",
        "coverage_text": "{coverage} hari-akun bulan ini memuat data ({accounts} akun terdaftar).",
        "missing": "Tanpa data cukup (di bawah 80% hari): {accounts}.",
        "nothing_missing": "Semua akun terdaftar mengirim data.",
        "insufficient": "Data tidak cukup",
        "insufficient_text": "Bulan ini tidak ada komponen dengan data harian minimal 80% hari, sehingga institusi ini tidak diperingkat (bukan diberi peringkat terakhir).",
        "what_to_send": "Yang perlu dikirim: data harian setiap akun resmi (ekspor Meta Business Suite, YouTube Studio, X atau TikTok lewat unggah berkas, atau akses API) untuk minimal 80% hari dalam sebulan.",
        "no_accounts": "Belum ada akun resmi yang terdaftar: daftarkan akun resmi institusi ke tim data.",
        "not_frozen": "Rincian per platform tidak dibekukan untuk terbitan ini.",
        "methodology": "Metodologi versi {version}",
        "issuer": "Penerbit",
        "province_report": "Laporan Provinsi",
        "report": "Laporan",
        "members": "Kabupaten dan kota",
        "members_ranked": "{ranked} dari {total} dengan data cukup",
        "distribution": "Sebaran IKMS kabupaten dan kota",
        "distribution_caption": "Banyaknya kabupaten dan kota per rentang IKMS.",
        "name": "Nama",
        "national_summary": "Ringkasan Nasional",
        "peer_group": "Kelompok",
        "institutions": "Institusi",
        "ranked": "Diperingkat",
        "median_ikms": "Median IKMS",
        "top": "Terbaik",
        "provinces": "Provinsi",
        "changes": "Perubahan dari terbitan sebelumnya",
        "yes": "ya",
        "no": "tidak",
        "field_ikms": "IKMS",
        "field_rank_in_peer_group": "peringkat",
        "field_grade": "nilai",
        "field_is_eligible": "layak dinilai",
        "hours": "{n} jam",
        "minutes": "{n} menit",
        "kementerian": "kementerian",
        "lembaga": "lembaga",
        "provinsi": "provinsi",
        "kabupaten": "kabupaten",
        "kota": "kota",
        "one_kementerian": "Kementerian",
        "one_lembaga": "Lembaga",
        "one_provinsi": "Provinsi",
        "one_kabupaten": "Kabupaten",
        "one_kota": "Kota",
    },
    "en": {
        "title": "Social Media Performance Scorecard",
        "period": "Period",
        "issue": "Issue {issue_no}",
        "issued_at": "issued {moment}",
        "cut_off": "data cut-off {moment}",
        "reissue": "Reissue: {reason}",
        "mail_greeting": "Dear {name},",
        "mail_attached": "please find attached the {title} for {period} (issue {issue_no}).",
        "mail_reissue_subject": "[Reissue {issue_no}]",
        "mail_reissue": "This is a reissue: {reason}. This scorecard replaces the previous issue.",
        "mail_changed": "What changed for your institution:",
        "mail_unchanged": "Your institution's score did not change.",
        "mail_attachment": "scorecard",
        "page": "Page",
        "of": "of",
        "ikms": "Index (IKMS)",
        "grade": "Grade",
        "rank_peer": "Rank in peer group",
        "rank_national": "National rank",
        "rank_text": "rank {rank} of {size} {group}",
        "movement": "Movement since last month",
        "moved_up": "up {n}",
        "moved_down": "down {n}",
        "unchanged": "unchanged",
        "not_comparable": "not comparable (metric definition changed)",
        "rank_range": "Rank range (weights ±10)",
        "components": "Components against the peer group",
        "component": "Component",
        "own": "Own score",
        "median": "Peer median",
        "best": "Peer best",
        "activity": "Activity",
        "reach": "Reach",
        "engagement": "Engagement",
        "responsiveness": "Responsiveness",
        "trend": "12-month trend",
        "trend_caption": "IKMS per month from each month's latest issue; a dashed line marks a platform's metric definition change.",
        "platforms": "By platform",
        "platform": "Platform",
        "accounts": "Accounts",
        "followers": "Followers",
        "growth": "Growth",
        "posts_per_week": "Posts/week",
        "median_engagement": "Median interactions/post",
        "reply_rate": "Reply rate",
        "reply_time": "Median reply time",
        "coverage": "Data coverage",
        "best_posts": "Best posts of the month",
        "interactions": "interactions",
        "views": "views",
        "no_posts": "No posts were recorded this month.",
        "crisis": "Crisis signals of the month",
        "no_crisis": "No crisis signals this month.",
        "signal_comments": "comment surge",
        "signal_anger": "anger surge",
        "signal_reply_collapse": "reply collapse",
        "severity_watch": "watch",
        "severity_alert": "alert",
        "severity_critical": "critical",
        "recommendations": "Recommendations",
        "no_recommendations": "No component is weak against the peer group: keep it up.",
        "advice_against": "{component} {own}, {group} median {median}.",
        "advice_activity": "Post more regularly, ideally every day, on every official account.",
        "advice_reach": "Promote the official accounts on the website, in public services and at regional events to gain followers.",
        "advice_engagement": "Invite citizens to interact with questions, calls to action and content close to their needs.",
        "advice_responsiveness": "Answer citizens' comments and questions within 24 hours, starting with the accounts that get the most comments.",
        "data_coverage": "Data coverage",
        "coverage_text": "{coverage} of this month's account-days carry data ({accounts} registered accounts).",
        "missing": "Without enough data (below 80% of days): {accounts}.",
        "nothing_missing": "Every registered account sent data.",
        "insufficient": "Not enough data",
        "insufficient_text": "This month no component has daily data on at least 80% of days, so this institution is not ranked (it is not ranked last).",
        "what_to_send": "What to send: the daily data of every official account (a Meta Business Suite, YouTube Studio, X or TikTok export through the file drop, or API access) for at least 80% of the days of a month.",
        "no_accounts": "No official account is registered yet: register the institution's official accounts with the data team.",
        "not_frozen": "Per-platform details were not frozen with this issue.",
        "methodology": "Methodology version {version}",
        "issuer": "Issued by",
        "province_report": "Province Report",
        "report": "Report",
        "members": "Regencies and cities",
        "members_ranked": "{ranked} of {total} with enough data",
        "distribution": "Distribution of the regencies' and cities' IKMS",
        "distribution_caption": "Number of regencies and cities per IKMS band.",
        "name": "Name",
        "national_summary": "National Summary",
        "peer_group": "Peer group",
        "institutions": "Institutions",
        "ranked": "Ranked",
        "median_ikms": "Median IKMS",
        "top": "Best",
        "provinces": "Provinces",
        "changes": "Changes since the previous issue",
        "yes": "yes",
        "no": "no",
        "field_ikms": "IKMS",
        "field_rank_in_peer_group": "rank",
        "field_grade": "grade",
        "field_is_eligible": "eligible",
        "hours": "{n} h",
        "minutes": "{n} min",
        "kementerian": "ministries",
        "lembaga": "agencies",
        "provinsi": "provinces",
        "kabupaten": "regencies",
        "kota": "cities",
        "one_kementerian": "Ministry",
        "one_lembaga": "Agency",
        "one_provinsi": "Province",
        "one_kabupaten": "Regency",
        "one_kota": "City",
    },
}


def _half_up(value, digits: int) -> Decimal:
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Formatter:
    """Formats values and looks up words for one language."""

    lang: str = DEFAULT_LANGUAGE

    def __post_init__(self):
        if self.lang not in LANGUAGES:
            raise ValueError(f"language '{self.lang}' is not offered: choose one of {', '.join(LANGUAGES)}")

    def text(self, key: str, **values) -> str:
        """The sentence `key` in this language, its {placeholders} filled."""
        return TEXTS[self.lang][key].format(**values)

    def number(self, value, digits: int = 1) -> str:
        """1.234,5 (id) or 1,234.5 (en); a dash for no value."""
        if value is None:
            return DASH
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(_half_up(value, digits), pattern, locale=self.lang)

    def integer(self, value) -> str:
        return self.number(value, 0)

    def signed(self, value) -> str:
        """+1.234 or -56; a dash for no value."""
        if value is None:
            return DASH
        return ("+" if value > 0 else "") + self.integer(value)

    def percent(self, share, digits: int = 1) -> str:
        """A 0-1 share as 87,6% (id) or 87.6% (en)."""
        if share is None:
            return DASH
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
        return format_percent(
            _half_up(Decimal(repr(float(share))) * 100, digits) / 100, pattern, locale=self.lang
        )

    def month(self, day: date) -> str:
        """Oktober 2026 / October 2026."""
        return format_date(day, "MMMM y", locale=self.lang)

    def day(self, day: date) -> str:
        """5 Oktober 2026 / 5 October 2026."""
        return format_date(day, "d MMMM y", locale=self.lang)

    def moment(self, moment: datetime, timezone: str) -> str:
        """A time in the institution's zone: 3 November 2026, 09.15 WITA."""
        local = moment.astimezone(ZoneInfo(timezone))
        pattern = "d MMMM y, HH.mm" if self.lang == "id" else "d MMMM y, HH:mm"
        return f"{format_datetime(local, pattern, locale=self.lang)} {ZONE_NAMES.get(timezone, timezone)}"

    def duration(self, seconds) -> str:
        """A reply time: 2,5 jam / 45 menit."""
        if seconds is None:
            return DASH
        seconds = float(seconds)
        if seconds >= 3600:
            return self.text("hours", n=self.number(seconds / 3600))
        return self.text("minutes", n=self.integer(seconds / 60))

    def group(self, peer_group: str | None) -> str:
        """The peer group in the plural, as in 'peringkat 3 dari 38 provinsi'."""
        return TEXTS[self.lang].get(peer_group or "", peer_group or "")

    def kind(self, peer_group: str | None) -> str:
        """What one institution of the peer group is: Kabupaten, Regency."""
        return TEXTS[self.lang].get(f"one_{peer_group}", peer_group or "")
