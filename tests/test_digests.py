"""Scheduled digests: validation, delivery through a local SMTP sink, due times, failures, workspace isolation."""

from __future__ import annotations

import csv
import io
import socket
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from civicpulse.analytics.saved_queries import SavedQueries
from civicpulse.notify.email import SmtpSettings
from civicpulse.reports import DigestNotFound, DigestService
from report_data import WEEK_END, city_store
from smtp_sink import SmtpSink


@pytest.fixture
def store():
    s = city_store()
    yield s
    s.close()


@pytest.fixture(scope="module")
def untouched_store():
    """For tests that must leave no digest behind (and check that they did not)."""
    s = city_store()
    yield s
    s.close()


def attachment(message) -> tuple[str, bytes]:
    (part,) = list(message.iter_attachments())
    return part.get_filename(), part.get_payload(decode=True)


def csv_values(data: bytes) -> dict[tuple[str, str, str], str]:
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    next(rows)
    return {(s, k, m): v for s, k, m, v in rows}


def test_a_weekly_digest_is_sent_once_per_week(store) -> None:
    with SmtpSink() as sink:
        service = DigestService(store, SmtpSettings("127.0.0.1", sink.port, sender="digests@civicpulse.test"))
        digest = service.create("city", "Tuần ngập lụt", "weekly", "lan@example.vn; minh@example.vn", fmt="xlsx",
                                lang="vi", user="lan")
        assert service.due(WEEK_END) == [digest]
        assert service.run_due(WEEK_END) == [f"sent city/{digest.digest_id} to 2 recipient(s)"]
        (message,) = sink.wait_for(1)
        assert sink.envelopes[0][1] == ["lan@example.vn", "minh@example.vn"]
        # The 7 whole days before today (the workspace is on UTC here), the last one named inclusively.
        assert message["Subject"] == "Tuần ngập lụt: city, 2026-09-08 đến 2026-09-14 (UTC)"
        filename, data = attachment(message)
        assert filename == "civicpulse-city-20260908_20260914.xlsx"
        summary = {r[0]: r[1:] for r in load_workbook(io.BytesIO(data))["Summary"].iter_rows(values_only=True)}
        assert summary["Tuần ngập lụt"] == (None, None, None) and summary["Bài đăng"][:2] == (30, 20)
        assert service.get("city", digest.digest_id).last_sent_at == WEEK_END
        # Not again within the week; again once it has passed.
        assert service.run_due(WEEK_END + timedelta(days=6, hours=23)) == []
        assert service.run_due(WEEK_END + timedelta(days=7)) == [f"sent city/{digest.digest_id} to 2 recipient(s)"]
        assert len(sink.wait_for(2)) == 2
    actions = [e["action"] for e in store.audit_entries("city")]
    assert actions == ["digest.sent", "digest.sent"]


def test_a_daily_digest_over_a_saved_query(store) -> None:
    saved = SavedQueries(store).create("city", "Tiêu cực", "sentiment:negative")
    with SmtpSink() as sink:
        service = DigestService(store, SmtpSettings("127.0.0.1", sink.port))
        daily = service.create("city", "Daily", "daily", ["ops@example.org"], fmt="csv", query_id=saved.query_id)
        now = WEEK_END - timedelta(days=4, hours=12)  # 2026-09-10 12:00: yesterday, 9 September, holds c5..c9
        service.run_due(now)
        values = csv_values(attachment(sink.wait_for(1)[0])[1])
        assert values[("meta", "", "saved_query")] == "Tiêu cực"
        assert values[("meta", "", "query")] == "sentiment:negative"
        assert values[("meta", "", "period_start")] == "2026-09-09T00:00:00"
        assert values[("meta", "", "period_end")] == "2026-09-10T00:00:00"
        assert values[("summary", "current", "suppressed")] == "true"  # 5 posts, 5 authors: below k
        # Once a day: not again before midnight, again from midnight on.
        assert service.run_due(now + timedelta(hours=11, minutes=59)) == []
        assert service.run_due(now + timedelta(hours=12)) == [f"sent city/{daily.digest_id} to 1 recipient(s)"]


def test_a_failed_send_is_reported_and_retried_later(store) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    service = DigestService(store, SmtpSettings("127.0.0.1", closed_port, timeout=2))
    digest = service.create("city", "Weekly", "weekly", "lan@example.vn", fmt="pdf")
    (line,) = service.run_due(WEEK_END)
    assert line.startswith(f"failed city/{digest.digest_id}: could not send email via 127.0.0.1:{closed_port}")
    assert service.get("city", digest.digest_id).last_sent_at is None
    assert service.due(WEEK_END) == [digest]
    assert store.audit_entries("city")[-1]["action"] == "digest.failed"
    with pytest.raises(RuntimeError, match="CIVICPULSE_SMTP_HOST"):
        DigestService(store, None).run_due(WEEK_END)
    service.delete("city", digest.digest_id)
    assert DigestService(store, None).run_due(WEEK_END) == []  # nothing due: no error


def test_each_workspace_gets_its_own_digests_and_figures(store) -> None:
    with SmtpSink() as sink:
        service = DigestService(store, SmtpSettings("127.0.0.1", sink.port))
        city = service.create("city", "City", "weekly", "a@example.org", fmt="csv")
        other = service.create("other", "Other", "weekly", "b@example.org", fmt="csv")
        assert service.list("city") == [city] and service.list("other") == [other]
        with pytest.raises(DigestNotFound, match=f"no digest '{city.digest_id}' in workspace 'other'"):
            service.delete("other", city.digest_id)
        assert service.get("city", city.digest_id) is not None
        assert len(service.run_due(WEEK_END)) == 2
        by_recipient = {env[1][0]: msg for env, msg in zip(sink.envelopes, sink.wait_for(2), strict=True)}
    posts = {to: csv_values(attachment(m)[1])[("summary", "current", "posts")] for to, m in by_recipient.items()}
    assert posts == {"a@example.org": "30", "b@example.org": "60"}
    service.delete("city", city.digest_id)
    assert service.list("city") == [] and [d.digest_id for d in service.list("other")] == [other.digest_id]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"frequency": "hourly"}, "unknown frequency 'hourly'"),
    ({"fmt": "docx"}, "unknown report format 'docx'"),
    ({"lang": "fr"}, "unknown report language 'fr'"),
    ({"recipients": "lan@example.vn, not-an-address"}, "not an email address: not-an-address"),
    ({"recipients": " ; "}, "at least one recipient"),
    ({"name": "  "}, "needs a name"),
    ({"workspace": "nowhere"}, "no workspace 'nowhere'"),
    ({"query_id": "missing"}, "no saved query 'missing'"),
])
def test_digest_settings_are_validated(untouched_store, kwargs, message) -> None:
    args = {"workspace": "city", "name": "Weekly", "frequency": "weekly", "recipients": "lan@example.vn", **kwargs}
    service = DigestService(untouched_store, None)
    with pytest.raises(ValueError, match=message):
        service.create(**args)
    assert service.list("city") == []
