"""Unit tests of the one mail module and its settings (no server: the outbox)."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from kinerja import config, mail


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KINERJA_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("KINERJA_SMTP_TLS", "ssl")
    monkeypatch.setenv("KINERJA_SMTP_USER", "kinerja")
    monkeypatch.setenv("KINERJA_SMTP_PASSWORD", "s3cret")
    monkeypatch.setenv("KINERJA_MAIL_OUTBOX", str(tmp_path))
    settings = config.mail_settings()
    assert (settings.host, settings.port, settings.tls, settings.user, settings.password) == (
        "smtp.example.org",
        465,
        "ssl",
        "kinerja",
        "s3cret",
    )
    assert settings.outbox == tmp_path
    monkeypatch.setenv("KINERJA_SMTP_TLS", "maybe")
    with pytest.raises(config.SettingError, match="KINERJA_SMTP_TLS='maybe' is not a TLS mode: write one of"):
        config.mail_settings()


def test_without_a_host_a_message_is_written_to_the_outbox(monkeypatch, tmp_path):
    monkeypatch.delenv("KINERJA_SMTP_HOST", raising=False)
    monkeypatch.setenv("KINERJA_MAIL_OUTBOX", str(tmp_path / "outbox"))
    message = mail.build_message(
        to=["humas@kem-dagri.example.org"],
        cc=["diskominfo@prov-51.example.org"],
        subject="Kartu skor",
        text="terlampir",
        html="<p>kartu</p>",
        attachments=[mail.Attachment("kartu.pdf", b"%PDF-1.7 test")],
        message_id="<scorecard.2026-10.1.kem-dagri@example.org>",
        sender="Kinerja <kinerja@example.org>",
    )
    where = mail.send(message)
    assert where == str(tmp_path / "outbox" / "scorecard.2026-10.1.kem-dagri@example.org.eml")
    # sending the same message again overwrites its file: one file per Message-ID
    assert mail.send(message) == where and len(list((tmp_path / "outbox").iterdir())) == 1
    stored = message_from_bytes((tmp_path / "outbox").joinpath(where).read_bytes(), policy=policy.default)
    assert stored["Cc"] == "diskominfo@prov-51.example.org"
    assert stored.get_body(("html",)).get_content().strip() == "<p>kartu</p>"
    assert [a.get_content() for a in stored.iter_attachments()] == [b"%PDF-1.7 test"]


def test_a_message_needs_a_recipient():
    with pytest.raises(ValueError, match="a message needs a recipient: 'Kartu skor' has none"):
        mail.build_message(to=[], subject="Kartu skor", text="", sender="Kinerja <kinerja@example.org>")


def test_an_unreachable_server_is_a_mail_error_naming_the_recipients(tmp_path):
    settings = config.MailSettings(
        host="127.0.0.1",
        port=9,
        user=None,
        password=None,
        sender="k@example.org",
        tls="none",
        outbox=tmp_path,
        timeout=2,
    )
    message = mail.build_message(to=["a@example.org"], subject="S", text="t", sender="k@example.org")
    with pytest.raises(mail.MailError, match=r"could not send 'S' to a@example.org via 127.0.0.1:9"):
        mail.send(message, settings)
