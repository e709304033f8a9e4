"""Mastodon end to end through the CLI against a local fake instance replaying the recorded timeline shape."""

from __future__ import annotations

import json

import pytest
from fake_api import LOOPBACK, FakeApi, Reply, cli
from fake_platforms import NEEDS_SHARED, MastodonWorld, shared_json

from civicpulse.collect import get
from civicpulse.collect.base import TargetError
from civicpulse.store.duckdb_store import DuckDBStore
from conftest import mastodon_status

pytestmark = LOOPBACK


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str):
        return cli(tmp_path / "store.duckdb", *args)

    invoke.db = tmp_path / "store.duckdb"
    return invoke


def _posts(db) -> list[tuple]:
    store = DuckDBStore(str(db), read_only=True)
    try:
        return store.query("SELECT platform, post_id, text, author_key FROM posts ORDER BY post_id")
    finally:
        store.close()


@NEEDS_SHARED
def test_hashtag_and_public_timelines_are_collected_and_caught_up_with_min_id(run):
    recorded = shared_json("mastodon/timeline_public_local_instance.json")
    world = MastodonWorld(recorded)
    with FakeApi(world) as api:
        world.base = api.base
        added = run("sources", "add", "--workspace", "w", "--platform", "mastodon", "--target", "public",
                        "--api-base", api.base, "--every", "15m")
        assert added.code == 0, added.stderr
        source_id = added.stdout.strip()
        assert len(source_id) == 8

        first = run("collect", "--workspace", "w", "--once")
        assert first.code == 0, first.stderr
        assert "collect summary" in first.stdout and source_id in first.stdout
        assert len(_posts(run.db)) == len(recorded)

        # Not due again before its schedule: nothing is fetched.
        requests_before = len(api.requests)
        idle = run("collect", "--workspace", "w", "--once")
        assert idle.code == 0 and "no source is due" in idle.stderr
        assert len(api.requests) == requests_before

        # 55 new statuses: caught up from the cursor in pages of 40, following min_id, none twice.
        newest = max(int(s["id"]) for s in recorded)
        world.statuses += [mastodon_status(str(newest + i), f"Triều cường dâng cao lần {i}", account_id=str(i % 5))
                           for i in range(1, 56)]
        again = run("collect", "--workspace", "w", "--once", "--now")
        assert again.code == 0, again.stderr
    posts = _posts(run.db)
    assert len(posts) == len(recorded) + 55
    assert len({p[1] for p in posts}) == len(posts)
    catch_up = [r for r in api.requests[requests_before:]]
    assert catch_up[0].query["min_id"] == str(newest)  # resumed from the saved cursor
    assert [r.query.get("min_id") for r in catch_up][1] == str(newest + 40)
    assert all("lan_anh" not in (p[2] or "") for p in posts)  # handles never stored
    assert all(p[3] and p[3].startswith("1.") for p in posts)  # authors pseudonymized


def test_sources_list_shows_health_and_pause_resume_remove_are_audited(run):
    world = MastodonWorld([mastodon_status("100", "Mưa lớn"), mastodon_status("101", "Kẹt xe")])
    with FakeApi(world) as api:
        source_id = run("sources", "add", "--workspace", "w", "--platform", "mastodon", "--target", "#ngapnuoc",
                            "--api-base", api.base).stdout.strip()
        run("collect", "--workspace", "w", "--once")
    assert api.requests[-1].path == "/api/v1/timelines/tag/ngapnuoc"
    listing = run("sources", "list", "--workspace", "w")
    assert listing.code == 0
    row = next(line for line in listing.stdout.splitlines() if source_id in line)
    assert "#ngapnuoc" in row and "ok" in row and " 2 " in row and "15m" in row
    assert run("sources", "pause", "--workspace", "w", source_id).code == 0
    assert "paused" in run("sources", "list", "--workspace", "w").stdout
    assert "no source is due" in run("collect", "--workspace", "w", "--once", "--now").stderr
    assert run("sources", "resume", "--workspace", "w", source_id).code == 0
    shown = run("sources", "show", "--workspace", "w", source_id)
    assert "platform: mastodon" in shown.stdout and "paused: no" in shown.stdout
    assert run("sources", "remove", "--workspace", "w", source_id).code == 0
    missing = run("sources", "show", "--workspace", "w", source_id)
    assert missing.code == 1 and "no source" in missing.stderr
    store = DuckDBStore(str(run.db), read_only=True)
    try:
        actions = [e["action"] for e in store.audit_entries("w")]
    finally:
        store.close()
    assert actions[:1] == ["sources.add"] and {"sources.pause", "sources.resume", "sources.remove"} <= set(actions)


def test_a_failing_instance_gives_exit_2_and_the_reason_while_other_sources_still_run(run):
    good = MastodonWorld([mastodon_status("200", "Nước rút rồi")])
    broken = MastodonWorld([mastodon_status("300", "x")])
    with FakeApi(good) as good_api, FakeApi(broken) as broken_api:
        run("sources", "add", "--workspace", "w", "--platform", "mastodon", "--target", "public",
                "--api-base", broken_api.base)
        run("sources", "add", "--workspace", "w", "--platform", "mastodon", "--target", "local",
                "--api-base", good_api.base)
        broken.fail_next = [Reply(404, {"error": "Record not found"})]
        result = run("collect", "--workspace", "w", "--once")
    assert result.code == 2
    assert "HTTP 404" in result.stderr and "Record not found" in result.stderr
    assert "failed" in result.stdout and "ok" in result.stdout
    assert [p[1] for p in _posts(run.db)] == ["200"]
    assert good_api.requests[-1].query.get("local") == "true"


@pytest.mark.parametrize("target", ["@lan_anh@social.vn", "from:lan_anh", "/api/v1/accounts/42/statuses"])
def test_per_person_targets_are_refused(target, run):
    with pytest.raises(TargetError, match="per-person"):
        get("mastodon").validate_target(target)
    refused = run("sources", "add", "--workspace", "w", "--platform", "mastodon", "--target", target,
                      "--no-test")
    assert refused.code == 1 and "privacy by design" in refused.stderr


def test_unknown_target_and_platform_are_clear_errors(run):
    bad = run("sources", "add", "--workspace", "w", "--platform", "mastodon", "--target", "trending", "--no-test")
    assert bad.code == 1 and "#hashtag" in bad.stderr
    unknown = run("sources", "add", "--workspace", "w", "--platform", "myspace", "--target", "x", "--no-test")
    assert unknown.code == 1 and "no connector for platform 'myspace'" in unknown.stderr
    assert json.dumps(unknown.stderr).count("Traceback") == 0
