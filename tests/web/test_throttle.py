"""Pieces of sign-in hardening on their own: the back-off limiter, device cookies, `safe_next` and the
off-request recording of API token use (against a real DuckDB file, conflicts included)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicpulse.accounts import Accounts, token_hash
from civicpulse.store.duckdb_store import DuckDBStore
from civicpulse.web.security import safe_next
from civicpulse.web.throttle import DeviceCookies, LoginLimiter
from civicpulse.web.token_usage import TokenUsage

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_back_off_doubles_per_failure_up_to_the_cap_and_success_resets_it() -> None:
    clock = Clock()
    limiter = LoginLimiter(free_failures=2, base_delay=1, max_delay=8, per_client=1000, clock=clock)
    assert [limiter.delay(n) for n in range(8)] == [0, 0, 0, 1, 2, 4, 8, 8]
    waits = []
    for _ in range(6):
        limiter.failed("ann", "10.0.0.1")
        waits.append(limiter.retry_after("ann", "10.0.0.1"))
    assert waits == [0, 0, 1, 2, 4, 8]
    clock.now += 8.5
    assert limiter.retry_after("ann", "10.0.0.1") == 0  # the window closed: the next attempt is checked
    limiter.failed("ann", "10.0.0.1")
    assert limiter.retry_after("ann", "10.0.0.1") == 8  # still capped
    limiter.succeeded("ann")
    assert limiter.retry_after("ann", "10.0.0.1") == 0
    limiter.failed("ann", "10.0.0.1")
    assert limiter.retry_after("ann", "10.0.0.1") == 0  # counting starts again


def test_address_limit_and_device_cookie_bypass() -> None:
    clock = Clock()
    limiter = LoginLimiter(free_failures=100, per_client=3, client_window=60, clock=clock)
    for name in ("a1", "a2", "a3"):  # spraying names from one address
        limiter.failed(name, "10.0.0.9")
    assert limiter.retry_after("someone", "10.0.0.9") > 0
    assert limiter.retry_after("someone", "10.0.0.10") == 0
    assert limiter.retry_after("someone", "10.0.0.9", device="known-browser") == 0
    clock.now += 61
    assert limiter.retry_after("someone", "10.0.0.9") == 0


def test_a_known_device_keeps_working_while_the_user_is_under_attack_and_has_its_own_back_off() -> None:
    limiter = LoginLimiter(free_failures=1, base_delay=60, clock=Clock())
    for _ in range(5):
        limiter.failed("root", "203.0.113.7")  # an attacker elsewhere
    assert limiter.retry_after("root", "198.51.100.2") > 0
    assert limiter.retry_after("root", "198.51.100.2", device="n1") == 0
    limiter.failed("root", "198.51.100.2", device="n1")
    limiter.failed("root", "198.51.100.2", device="n1")
    assert limiter.retry_after("root", "198.51.100.2", device="n1") > 0  # a stolen cookie cannot guess freely


def test_the_limiter_forgets_the_oldest_keys_beyond_its_bound() -> None:
    limiter = LoginLimiter(free_failures=0, max_keys=10, clock=Clock())
    for i in range(100):
        limiter.failed(f"name{i}", f"10.0.{i}.1")
    assert len(limiter._streaks) == 10 and len(limiter._clients) == 10
    assert limiter.retry_after("name99", "x") > 0 and limiter.retry_after("name0", "x") == 0


def test_device_cookies_prove_a_sign_in_as_that_user_only() -> None:
    devices = DeviceCookies()
    cookie = devices.issue("alice")
    assert devices.device_for("alice", cookie) == cookie.split(".")[0]
    assert devices.device_for("bob", cookie) is None
    assert devices.device_for("alice", cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None
    assert devices.device_for("alice", None) is None and devices.device_for("alice", "junk") is None
    assert DeviceCookies().device_for("alice", cookie) is None  # another key (a restarted server)


HOSTILE_NEXT = ["/%5Cattacker.example/", "/%09/attacker.example/", "//evil", "/\\evil", "/%5C%5Cevil",
                "%2F%2Fevil", "https://evil", "/%09/evil", "javascript:alert(1)", "/%2F/evil", "/%252F%252Fevil",
                "/%0d%0aSet-Cookie:x=1", "\t/evil", " /evil", "/\x00", "http:/evil", "/x\\@evil", "evil", ""]


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_safe_next_refuses_other_origins(value: str) -> None:
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", ["/", "/w/city/", "/w/city/posts?q=ng%E1%BA%ADp&sort=new", "/account#tokens"])
def test_safe_next_keeps_paths_of_this_site(value: str) -> None:
    assert safe_next(value) == value


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_safe_next_never_yields_something_a_browser_reads_as_another_origin(value: str) -> None:
    from urllib.parse import unquote, urljoin, urlsplit

    target = safe_next(value)
    resolved = urlsplit(urljoin("https://site.example/login", unquote(unquote(target)).replace("\\", "/")))
    assert resolved.scheme == "https" and resolved.netloc == "site.example"


@contextmanager
def _forks(store: DuckDBStore):
    handle = store.fork()
    try:
        yield handle
    finally:
        handle.close()


@pytest.fixture
def token_store(tmp_path) -> DuckDBStore:
    store = DuckDBStore(str(tmp_path / "t.duckdb"))
    Accounts(store).create_user("bot", PASSWORD)
    yield store
    store.close()


def test_token_use_is_written_by_flush_not_by_the_lookup(token_store: DuckDBStore) -> None:
    accounts = Accounts(token_store)
    token = accounts.create_token("bot", "script")
    assert accounts.user_for_token(token).username == "bot"
    assert accounts.tokens("bot")[0].last_used_at is None  # the lookup wrote nothing
    usage = TokenUsage(lambda: _forks(token_store))
    usage.seen(token_hash(token))
    assert usage.flush() == 1 and usage.pending() == {}
    first = accounts.tokens("bot")[0].last_used_at
    assert first is not None
    accounts.record_token_use(token_hash(token), first - timedelta(minutes=5))  # a late, older note
    assert accounts.tokens("bot")[0].last_used_at == first


def test_a_conflicting_flush_keeps_the_note_and_writes_it_next_time(token_store: DuckDBStore) -> None:
    accounts = Accounts(token_store)
    token = accounts.create_token("bot", "script")
    usage = TokenUsage(lambda: _forks(token_store))
    usage.seen(token_hash(token))
    other = token_store.fork()
    other.execute("BEGIN TRANSACTION")
    other.execute("UPDATE api_tokens SET last_used_at = TIMESTAMP '2020-01-01' WHERE username = 'bot'")  # holds it
    assert usage.flush() == 0  # conflict: dropped for now, no exception
    assert token_hash(token) in usage.pending()
    other.execute("COMMIT")
    other.close()
    assert usage.flush() == 1
    assert isinstance(accounts.tokens("bot")[0].last_used_at, datetime)
