"""Plain SMTP delivery with the standard library, configured from the environment.

The module is named `email` inside the `notify` package; absolute imports keep the stdlib `email` package
reachable (`from __future__ import annotations` plus absolute imports are the default in Python 3).
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

_TRUE = {"1", "true", "yes", "on"}
# Python's header folder drops the space between two folded RFC 2047 words ("bài đăng" arrives as "bàiđăng"),
# so headers are written unfolded up to SMTP's 998-character line limit. Bodies are encoded before this policy
# is set, under the default 78-character one.
_SEND_POLICY = policy.default.clone(max_line_length=998)


class EmailError(RuntimeError):
    """The message could not be handed to the SMTP server."""


@dataclass
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "civicpulse@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """Settings from CIVICPULSE_SMTP_*; None when no host is configured (email delivery is off)."""
        host = os.environ.get("CIVICPULSE_SMTP_HOST", "").strip()
        if not host:
            return None
        port = os.environ.get("CIVICPULSE_SMTP_PORT", "25").strip() or "25"
        if not port.isdigit():
            raise ValueError(f"CIVICPULSE_SMTP_PORT must be a port number, got {port!r}")
        return cls(
            host=host,
            port=int(port),
            sender=os.environ.get("CIVICPULSE_SMTP_SENDER", "").strip() or cls.sender,
            username=os.environ.get("CIVICPULSE_SMTP_USER") or None,
            password=os.environ.get("CIVICPULSE_SMTP_PASSWORD") or None,
            starttls=os.environ.get("CIVICPULSE_SMTP_STARTTLS", "").strip().lower() in _TRUE,
        )


def build_message(sender: str, to: Sequence[str], subject: str, text: str, html: str | None = None,
                  attachments: Sequence[tuple[str, bytes, str]] = ()) -> EmailMessage:
    """A multipart message: text, optional HTML alternative, then attachments (filename, bytes, MIME type)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, data, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        if not subtype:
            raise ValueError(f"attachment {filename!r}: MIME type must look like 'type/subtype', got {mime!r}")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    msg.policy = _SEND_POLICY
    return msg


def send_email(settings: SmtpSettings, to: list[str], subject: str, text: str, html: str | None = None,
               attachments: Sequence[tuple[str, bytes, str]] = ()) -> None:
    """Send one message to all recipients; raises EmailError naming the server on any SMTP/network failure."""
    recipients = [r.strip() for r in to if r and r.strip()]
    if not recipients:
        raise ValueError("send_email needs at least one recipient")
    msg = build_message(settings.sender, recipients, subject, text, html, attachments)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                smtp.starttls()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
            smtp.send_message(msg, from_addr=settings.sender, to_addrs=recipients)
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(f"could not send email via {settings.host}:{settings.port}: {exc}") from exc
