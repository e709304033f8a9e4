"""A tiny in-process SMTP server for tests: accepts every message and keeps it parsed in memory.

Speaks just enough SMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT); binds 127.0.0.1 on a free
port. Usage:

    with SmtpSink() as sink:
        send_email(SmtpSettings("127.0.0.1", sink.port), ...)
        sink.wait_for(1)
        assert sink.messages[0]["Subject"] == ...
"""

from __future__ import annotations

import socketserver
import threading
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from local_server import LocalServer


def _address(arg: str) -> str:
    """'FROM:<a@b> BODY=8BITMIME' -> 'a@b'."""
    path = arg.partition(":")[2].strip().split(" ")[0]
    return path.strip("<>")


class _SmtpHandler(socketserver.StreamRequestHandler):
    server: _SmtpServer

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.reply("220 smtp-sink ready")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command, _, arg = line.decode("utf-8", "replace").strip().partition(" ")
            verb = command.upper()
            if verb == "EHLO":
                self.reply("250-smtp-sink")
                self.reply("250 8BITMIME")
            elif verb == "HELO":
                self.reply("250 smtp-sink")
            elif verb == "MAIL":
                sender, recipients = _address(arg), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(_address(arg))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.server.record(self.read_data(), sender, recipients)
                self.reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 command not implemented")

    def read_data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) and line.rstrip(b"\r\n") != b".":
            line = line[1:] if line.startswith(b"..") else line  # undo dot-stuffing
            lines.append(line.rstrip(b"\r\n") + b"\n")  # stored with local line ends, as an MTA would
        return b"".join(lines)


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.arrived = threading.Condition()

    def record(self, data: bytes, sender: str, recipients: list[str]) -> None:
        message = BytesParser(policy=policy.default).parsebytes(data)
        with self.arrived:
            self.messages.append(message)  # type: ignore[arg-type]  # policy.default parses to EmailMessage
            self.envelopes.append((sender, list(recipients)))
            self.arrived.notify_all()


class SmtpSink(LocalServer):
    """Context manager running the SMTP sink in a background thread."""

    what = "message at the SMTP sink"

    def __init__(self) -> None:
        super().__init__(_SmtpServer())

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def messages(self) -> list[EmailMessage]:
        return self._server.messages

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        """(envelope sender, envelope recipients) per message, in arrival order."""
        return self._server.envelopes

    def arrivals(self) -> list[EmailMessage]:
        return self.messages
