"""Delivery of the scorecards against a local SMTP server on 127.0.0.1 (aiosmtpd), with the
ledger in a real warehouse: content, exactly once, a failure retried with backoff while the
others go, an interrupted send reported, a reissue delivered as a reissue."""

from __future__ import annotations

import dataclasses
import socket
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from kinerja import config
from kinerja.scorecards import delivery
from kinerja.warehouse import connect
from scorecard_issues import national_issue, store_issue

pytestmark = pytest.mark.integration

SENDER = "Kinerja <kinerja@example.org>"
WITH_RECIPIENT = {"prov-51", "kab-5108", "kab-5103", "kota-5171", "kem-komdigi", "kem-dagri", "lem-bps"}


class Mailbox:
    """An SMTP handler that keeps what it accepted and refuses the recipients it is told to."""

    def __init__(self):
        self.messages = []
        self.refuse_once: set[str] = set()
        self.refuse_always: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_always:
            return "550 5.1.1 mailbox unavailable"
        if address in self.refuse_once:
            self.refuse_once.discard(address)
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted"

    def by_institution(self, institution_id):
        return [m for _, m in self.messages if f".{institution_id}@" in m["Message-ID"]]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


def _settings(port, tmp_path, host="127.0.0.1"):
    return config.MailSettings(
        host=host,
        port=port,
        user=None,
        password=None,
        sender=SENDER,
        tls="none",
        outbox=tmp_path / "outbox",
        timeout=10,
    )


def _ledger(conn):
    return {
        institution_id: (state, attempts)
        for institution_id, state, attempts in conn.execute(
            "select institution_id, state, attempts from publication.scorecard_deliveries"
        ).fetchall()
    }


def _deliver(conn, tmp_path, settings, **options):
    options.setdefault("backoff_seconds", 0)
    return delivery.deliver_month(
        conn, national_issue().month, tmp_path / "cards", settings=settings, **options
    )


def test_each_scorecard_is_sent_once_with_its_pdf_and_html_and_the_province_in_cc(conn, mailbox, tmp_path):
    box, port = mailbox
    store_issue(conn, national_issue())
    report = _deliver(conn, tmp_path, _settings(port, tmp_path))
    assert set(report.sent) == WITH_RECIPIENT and not report.failed and not report.interrupted
    assert set(report.no_recipient) == {
        "prov-52",
        "prov-53",
        "kab-5201",
        "kem-keu",
    }  # not in the test registry
    assert len(box.messages) == len(WITH_RECIPIENT)

    (message,) = box.by_institution("kab-5108")
    assert message["To"] == "diskominfo@kab-5108.example.org"
    assert message["Cc"] == "diskominfo@prov-51.example.org"
    assert message["Message-ID"] == "<scorecard.2026-10.1.kab-5108@example.org>"
    assert message["Subject"] == "Kartu Skor Kinerja Media Sosial Oktober 2026: Kabupaten Buleleng"
    html = message.get_body(("html",)).get_content()
    assert "Kabupaten Buleleng" in html and "peringkat 1 dari 2 kabupaten" in html
    (attachment,) = list(message.iter_attachments())
    pdf = (tmp_path / "cards" / "2026-10" / "institusi" / "kab-5108.pdf").read_bytes()
    assert attachment.get_filename() == "kartu-skor-2026-10-kab-5108.pdf" and attachment.get_content() == pdf
    (ministry,) = box.by_institution("kem-komdigi")
    assert ministry["Cc"] is None and ministry["To"] == "humas@kem-komdigi.example.org"
    ledger = conn.execute(
        "select state, attempts, file_sha256, recipients, cc from publication.scorecard_deliveries"
        " where institution_id = 'kab-5108'"
    ).fetchone()
    import hashlib

    assert ledger == (
        "sent",
        1,
        hashlib.sha256(pdf).hexdigest(),
        "diskominfo@kab-5108.example.org",
        "diskominfo@prov-51.example.org",
    )

    # run again: nothing is sent twice
    again = _deliver(conn, tmp_path, _settings(port, tmp_path))
    assert again.sent == [] and set(again.already_sent) == WITH_RECIPIENT
    assert len(box.messages) == len(WITH_RECIPIENT)
    # unless forced, for one institution
    forced = _deliver(conn, tmp_path, _settings(port, tmp_path), institution="kab-5108", force=True)
    assert forced.sent == ["kab-5108"] and len(box.by_institution("kab-5108")) == 2
    assert _ledger(conn)["kab-5108"] == ("sent", 2)


def test_a_failed_send_is_retried_with_backoff_while_the_others_go(conn, mailbox, tmp_path):
    box, port = mailbox
    store_issue(conn, national_issue())
    box.refuse_once.add("diskominfo@kota-5171.example.org")
    box.refuse_always.add("humas@lem-bps.example.org")
    waits = []
    report = _deliver(
        conn, tmp_path, _settings(port, tmp_path), max_attempts=3, backoff_seconds=1.5, sleep=waits.append
    )
    assert waits == [1.5, 3.0]  # doubled at each round
    assert "kota-5171" in report.sent
    # the kota got it once; its province in cc got the first try too, under the same Message-ID
    to_kota = [m for envelope, m in box.messages if "diskominfo@kota-5171.example.org" in envelope]
    assert len(to_kota) == 1
    assert {m["Message-ID"] for m in box.by_institution("kota-5171")} == {to_kota[0]["Message-ID"]}
    assert list(report.failed) == ["lem-bps"] and "550" in report.failed["lem-bps"]
    assert set(report.sent) == WITH_RECIPIENT - {"lem-bps"}
    ledger = _ledger(conn)
    assert ledger["kota-5171"] == ("sent", 2) and ledger["lem-bps"] == ("failed", 3)
    assert ledger["prov-51"] == ("sent", 1)
    # attempts spent: the next run reports it and does not try again
    box.refuse_always.clear()
    later = _deliver(conn, tmp_path, _settings(port, tmp_path), max_attempts=3)
    assert list(later.failed) == ["lem-bps"] and box.by_institution("lem-bps") == []


def test_a_send_interrupted_by_a_crash_is_reported_not_resent(conn, warehouse, mailbox, tmp_path):
    box, port = mailbox
    store_issue(conn, national_issue())
    _deliver(conn, tmp_path, _settings(port, tmp_path), institution="prov-51")
    _deliver(conn, tmp_path, _settings(port, tmp_path), institution="kab-5103")
    # another run claimed kab-5103 and is still at it: left alone, not an error
    other = connect(warehouse, autocommit=True)
    other.execute(
        "update publication.scorecard_deliveries set state = 'sending', claimed_by = ("
        " select pid || ':' || backend_start from pg_stat_activity where pid = pg_backend_pid())"
        " where institution_id = 'kab-5103'"
    )
    busy = _deliver(conn, tmp_path, _settings(port, tmp_path), institution="kab-5103")
    assert busy.in_progress == ["kab-5103"] and busy.interrupted == [] and busy.sent == []
    # that run's process died before it recorded the send
    other.close()
    before = len(box.messages)
    report = _deliver(conn, tmp_path, _settings(port, tmp_path))
    assert report.interrupted == ["kab-5103"] and "kab-5103" not in report.sent
    assert "prov-51" in report.already_sent
    assert len(box.messages) == before + len(WITH_RECIPIENT) - 2
    # a person checked the mailbox and decided to send it again
    decided = _deliver(conn, tmp_path, _settings(port, tmp_path), institution="kab-5103", force=True)
    assert decided.sent == ["kab-5103"] and _ledger(conn)["kab-5103"] == ("sent", 2)


def test_a_reissue_is_delivered_as_a_reissue_that_says_what_changed(conn, mailbox, tmp_path):
    box, port = mailbox
    first = national_issue()
    store_issue(conn, first)
    _deliver(conn, tmp_path, _settings(port, tmp_path), institution="kab-5108")
    change = {
        "institution_id": "kab-5108",
        "institution_name": "Kabupaten Buleleng",
        "field": "ikms",
        "before": 100.0,
        "after": 91.5,
    }
    second = national_issue(2, changes=[change])
    second = dataclasses.replace(
        second, rows=[dict(r, ikms=91.5) if r["institution_id"] == "kab-5108" else r for r in second.rows]
    )
    store_issue(conn, second)
    report = _deliver(conn, tmp_path, _settings(port, tmp_path), institution="kab-5108")
    assert report.sent == ["kab-5108"]
    old, new = box.by_institution("kab-5108")
    assert new["Subject"].startswith("[Terbitan ulang ke-2] Kartu Skor Kinerja Media Sosial Oktober 2026")
    assert new["References"] == old["Message-ID"] == "<scorecard.2026-10.1.kab-5108@example.org>"
    text = new.get_body(("plain",)).get_content()
    assert "Ini adalah terbitan ulang" in text and "Kabupaten Buleleng: IKMS 100,0 → 91,5" in text
    html = new.get_body(("html",)).get_content()
    assert "Terbitan ke-2" in html and "91,5" in html
    assert _ledger(conn)["kab-5108"] == ("sent", 1)  # the issue-2 row; issue 1's stays as it was
    assert (
        conn.execute("select count(*) from publication.scorecard_deliveries where state = 'sent'").fetchone()[
            0
        ]
        == 2
    )


def test_in_english_the_message_its_scorecard_and_a_reissue_are_english(conn, mailbox, tmp_path, monkeypatch):
    box, port = mailbox
    monkeypatch.setenv("KINERJA_SCORECARD_LANGUAGES", "en,id")  # the first is the mail's language
    store_issue(conn, national_issue())
    _deliver(conn, tmp_path, _settings(port, tmp_path), institution="prov-51")
    issue_1_pdf = (tmp_path / "cards/2026-10/en/institusi/prov-51.pdf").read_bytes()
    change = {"institution_id": "prov-51", "institution_name": "Provinsi Bali", "field": "ikms"}
    store_issue(conn, national_issue(2, changes=[dict(change, before=75.25, after=77.5)]))
    _deliver(conn, tmp_path, _settings(port, tmp_path), institution="prov-51")

    first, reissue = box.by_institution("prov-51")
    assert first["Subject"] == "Social Media Performance Scorecard October 2026: Provinsi Bali"
    assert first.get_body(("plain",)).get_content().splitlines()[:3] == [
        "Dear Provinsi Bali,",
        "",
        "please find attached the Social Media Performance Scorecard for October 2026 (issue 1).",
    ]
    html = first.get_body(("html",)).get_content()
    assert '<html lang="en">' in html and "B (Good)" in html and "Baik" not in html
    (attachment,) = list(first.iter_attachments())
    assert attachment.get_filename() == "scorecard-2026-10-prov-51.pdf"
    assert attachment.get_content() == issue_1_pdf
    # a subject longer than a line is folded after "Subject:"; a reader unfolds it with a leading space
    assert reissue["Subject"].strip().startswith("[Reissue 2] Social Media Performance Scorecard")
    text = reissue.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "This is a reissue: data restated after the data cut-off of the previous issue." in text
    assert "What changed for your institution:\n- Provinsi Bali: IKMS 75.3 → 77.5" in text
    assert "terbitan" not in text.lower()


def test_without_a_mail_server_the_messages_go_to_the_outbox(conn, tmp_path):
    store_issue(conn, national_issue())
    settings = _settings(0, tmp_path, host=None)
    report = _deliver(conn, tmp_path, settings, institution="kem-dagri")
    assert report.sent == ["kem-dagri"]
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert message["To"] == "humas@kem-dagri.example.org"
    assert [a.get_filename() for a in message.iter_attachments()] == ["kartu-skor-2026-10-kem-dagri.pdf"]
    via = conn.execute("select via from publication.scorecard_deliveries").fetchone()[0]
    assert Path(via) == eml


def test_send_and_status_commands(conn, warehouse, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from kinerja import cli

    monkeypatch.setattr(cli.console, "width", 250)
    monkeypatch.setenv("KINERJA_WAREHOUSE_URL", warehouse.conninfo())
    monkeypatch.delenv("KINERJA_SMTP_HOST", raising=False)
    monkeypatch.setenv("KINERJA_MAIL_OUTBOX", str(tmp_path / "outbox"))
    monkeypatch.setenv("KINERJA_SCORECARDS_DIR", str(tmp_path / "cards"))
    store_issue(conn, national_issue())
    runner = CliRunner()
    sent = runner.invoke(cli.app, ["scorecards", "send", "--month", "2026-10", "--institution", "kab-5108"])
    assert sent.exit_code == 0, sent.output
    assert "2026-10 issue 1: 1 sent, 0 already sent, 0 failed" in sent.output
    again = runner.invoke(cli.app, ["scorecards", "send", "--month", "2026-10", "--institution", "kab-5108"])
    assert "0 sent, 1 already sent" in again.output
    status = runner.invoke(cli.app, ["scorecards", "status", "--month", "2026-10"])
    assert status.exit_code == 0, status.output
    line = next(line for line in status.output.splitlines() if "kab-5108" in line)
    assert (
        "sent" in line
        and "diskominfo@kab-5108.example.org" in line
        and "diskominfo@prov-51.example.org" in line
    )
    missing = runner.invoke(cli.app, ["scorecards", "send", "--month", "2026-09"])
    assert missing.exit_code == 1 and "no issued scores for 2026-09" in missing.output


def test_two_runs_at_once_send_each_scorecard_once(conn, warehouse, mailbox, tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    box, port = mailbox
    store_issue(conn, national_issue())
    # render first, so that both runs spend their time sending rather than rendering
    delivery.deliver_month(
        conn,
        national_issue().month,
        tmp_path / "cards",
        institution="kem-dagri",
        settings=_settings(port, tmp_path),
    )

    def run(_):
        with connect(warehouse, autocommit=True) as own:
            return _deliver(own, tmp_path, _settings(port, tmp_path))

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(run, range(2)))
    sent = [institution for report in reports for institution in report.sent]
    assert sorted(sent) == sorted(WITH_RECIPIENT - {"kem-dagri"})
    assert all(not report.failed and not report.interrupted for report in reports)
    assert sorted(m["Message-ID"] for _, m in box.messages) == sorted(
        f"<scorecard.2026-10.1.{institution}@example.org>" for institution in WITH_RECIPIENT
    )
