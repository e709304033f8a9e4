"""X filtered stream (rules kept in sync, NDJSON with keep-alives, operational disconnects, documented backoff)
and X batch compliance jobs (upload, poll, download, deletions applied), through the CLI against a local fake."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_api import LOOPBACK, Reply, cli
from fake_platforms import NEEDS_SHARED, SHARED, tweet
from fake_streams import Scripts, Stream, StreamServer

from civicpulse.collect.connectors.x_compliance import XComplianceConnector
from civicpulse.collect.connectors.x_stream import XStreamConnector
from civicpulse.collect.streaming import Backoff
from civicpulse.store.duckdb_store import DuckDBStore

pytestmark = LOOPBACK
BEARER = "x-test-bearer"


def line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode() + b"\r\n"


def matched(n: int, rule_id: str = "900", tag: str = "civicpulse") -> bytes:
    t = tweet(n)
    return line({"data": t, "includes": {"users": [{"id": t["author_id"], "username": "person_7001", "name": "P"}]},
                 "matching_rules": [{"id": rule_id, "tag": tag}]})


DISCONNECT = line({"errors": [{"title": "operational-disconnect", "disconnect_type": "OperationalDisconnect",
                               "detail": "This stream has been disconnected for operational reasons.",
                               "type": "https://api.twitter.com/2/problems/operational-disconnect"}]})


class XWorld:
    """Stream rules, the filtered stream (one script per connection) and compliance jobs, as X serves them."""

    def __init__(self, scripts: list[Reply | Stream] | None = None):
        self.rules = [{"id": "1", "value": "old query", "tag": "civicpulse"},
                      {"id": "2", "value": "another team's rule", "tag": "dashboard"}]
        self.next_rule = 900
        self.scripts = Scripts(scripts)
        self.base = ""
        self.jobs: dict[str, dict] = {}
        self.statuses: list[str] = ["in_progress", "complete"]
        self.verdicts: dict[str, str] = {}   # tweet id -> reason
        self.uploaded: list[str] = []
        self.garbage: list[str] = []         # extra result lines (a truncated download)

    def __call__(self, request):
        if request.path.startswith(("/upload/", "/download/")):  # the signed storage links: no token expected
            if "authorization" in request.headers:
                return Reply(400, {"error": "unexpected credentials"})
            if request.method == "PUT":
                self.uploaded = request.body.decode().split("\n")
                return Reply(200, b"")
            lines = [json.dumps({"id": i, "action": "delete", "created_at": "2026-09-14T08:00:00.000Z",
                                 "redacted_at": "2026-09-15T00:00:00.000Z", "reason": r})
                     for i, r in self.verdicts.items() if i in self.uploaded]
            return Reply(200, "\n".join([*lines, *self.garbage]).encode())
        if request.headers.get("authorization") != f"Bearer {BEARER}":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        if request.path == "/2/tweets/search/stream":
            return self.scripts.next(Stream([], content_type="application/json", hold=True, heartbeat=b"\r\n"))
        if request.path == "/2/tweets/search/stream/rules":
            return self._rules(request)
        if request.path == "/2/compliance/jobs" and request.method == "GET":
            return Reply(200, {"data": list(self.jobs.values()), "meta": {"result_count": len(self.jobs)}})
        if request.path == "/2/compliance/jobs" and request.method == "POST":
            job_id = str(len(self.jobs) + 1)
            self.jobs[job_id] = {"id": job_id, "type": "tweets", "status": "created",
                                 "upload_url": f"{self.base}/upload/{job_id}",
                                 "download_url": f"{self.base}/download/{job_id}"}
            return Reply(200, {"data": self.jobs[job_id]})
        if request.path.startswith("/2/compliance/jobs/"):
            job = self.jobs[request.path.rsplit("/", 1)[1]]
            if self.statuses:
                job["status"] = self.statuses.pop(0)
            return Reply(200, {"data": job})
        return Reply(404, {"title": "Not Found"})

    def _rules(self, request):
        if request.method == "GET":
            return Reply(200, {"data": self.rules, "meta": {"result_count": len(self.rules)}})
        body = json.loads(request.body)
        if "delete" in body:
            self.rules = [r for r in self.rules if r["id"] not in body["delete"]["ids"]]
            return Reply(200, {"meta": {"summary": {"deleted": len(body["delete"]["ids"])}}})
        added = []
        for rule in body["add"]:
            added.append({"id": str(self.next_rule), **rule})
            self.next_rule += 1
        self.rules += added
        return Reply(201, {"data": added, "meta": {"summary": {"created": len(added)}}})


@pytest.fixture
def run(tmp_path, monkeypatch):
    for name in ("network_backoff", "http_backoff", "rate_backoff"):
        monkeypatch.setattr(XStreamConnector, name, (0.01, 0.05))
    monkeypatch.setattr(XStreamConnector, "batch_seconds", 0.05)
    monkeypatch.setattr(XComplianceConnector, "poll_seconds", 0.01)
    monkeypatch.setenv("CIVICPULSE_STREAM_WINDOW", "10")
    creds = tmp_path / "x.json"
    creds.write_text(json.dumps({"bearer_token": BEARER}))

    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    invoke.creds = creds
    return invoke


def _rows(db: Path, sql: str) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query(sql)
    finally:
        store.close()


def _add(run, api, platform: str, target: str) -> str:
    added = run("sources", "add", "--workspace", "w", "--platform", platform, "--target", target, "--api-base",
                api.base, "--credentials", str(run.creds), "--no-test")
    assert added.code == 0, added.stderr
    return added.stdout.strip()


def _stream_tweets(run, monkeypatch, events: int, pause: str | None = None) -> None:
    monkeypatch.setenv("CIVICPULSE_STREAM_MAX_EVENTS", str(events))
    result = run("collect", "--workspace", "w", "--once")
    assert result.code == 0, result.stderr
    if pause:  # the compliance runs that follow need no stream window
        assert run("sources", "pause", "--workspace", "w", pause).code == 0


def test_the_rule_is_synced_and_matching_posts_are_stored_across_an_operational_disconnect(run, monkeypatch):
    world = XWorld([Stream([b"\r\n", matched(1), matched(2, "2", "dashboard"), b"\r\n", matched(3), DISCONNECT],
                           content_type="application/json"),
                    Stream([matched(5)[:60]], content_type="application/json"),  # cut off mid-line
                    Stream([matched(4)], content_type="application/json", hold=True, heartbeat=b"\r\n")])
    with StreamServer(world) as api:
        _add(run, api, "x-stream", "ngập nước lang:vi")
        _stream_tweets(run, monkeypatch, 3)
    assert [r for r in world.rules if r["tag"] == "civicpulse"] == [
        {"id": "900", "value": "ngập nước lang:vi", "tag": "civicpulse"}]
    assert {"id": "2", "value": "another team's rule", "tag": "dashboard"} in world.rules  # not ours: left alone
    rule_calls = [(r.method, json.loads(r.body) if r.body else None) for r in api.requests
                  if r.path.endswith("/rules")]
    assert rule_calls == [("GET", None), ("POST", {"delete": {"ids": ["1"]}}),
                          ("POST", {"add": [{"value": "ngập nước lang:vi", "tag": "civicpulse"}]})]
    assert world.scripts.connections == 3
    assert _rows(run.db, "SELECT rejected FROM collect_runs")[-1][0] == 1  # the cut-off line, with its reason
    stream_query = next(r.query for r in api.requests if r.path == "/2/tweets/search/stream")
    assert "max_results" not in stream_query and "created_at" in stream_query["tweet.fields"]
    rows = _rows(run.db, "SELECT post_id, text FROM posts ORDER BY post_id")
    assert [r[0] for r in rows] == [tweet(n)["id"] for n in (1, 3, 4)]  # 2 matched another team's rule
    assert all("person_" not in r[1] for r in rows)


def test_x_documented_reconnect_backoff():
    network = Backoff(*XStreamConnector.network_backoff, linear=XStreamConnector.linear_network_backoff)
    waits = [network.next() for _ in range(70)]
    assert waits[:4] == [0.25, 0.5, 0.75, 1.0] and waits[63:] == [16.0] * 7
    http = Backoff(*XStreamConnector.http_backoff)
    assert [http.next() for _ in range(8)] == [5, 10, 20, 40, 80, 160, 320, 320]
    rate = Backoff(*XStreamConnector.rate_backoff)
    assert [rate.next() for _ in range(3)] == [60, 120, 240]
    assert XStreamConnector.backoff_jitter == 0.0


def test_a_long_429_defers_the_stream_and_a_refused_token_fails_it(run, tmp_path):
    world = XWorld([Reply(429, {"title": "ConnectionException", "detail": "Too many connections"},
                          {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "4102444800"})])
    with StreamServer(world) as api:
        _add(run, api, "x-stream", "lụt")
        limited = run("collect", "--workspace", "w", "--once")
        assert limited.code == 0 and "rate-limited" in limited.stdout and "2100-01-01" in limited.stderr
        wrong = tmp_path / "wrong.json"
        wrong.write_text(json.dumps({"bearer_token": "revoked-bearer"}))
        run("sources", "add", "--workspace", "w2", "--platform", "x-stream", "--target", "lụt", "--api-base",
            api.base, "--credentials", str(wrong), "--no-test")
        failed = run("collect", "--workspace", "w2", "--once")
    assert failed.code == 2 and "refused the credentials" in failed.stderr and "revoked" not in failed.stderr


def test_a_compliance_job_uploads_the_held_ids_and_its_deletions_reach_the_store(run, monkeypatch):
    world = XWorld([Stream([matched(n) for n in range(1, 6)], content_type="application/json", hold=True,
                           heartbeat=b"\r\n")])
    with StreamServer(world) as api:
        world.base = api.base
        _stream_tweets(run, monkeypatch, 5, pause=_add(run, api, "x-stream", "lụt"))
        _add(run, api, "x-compliance", "tweets")
        world.verdicts = {tweet(1)["id"]: "deleted", tweet(2)["id"]: "scrub_geo", "999": "suspended"}
        world.garbage = ['{"id": "18000000000000000', 'not json']
        first = run("collect", "--workspace", "w", "--once")
        assert first.code == 0, first.stderr
        assert _rows(run.db, "SELECT r.rejected FROM collect_runs r JOIN collect_sources s USING (source_id) "
                             "WHERE s.platform = 'x-compliance'") == [(2,)]
        world.garbage = []
        assert sorted(world.uploaded) == sorted(tweet(n)["id"] for n in range(1, 6))
        world.statuses = ["complete"]
        again = run("collect", "--workspace", "w", "--once", "--now")
        assert again.code == 0, again.stderr
        tested = run("sources", "add", "--workspace", "w2", "--platform", "x-compliance", "--target", "tweets",
                     "--api-base", api.base, "--credentials", str(run.creds))
        assert tested.code == 0 and "may run compliance jobs (2 recent)" in tested.stderr
    assert sorted(world.uploaded) == sorted(tweet(n)["id"] for n in range(3, 6))  # deleted ones are not re-checked
    rows = dict(_rows(run.db, "SELECT post_id, deleted FROM posts"))
    assert rows == {**{tweet(n)["id"]: n <= 2 for n in range(1, 6)}}  # no tombstone for ids we never held
    assert _rows(run.db, f"SELECT text, author_key FROM posts WHERE post_id = '{tweet(2)['id']}'") == [(None, None)]
    cursors = [json.loads(c) for (c,) in _rows(run.db, "SELECT cursor FROM collect_cursors")]
    assert {"last_job": "2", "checked": 3, "actions": 0} in cursors


def test_an_unfinished_job_is_polled_again_by_the_next_run_not_created_twice(run, monkeypatch):
    monkeypatch.setattr(XComplianceConnector, "max_poll_seconds", 0.0)
    world = XWorld([Stream([matched(1), matched(2)], content_type="application/json", hold=True,
                           heartbeat=b"\r\n")])
    with StreamServer(world) as api:
        world.base = api.base
        _stream_tweets(run, monkeypatch, 2, pause=_add(run, api, "x-stream", "lụt"))
        _add(run, api, "x-compliance", "tweets")
        world.verdicts = {tweet(2)["id"]: "protected"}
        world.statuses = ["in_progress"]
        assert run("collect", "--workspace", "w", "--once").code == 0
        assert _rows(run.db, "SELECT count(*) FROM posts WHERE deleted")[0][0] == 0
        world.statuses = ["complete"]
        assert run("collect", "--workspace", "w", "--once", "--now").code == 0
        world.statuses = ["failed"]
        failed = run("collect", "--workspace", "w", "--once", "--now")
    assert len(world.jobs) == 2  # the unfinished job was resumed, a new one only after it completed
    assert _rows(run.db, "SELECT post_id FROM posts WHERE deleted") == [(tweet(2)["id"],)]
    assert failed.code == 2 and "job 2 failed" in failed.stderr


@NEEDS_SHARED
def test_recorded_stream_lines_and_compliance_lines_are_stored_and_applied(run, monkeypatch):
    recorded = (SHARED / "x_twitter/v2_twarc2/streaming_output_with_error.jsonl").read_text().split("\n")
    whole = [json.loads(raw) for raw in recorded[:-1]]
    for doc in whole:
        doc.pop("__twarc")  # twarc's, not X's
    cut_off = recorded[-1].encode()  # the recording ends mid-line
    world = XWorld([Stream([*(line(d) for d in whole), cut_off], content_type="application/json"),
                    Stream([], content_type="application/json", hold=True, heartbeat=b"\r\n")])
    world.next_rule = whole[0]["matching_rules"][0]["id"]  # the rule the recording matched, made ours
    with StreamServer(world) as api:
        world.base = api.base
        _stream_tweets(run, monkeypatch, len(whole), pause=_add(run, api, "x-stream", "python lang:en"))
        ids = sorted(r[0] for r in _rows(run.db, "SELECT post_id FROM posts"))
        assert ids == sorted({d["data"]["id"] for d in whole})
        compliance = [json.loads(raw) for raw in
                      (SHARED / "x_twitter/v2_twarc2/tweets_compliance.jsonl").read_text().splitlines() if raw]
        world.verdicts = {ids[i]: verdict["reason"] for i, verdict in enumerate(compliance)}
        _add(run, api, "x-compliance", "tweets")
        assert run("collect", "--workspace", "w", "--once").code == 0
    deleted = sorted(r[0] for r in _rows(run.db, "SELECT post_id FROM posts WHERE deleted"))
    assert deleted == sorted(world.verdicts) and len(deleted) == len(compliance)
