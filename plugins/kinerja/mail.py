"""The project's one mail module: build a message, send it over SMTP or drop it in the outbox.

Settings come from kinerja.config.mail_settings (the environment only). When no SMTP host is
set, a message is written to the outbox folder as an .eml file named after its Message-ID,
so a local run, a test or an office without a relay still produces every message and a
person can send them by hand. Scorecard delivery, alerts and notes to file senders all
send through `send`.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from kinerja import config

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """A message could not be handed over; the message says to whom and why."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str = "application/pdf"


def build_message(
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    cc: Sequence[str] = (),
    attachments: Iterable[Attachment] = (),
    message_id: str | None = None,
    sender: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A MIME message: plain text, the HTML as its alternative body, then the attachments.

    `message_id` should be stable for what the message is (a scorecard of one issue), so a
    resend after a crash is recognisable as the same message by every mail system.
    """
    if not to:
        raise ValueError(f"a message needs a recipient: '{subject}' has none")
    message = EmailMessage()
    message["From"] = sender or config.mail_settings().sender
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain=sender_domain(message["From"]))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for item in attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def send(message: EmailMessage, settings: config.MailSettings | None = None) -> str:
    """Send `message` over SMTP, or write it to the outbox when no host is set.

    Returns where it went ("smtp://host:port" or the .eml path). Raises MailError naming the
    recipients and the server's answer, also when the server refused only some recipients;
    nothing is retried here (the caller keeps the ledger).
    """
    settings = settings or config.mail_settings()
    if not settings.host:
        return str(_write_outbox(message, settings.outbox))
    recipients = [a for field in ("To", "Cc", "Bcc") for a in _addresses(message.get(field))]
    try:
        with _connect(settings) as smtp:
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            refused = smtp.send_message(message, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as error:
        raise MailError(
            f"could not send '{message['Subject']}' to {', '.join(recipients)} via "
            f"{settings.host}:{settings.port}: {error}"
        ) from error
    if refused:
        # a message some recipients did not get has not been delivered: the caller retries it
        # whole; the stable Message-ID lets the others' mail systems drop the duplicate
        answers = "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}"
            for address, (code, reply) in refused.items()
        )
        raise MailError(
            f"'{message['Subject']}' was refused for {answers} by {settings.host}:{settings.port}"
        )
    return f"smtp://{settings.host}:{settings.port}"


def _connect(settings: config.MailSettings) -> smtplib.SMTP:
    if settings.tls == "ssl":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=ssl.create_default_context()
        )
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def _write_outbox(message: EmailMessage, outbox: Path) -> Path:
    """Write the message as <outbox>/<Message-ID>.eml, atomically; the same message overwrites itself."""
    outbox.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9._@-]+", "_", str(message["Message-ID"]).strip("<>")) or "message"
    path = outbox / f"{name}.eml"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(message.as_bytes())
    os.replace(tmp, path)
    return path


def _addresses(field: str | None) -> list[str]:
    from email.utils import getaddresses

    return [address for _, address in getaddresses([field])] if field else []


def sender_domain(sender: str) -> str:
    """The domain of a From address, for Message-IDs."""
    address = _addresses(sender)
    return address[0].rpartition("@")[2] if address and "@" in address[0] else "kinerja.invalid"
