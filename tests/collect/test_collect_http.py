"""The shared HTTP client: retries, backoff with jitter, reset-aware waits, against a real local server."""

from __future__ import annotations

import random

import pytest
from fake_api import LOOPBACK, FakeApi, FakeClock, Reply, Request, client_for

from civicpulse.collect.http import AuthError, CollectError, RateHeaders, RateLimited

pytestmark = LOOPBACK


def _sequence(*replies: Reply):
    queue = list(replies)

    def route(request: Request) -> Reply:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return route


def test_429_with_window_used_up_sleeps_until_the_reset_then_succeeds():
    clock = FakeClock()
    reset = int(clock.now) + 40
    with FakeApi(_sequence(Reply(429, {"title": "Too Many Requests"},
                                 {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)}),
                           Reply(200, {"ok": 1}))) as api:
        client = client_for(api, clock, rng=random.Random(1))
        assert client.get("/x").body == {"ok": 1}
    assert len(clock.slept) == 1
    assert 40 <= clock.slept[0] <= 41  # until the reset, plus at most a second of jitter
    assert len(api.requests) == 2


def test_429_while_the_window_has_requests_left_backs_off_briefly_instead_of_waiting_for_the_reset():
    clock = FakeClock()
    far = int(clock.now) + 900
    with FakeApi(_sequence(Reply(429, {}, {"x-rate-limit-remaining": "120", "x-rate-limit-reset": str(far)}),
                           Reply(200, {"ok": 1}))) as api:
        client = client_for(api, clock, rng=random.Random(2))
        assert client.get("/x").body == {"ok": 1}
    assert len(clock.slept) == 1 and clock.slept[0] <= 1.0


def test_5xx_retries_with_growing_jittered_backoff():
    clock = FakeClock()
    with FakeApi(_sequence(Reply(503, b"busy"), Reply(502, b"bad gateway"), Reply(500, {}), Reply(200, [1]))) as api:
        client = client_for(api, clock, rng=random.Random(3), base_delay=1.0)
        assert client.get("/x").body == [1]
    assert len(clock.slept) == 3
    for attempt, slept in enumerate(clock.slept, start=1):
        ceiling = 2 ** (attempt - 1)
        assert ceiling / 2 <= slept <= ceiling


def test_retry_after_header_wins():
    clock = FakeClock()
    with FakeApi(_sequence(Reply(503, {}, {"retry-after": "7"}), Reply(200, {}))) as api:
        client_for(api, clock).get("/x")
    assert clock.slept == [7.0]


def test_truncated_body_is_retried_and_persistent_garbage_gives_up_with_a_clear_reason():
    clock = FakeClock()
    with FakeApi(_sequence(Reply(200, b'{"data": [{"id": "1"'), Reply(200, {"data": []}))) as api:
        assert client_for(api, clock).get("/x").body == {"data": []}
    with FakeApi(_sequence(Reply(200, b"<html>oops"))) as api, pytest.raises(CollectError) as info:
        client_for(api, FakeClock(), max_retries=2).get("/x")
    assert "gave up after 3 attempts" in str(info.value) and "malformed JSON" in str(info.value)


def test_a_wait_longer_than_a_run_may_sleep_ends_the_run_with_the_time_to_come_back():
    clock = FakeClock()
    reset = int(clock.now) + 3600
    reply = Reply(429, {}, {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)})
    with FakeApi(_sequence(reply)) as api, pytest.raises(RateLimited) as info:
        client_for(api, clock, max_wait=60).get("/x")
    assert reset <= info.value.until <= reset + 1
    assert clock.slept == []


def test_a_used_up_window_is_waited_for_before_the_next_request():
    clock = FakeClock()
    reset_in = 30
    with FakeApi(_sequence(Reply(200, {"n": 1}, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset_in)}),
                           Reply(200, {"n": 2}, {"x-ratelimit-remaining": "99", "x-ratelimit-reset": "600"}))) as api:
        client = client_for(api, clock, rate=RateHeaders("x-ratelimit-remaining", "x-ratelimit-reset", "seconds"))
        client.get("/a")
        client.get("/b")
    assert clock.slept == [30.0]


def test_refused_credentials_fail_without_echoing_the_token():
    clock = FakeClock()
    reply = Reply(401, {"title": "Unauthorized", "detail": "Unauthorized"})
    with FakeApi(_sequence(reply)) as api, pytest.raises(AuthError) as info:
        client_for(api, clock).get("/x", headers={"Authorization": "Bearer s3cr3t-token"})
    assert "401" in str(info.value) and "s3cr3t" not in str(info.value)
    assert api.requests[0].headers["authorization"] == "Bearer s3cr3t-token"
