"""The webhook target policy: strict URLs, every resolved address public, pinned connections, vetted redirects.

No test here sends a packet beyond loopback: names resolve through a fake resolver, and refusals are checked
with connecting made impossible (any connect fails the test).
"""

from __future__ import annotations

import ipaddress
import socket
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicpulse.notify import targets, webhook
from civicpulse.notify.targets import ALLOW_ENV, AllowList, TargetRefused, refusal, vet
from civicpulse.notify.webhook import DeliveryError, post_signed
from webhook_receiver import WebhookReceiver

SECRET = "s3cret-token"


class FakeDns(dict):
    """name -> addresses; `lookups` counts the queries per name."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups: dict[str, int] = {}


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    """Fake DNS: a name not listed does not resolve."""
    table = FakeDns()

    def lookup(host: str, port: int) -> list[tuple]:
        table.lookups[host] = table.lookups.get(host, 0) + 1
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = {4: socket.AF_INET, 6: socket.AF_INET6}
        return [(family[ipaddress.ip_address(a).version], socket.SOCK_STREAM, 6, "", (a, port)) for a in table[host]]

    monkeypatch.setattr(targets, "getaddrinfo", lookup)
    return table


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every address a webhook connects to; anything other than the local receiver's loopback fails the test."""
    seen: list[tuple] = []
    real = socket.create_connection

    def guarded(address: tuple, *args, **kwargs):
        seen.append(address)
        assert address[0] == "127.0.0.1", f"attempted to connect to {address}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return seen


@pytest.fixture(autouse=True)
def no_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    monkeypatch.setattr(webhook, "_BACKOFF_S", (0.01,))


@pytest.mark.parametrize(("url", "reason"), [
    ("http://127.0.0.1:8080/", "loopback address"),
    ("http://[::1]/", "loopback address"),
    ("http://10.0.0.1/", "private address"),
    ("http://192.168.1.1/", "private address"),
    ("http://172.16.0.1/", "private address"),
    ("http://[fd00::1]/", "private address"),
    ("http://169.254.169.254/latest/meta-data/", "metadata address"),
    ("http://[fd00:ec2::254]/", "metadata address"),
    ("http://169.254.1.1/", "link-local address"),
    ("http://[fe80::1]/", "link-local address"),
    ("http://[::ffff:127.0.0.1]/", "loopback address"),
    ("http://[::ffff:169.254.169.254]/", "metadata address"),
    ("http://[2002:7f00:1::]/", "loopback address"),  # 6to4 around 127.0.0.1
    ("http://[64:ff9b::a00:1]/", "private address"),  # NAT64 around 10.0.0.1
    ("http://0.0.0.0/", "unspecified address"),
    ("http://0.1.2.3/", "private address"),
    ("http://100.64.0.1/", "shared address space"),
    ("http://224.0.0.1/", "multicast address"),
    ("http://240.0.0.1/", "reserved address"),
    ("http://2130706433/", "numeric host form"),
    ("http://0x7f.1/", "numeric host form"),
    ("http://0177.0.0.1/", "numeric host form"),
    ("http://127.1/", "numeric host form"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata address"),
    ("http://metadata/", "metadata address"),
    ("http://user:pw@hooks.example.org/", "credentials in the URL"),
    ("http://hooks.example.org:99999/", "invalid port"),
    ("http://bad_name.example.org/", "invalid host name"),
    ("http://[::1%25eth0]/", "scoped IPv6 address"),
    ("http://hooks.example.org/a b", "malformed URL"),
])
def test_non_public_targets_are_refused_before_any_connection(url: str, reason: str, dns, connects) -> None:
    dns["hooks.example.org"] = ["93.184.216.34"]
    with pytest.raises(TargetRefused, match=f"^webhook target not allowed: {reason}$"):
        vet(url)
    with pytest.raises(TargetRefused):
        post_signed(url, SECRET, {"event_id": "x"})
    assert connects == []


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public(dns, connects) -> None:
    dns["internal.example.test"] = ["10.0.0.1"]
    dns["mixed.example.test"] = ["93.184.216.34", "10.0.0.1"]
    dns["meta.example.test"] = ["169.254.169.254"]
    dns["public.example.test"] = ["93.184.216.34", "2606:2800:220:1::1"]
    for name, reason in (("internal", "private address"), ("mixed", "private address"),
                         ("meta", "metadata address"), ("nowhere", "host does not resolve")):
        with pytest.raises(TargetRefused, match=reason):
            post_signed(f"https://{name}.example.test/hook", SECRET, {})
    target = vet("https://public.example.test/hook?x=1")  # vetted, not contacted
    assert (target.address, target.parsed.host, target.parsed.port, target.parsed.target) == \
        ("93.184.216.34", "public.example.test", 443, "/hook?x=1")
    assert connects == []


def test_the_allow_list_opens_named_ranges_hosts_and_ports_but_never_metadata(dns) -> None:
    dns["hooks.intranet"] = ["10.1.2.3"]
    allow = AllowList.parse("10.0.0.0/8:8443, [::1]:9000, 127.0.0.1, hooks.intranet, 0.0.0.0/0")
    assert vet("https://10.9.9.9:8443/h", allow).address == "10.9.9.9"
    assert vet("http://[::1]:9000/h", allow).address == "::1"
    assert vet("http://127.0.0.1:5/h", allow).address == "127.0.0.1"
    assert vet("http://hooks.intranet/h", allow).address == "10.1.2.3"
    with pytest.raises(TargetRefused, match="private address"):
        vet("https://10.9.9.9:443/h", AllowList.parse("10.0.0.0/8:8443"))
    with pytest.raises(TargetRefused, match="metadata address"):
        vet("http://169.254.169.254/", allow)  # 0.0.0.0/0 covers it; metadata stays refused anyway
    for bad in ("10.0.0.0/33", "http://x", "10.0.0.1:0", "under_score"):
        with pytest.raises(ValueError, match=ALLOW_ENV):
            AllowList.parse(bad)


def test_public_addresses_pass() -> None:
    for address in ("93.184.216.34", "1.1.1.1", "2606:2800:220:1::1"):
        assert refusal(ipaddress.ip_address(address)) is None


def test_the_connection_goes_to_the_vetted_address_with_the_name_as_host(dns, connects, monkeypatch) -> None:
    """DNS rebinding: the name is looked up once per hop and the socket connects to that very answer."""
    with WebhookReceiver() as hook:
        monkeypatch.setenv(ALLOW_ENV, f"127.0.0.1:{hook.port}")
        dns["hook.example.test"] = ["127.0.0.1"]
        original = targets.getaddrinfo

        def rebinding(host: str, port: int) -> list[tuple]:
            answer = original(host, port)
            dns["hook.example.test"] = ["10.0.0.1"]  # a second lookup would now get a private address
            return answer

        monkeypatch.setattr(targets, "getaddrinfo", rebinding)
        assert post_signed(f"http://hook.example.test:{hook.port}/hook", SECRET, {"event_id": "r"}) == 200
        (request,) = hook.requests
    assert request.headers["Host"] == f"hook.example.test:{hook.port}"
    assert dns.lookups == {"hook.example.test": 1} and connects == [("127.0.0.1", hook.port)]


def test_a_name_with_several_vetted_addresses_falls_back_to_the_next(dns, monkeypatch) -> None:
    tried: list[str] = []
    real = socket.create_connection

    def loopback_only(address: tuple, *args, **kwargs):
        tried.append(address[0])
        assert address[0] in ("::1", "127.0.0.1"), f"attempted to connect to {address}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", loopback_only)
    with WebhookReceiver() as hook:  # listens on 127.0.0.1 only: ::1 is refused (or absent)
        monkeypatch.setenv(ALLOW_ENV, f"[::1]:{hook.port},127.0.0.1:{hook.port}")
        dns["dual.example.test"] = ["::1", "127.0.0.1"]
        assert post_signed(f"http://dual.example.test:{hook.port}/hook", SECRET, {}) == 200
    assert tried == ["::1", "127.0.0.1"] and dns.lookups == {"dual.example.test": 1}


@pytest.mark.parametrize("location", ["http://127.0.0.2:{port}/next", "http://169.254.169.254/latest/meta-data/",
                                      "http://[::1]:{port}/next", "http://2130706433/"])
def test_a_redirect_to_a_refused_target_is_never_contacted(location: str, connects, monkeypatch) -> None:
    with WebhookReceiver(statuses=[307], location=location.format(port=0)) as hook:
        monkeypatch.setenv(ALLOW_ENV, f"127.0.0.1:{hook.port}")
        with pytest.raises(TargetRefused):
            post_signed(hook.url, SECRET, {"event_id": "r"})
        assert len(hook.requests) == 1
    assert connects == [("127.0.0.1", hook.port)]


def test_an_attempt_ends_at_its_deadline_even_if_the_receiver_stalls(monkeypatch) -> None:
    hold = threading.Event()
    with WebhookReceiver(hold=hold) as hook:
        monkeypatch.setenv(ALLOW_ENV, "127.0.0.1")
        try:
            with pytest.raises(DeliveryError, match=r"2 attempt.*TimeoutError: no complete answer"):
                post_signed(hook.url, SECRET, {}, timeout=0.3, retries=1)
            assert len(hook.requests) == 2
        finally:
            hold.set()


def no_lookup(host: str, port: int) -> list[tuple]:
    raise AssertionError(f"looked up {host!r}")


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses())
def test_every_address_that_is_not_global_is_refused(address) -> None:
    """Literal addresses need no lookup: the policy's answer must agree with ipaddress.is_global (and more)."""
    host = f"[{address}]" if address.version == 6 else str(address)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(targets, "getaddrinfo", no_lookup)
            vet(f"http://{host}/", AllowList())
    except TargetRefused:
        return
    assert address.is_global and not address.is_multicast and address not in targets.METADATA_ADDRESSES


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1),
       st.sampled_from(["{n}", "{n:#x}", "0{n:o}", "{a}.{b}", "{a:#x}.{b:#x}", "0{a:o}.{b}", "127.{b}"]))
def test_integer_spellings_of_an_address_are_refused(number: int, spelling: str) -> None:
    """What inet_aton would read as an address (decimal, 0x hex, 0 octal, 2-part forms) is never looked up."""
    host = spelling.format(n=number, a=number >> 24, b=number & 0xFFFFFF)
    with pytest.MonkeyPatch.context() as mp, pytest.raises(TargetRefused, match="numeric host form"):
        mp.setattr(targets, "getaddrinfo", no_lookup)
        vet(f"http://{host}/", AllowList())
