"""Scheduled email digests: a saved report (optionally over a saved query) mailed daily or weekly.

A scheduler (cron, the web app's background task) calls `DigestService.run_due()`; each due digest gets the
report of the period just ended as an attachment. `last_sent_at` only moves on a successful send, so a digest
whose mail failed is retried at the next run. As with saved queries, callers audit create/delete (they know who
acted and through which door); sends and failures are audited here, where they happen.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from civicpulse.analytics.filters import Filters
from civicpulse.analytics.localtime import local_day_start, local_today, timezone_for, to_local
from civicpulse.notify.email import EmailError, SmtpSettings, send_email
from civicpulse.reports.export import FORMATS, export
from civicpulse.reports.labels import LANGUAGES, labels
from civicpulse.reports.model import build_report
from civicpulse.store import reports_sql as sql
from civicpulse.store.base import Store

log = logging.getLogger(__name__)

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(days=7)}
_DAYS = {"daily": 1, "weekly": 7}
MAX_RECIPIENTS = 50
MAX_NAME = 200
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class DigestNotFound(LookupError):
    """No digest with that id in the workspace (another workspace's id is "not found" too)."""


@dataclass
class Digest:
    workspace: str
    digest_id: str
    name: str
    query_id: str | None
    frequency: str
    recipients: list[str]
    format: str
    language: str
    created_by: str
    created_at: datetime
    last_sent_at: datetime | None

    @classmethod
    def from_row(cls, row: tuple) -> Digest:
        values = dict(zip(sql.DIGEST_COLUMNS, row, strict=True))
        return cls(**{**values, "recipients": values["recipients"].split(",")})

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (ISO datetimes)."""
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def parse_recipients(recipients: str | list[str]) -> list[str]:
    """Addresses from a list or a comma/semicolon/space separated string; each must look like an address."""
    parts = re.split(r"[,;\s]+", recipients) if isinstance(recipients, str) else list(recipients)
    found = [p.strip() for p in parts if p and p.strip()]
    if not found:
        raise ValueError("a digest needs at least one recipient email address")
    bad = [p for p in found if not _EMAIL.match(p)]
    if bad:
        raise ValueError(f"not an email address: {', '.join(bad)}")
    if len(found) > MAX_RECIPIENTS:
        raise ValueError(f"a digest can have at most {MAX_RECIPIENTS} recipients (got {len(found)})")
    return list(dict.fromkeys(found))


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _saved_query(store: Store, workspace: str, query_id: str) -> Any:
    """The saved query, or SavedQueryNotFound (a ValueError) for an unknown id or another workspace's."""
    from civicpulse.analytics.saved_queries import SavedQueries  # imported when used: reports work without it

    return SavedQueries(store).get(workspace, query_id)


class DigestService:
    def __init__(self, store: Store, smtp: SmtpSettings | None) -> None:
        self.store = store
        self.smtp = smtp

    def create(self, workspace: str, name: str, frequency: str, recipients: str | list[str], fmt: str = "pdf",
               lang: str = "en", query_id: str | None = None, user: str = "") -> Digest:
        name = (name or "").strip()
        if not name or len(name) > MAX_NAME:
            raise ValueError(f"a digest needs a name of 1 to {MAX_NAME} characters")
        if frequency not in PERIODS:
            raise ValueError(f"unknown frequency {frequency!r}; choose from {', '.join(PERIODS)}")
        if fmt not in FORMATS:
            raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
        if lang not in LANGUAGES:
            raise ValueError(f"unknown report language {lang!r}; choose from {', '.join(LANGUAGES)}")
        if self.store.get_workspace(workspace) is None:
            raise ValueError(f"no workspace {workspace!r}")
        if query_id:
            _saved_query(self.store, workspace, query_id)
        digest = Digest(workspace, secrets.token_hex(8), name, query_id or None, frequency,
                        parse_recipients(recipients), fmt, lang, user, _utcnow(), None)
        row = {**asdict(digest), "recipients": ",".join(digest.recipients)}
        self.store.execute(sql.INSERT_DIGEST, [row[c] for c in sql.DIGEST_COLUMNS])
        return digest

    def list(self, workspace: str) -> list[Digest]:
        return [Digest.from_row(r) for r in self.store.query(sql.SELECT_DIGESTS, [workspace])]

    def get(self, workspace: str, digest_id: str) -> Digest | None:
        rows = self.store.query(sql.SELECT_DIGEST, [workspace, digest_id])
        return Digest.from_row(rows[0]) if rows else None

    def delete(self, workspace: str, digest_id: str) -> None:
        """Raises DigestNotFound for an unknown id, including another workspace's (which is left alone)."""
        if self.get(workspace, digest_id) is None:
            raise DigestNotFound(f"no digest {digest_id!r} in workspace {workspace!r}")
        self.store.execute(sql.DELETE_DIGEST, [workspace, digest_id])

    def due(self, now: datetime) -> list[Digest]:
        """Digests of every workspace never sent, or last sent a whole period of local days ago (a daily digest
        once a local day, after local midnight; a weekly one on the same weekday a week later)."""
        found = []
        for ws in self.store.list_workspaces():
            tz = timezone_for(self.store, ws.name)
            today = local_today(tz, now)
            found += [d for d in map(Digest.from_row, self.store.query(sql.SELECT_DIGESTS, [ws.name]))
                      if d.frequency in _DAYS and (d.last_sent_at is None or to_local(d.last_sent_at, tz).date()
                                                   <= today - timedelta(days=_DAYS[d.frequency]))]
        return found

    def run_due(self, now: datetime | None = None) -> list[str]:
        """Send every due digest; one line per digest: 'sent ws/id ...' or 'failed ws/id: reason'.

        Without SMTP settings it raises RuntimeError, but only when some digest is due.
        """
        now = (now or _utcnow()).replace(second=0, microsecond=0)
        due = self.due(now)
        if due:
            self._smtp()
        results = []
        for digest in due:
            where = f"{digest.workspace}/{digest.digest_id}"
            try:
                self.send(digest, now)
            except (EmailError, ValueError, OSError) as exc:
                log.warning("digest %s not sent: %s", where, exc)
                self.store.audit("digests", digest.workspace, "digest.failed", f"{digest.digest_id}: {exc}")
                results.append(f"failed {where}: {exc}")
                continue
            self.store.execute(sql.MARK_SENT, [now, digest.workspace, digest.digest_id])
            self.store.audit("digests", digest.workspace, "digest.sent",
                             f"{digest.digest_id} to {len(digest.recipients)} recipient(s)")
            results.append(f"sent {where} to {len(digest.recipients)} recipient(s)")
        return results

    def _smtp(self) -> SmtpSettings:
        if self.smtp is None:
            raise RuntimeError("email delivery is not configured: set CIVICPULSE_SMTP_HOST (and _PORT, _SENDER)")
        return self.smtp

    def send(self, digest: Digest, now: datetime) -> None:
        """Build the report of the whole local days just ended (yesterday, or the 7 days before today) and mail it;
        raises on any failure."""
        smtp = self._smtp()
        tz = timezone_for(self.store, digest.workspace)
        today = local_today(tz, now)
        first_day = today - timedelta(days=_DAYS[digest.frequency])
        start, end = local_day_start(first_day, tz), local_day_start(today, tz)
        f, query_name = Filters(start=start, end=end), None
        if digest.query_id:
            saved = _saved_query(self.store, digest.workspace, digest.query_id)
            f, query_name = Filters(start=start, end=end, query=saved.query), saved.name
        report = build_report(self.store, digest.workspace, f, title=digest.name, lang=digest.language,
                              query_name=query_name)
        data, media_type, filename = export(report, digest.format)
        words = labels(digest.language)
        names = {"name": digest.name, "workspace": digest.workspace, "start": f"{first_day:%Y-%m-%d}",
                 "end": f"{today - timedelta(days=1):%Y-%m-%d} ({tz})"}
        send_email(smtp, digest.recipients, words["digest_subject"].format(**names),
                   words["digest_body"].format(**names), attachments=[(filename, data, media_type.split(";")[0])])
