"""The sender's note by e-mail, through kinerja.mail, to a local SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import socket
from datetime import date
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from kinerja.landing.filedrop import audit_dropped_batches, audit_notes, land_dropped_files
from kinerja.sources.filedrop.inbox import read_inbox

pytestmark = pytest.mark.integration

TODAY = date(2026, 6, 13)
HELD = "Date,Views\n01-06-2026,100\n02-06-2026,-200\n03-06-2026,300\n"


class Mailbox:
    def __init__(self):
        self.messages, self.refuse = [], set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted"


@pytest.fixture
def mailbox(monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("KINERJA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KINERJA_SMTP_PORT", str(port))
    monkeypatch.setenv("KINERJA_SMTP_TLS", "none")
    yield box
    controller.stop()


def _process(conn, tmp_path, small_accounts, institution, name, content):
    folder = tmp_path / "inbox" / institution
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(content)
    return land_dropped_files(
        conn, read_inbox(conn, tmp_path / "inbox", small_accounts, TODAY), tmp_path / "archive"
    )


def _mailed(conn, institution):
    return conn.execute(
        "select status, note_mailed_to, note_mailed_at is not null, note_mail_error from raw.filedrop_files"
        " where institution_id = %s",
        [institution],
    ).fetchone()


def test_the_senders_note_is_mailed_and_a_refused_address_fails_nothing(
    conn, tmp_path, small_accounts, mailbox
):
    report = _process(conn, tmp_path, small_accounts, "kab-5101", "totals\r\nBcc: x@evil.example.csv", HELD)
    assert dict(report.counts) == {"partly_held": 1}
    [(recipients, message)] = mailbox.messages
    assert recipients == ["diskominfo@kab-5101.example.org"] and message["Bcc"] is None
    assert message["Subject"].startswith("Kinerja file drop: totals?Bcc: x@evil.example.csv: partly held")
    body = message.get_content()
    note = next((tmp_path / "inbox" / "_outbox" / "kab-5101").iterdir()).read_text(encoding="utf-8")
    assert body.splitlines() == note.splitlines() and "line 3, column Views" in body
    assert _mailed(conn, "kab-5101") == ("partly_held", "diskominfo@kab-5101.example.org", True, None)

    mailbox.refuse.add("diskominfo@kab-5102.example.org")
    report = _process(conn, tmp_path, small_accounts, "kab-5102", "totals.csv", HELD.replace("-200", "200"))
    assert dict(report.counts) == {"landed": 1}  # the refused e-mail changes nothing of the file
    status, to, sent, error = _mailed(conn, "kab-5102")
    assert (status, to, sent) == ("landed", "diskominfo@kab-5102.example.org", False)
    assert "550" in error and "mailbox unavailable" in error
    assert len(mailbox.messages) == 1
    assert any((tmp_path / "inbox" / "_outbox" / "kab-5102").iterdir())  # the note is kept all the same


def test_what_the_audit_held_reaches_the_sender_too(conn, tmp_path, small_accounts, mailbox):
    impossible = HELD.replace("-200", "20000000000000")  # readable, but no account counts that in a day
    report = _process(conn, tmp_path, small_accounts, "kab-5103", "totals.csv", impossible)
    assert dict(report.counts) == {"landed": 1}
    outcomes = audit_dropped_batches(conn)
    assert [(o["status"], o["rows_rejected"]) for o in outcomes] == [("accepted", 1)]
    [note] = audit_notes(conn, outcomes, tmp_path / "inbox")
    text = note.read_text(encoding="utf-8")
    assert note.name.endswith("__audit.txt") and "the audit held 1 of its rows" in text
    assert "demo-kab-5103-youtube on 2026-06-02, column views: views 20,000,000,000,000 is more than" in text
    assert "raw." not in text and "file://" not in text  # nothing of ours for the sender
    audit_mail = [m for _, m in mailbox.messages if m["Subject"].endswith(": audit")]
    assert len(audit_mail) == 1 and audit_mail[0].get_content().splitlines() == text.splitlines()
