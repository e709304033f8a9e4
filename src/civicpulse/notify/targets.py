"""Where a webhook may be sent: public http(s) hosts only, unless the instance allow-lists an on-premise receiver.

A webhook URL is chosen by a workspace analyst, but the request leaves from the server, inside its network. Without
a policy the server becomes a proxy to its own loopback, the private network and the cloud metadata service, and
the delivery outcome a port scanner. So a URL is parsed strictly, its host resolved, and refused when ANY address
is not public, and the request then goes to that vetted address (webhook.py pins it), so a DNS answer that changes
between the check and the connect (rebinding) cannot redirect it. Every redirect hop is vetted the same way.

`CIVICPULSE_WEBHOOK_ALLOW` (comma-separated) lets an instance reach on-premise receivers: addresses or CIDR
ranges or host names, each with an optional port: `127.0.0.1:8080`, `10.0.0.0/8`, `[::1]:9000`,
`[fd00::/8]:443`, `hooks.intranet:8443`. Metadata services stay refused whatever the list says.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import urllib.parse
from dataclasses import dataclass

ALLOW_ENV = "CIVICPULSE_WEBHOOK_ALLOW"
MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# Cloud metadata and platform services: AWS/GCP/Azure/OpenStack (169.254.169.254), AWS over IPv6, ECS task
# metadata, Alibaba, Azure's wire server (a public-looking address, hence named here).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200", "168.63.129.16"))
METADATA_NAMES = frozenset((
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal",
    "metadata.azure.com", "metadata.platformequinix.com"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_PORT = re.compile(r"^(.*):([0-9]{1,5})$")

class TargetRefused(ValueError):
    """The URL may not be used as a webhook target; the message says why without naming internal addresses."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"webhook target not allowed: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class ParsedUrl:
    url: str
    scheme: str
    host: str  # lowercase, IDNA-encoded, no brackets
    port: int
    target: str  # path and query, as sent in the request line
    literal: IPAddress | None  # when the host is an IP address


@dataclass(frozen=True)
class Target:
    """A URL that passed the policy, with the addresses (all vetted) the request may connect to, in order."""

    parsed: ParsedUrl
    addresses: tuple[str, ...]

    @property
    def address(self) -> str:
        return self.addresses[0]


def parse_url(url: str) -> ParsedUrl:
    """Absolute http(s) URL, no credentials, a host that is a canonical IP address or a DNS name."""
    text = (url or "").strip()
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"webhook URL must be an absolute http:// or https:// URL, got {url!r}")
    if len(text) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 or c == "\\" for c in text):
        raise TargetRefused("malformed URL")
    if "@" in parts.netloc:
        raise TargetRefused("credentials in the URL")
    try:
        port = parts.port
    except ValueError:
        raise TargetRefused("invalid port") from None
    host, literal = _host(parts.netloc, parts.hostname or "")
    scheme = parts.scheme.lower()
    target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return ParsedUrl(text, scheme, host, port or (443 if scheme == "https" else 80), target, literal)


def _host(netloc: str, hostname: str) -> tuple[str, IPAddress | None]:
    if not hostname:
        raise TargetRefused("no host")
    if netloc.startswith("["):
        if "%" in hostname:
            raise TargetRefused("scoped IPv6 address")
        try:
            return hostname, ipaddress.IPv6Address(hostname)
        except ValueError:
            raise TargetRefused("invalid IPv6 address") from None
    try:
        return hostname, ipaddress.IPv4Address(hostname)  # canonical dotted quads only
    except ValueError:
        pass
    try:
        name = hostname.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise TargetRefused("invalid host name") from None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise TargetRefused("invalid host name")
    if _NUMERIC_LABEL.match(labels[-1]):  # 2130706433, 0x7f.1, 127.1, 0177.0.0.1: addresses in disguise
        raise TargetRefused("numeric host form")
    return name, None


@dataclass(frozen=True)
class AllowEntry:
    network: Network | None
    host: str | None
    port: int | None

    def permits(self, host: str, address: IPAddress, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        return host == self.host if self.host is not None else address in self.network  # type: ignore[operator]


@dataclass(frozen=True)
class AllowList:
    entries: tuple[AllowEntry, ...] = ()

    @classmethod
    def parse(cls, spec: str) -> AllowList:
        return cls(tuple(_allow_entry(item.strip()) for item in (spec or "").split(",") if item.strip()))

    @classmethod
    def from_env(cls) -> AllowList:
        return cls.parse(os.environ.get(ALLOW_ENV, ""))

    def permits(self, host: str, address: IPAddress, port: int) -> bool:
        return any(e.permits(host, address, port) for e in self.entries)


def _allow_entry(item: str) -> AllowEntry:
    text, port = item, None
    match = _PORT.match(item)
    if match and (item.startswith("[") or match[1].count(":") == 0):
        text, port = match[1], int(match[2])
        if not 0 < port < 65536:
            raise ValueError(f"{ALLOW_ENV}: invalid port in {item!r}")
    text = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        return AllowEntry(ipaddress.ip_network(text, strict=False), None, port)
    except ValueError:
        pass
    try:
        host, _ = _host(text, text.lower())
    except TargetRefused:
        raise ValueError(f"{ALLOW_ENV}: {item!r} is neither an address, a CIDR range nor a host name") from None
    return AllowEntry(None, host, port)


def refusal(address: IPAddress) -> str | None:
    """Why an address is no place for a webhook, or None for a public one."""
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return refusal(embedded)
    if address in METADATA_ADDRESSES:
        return "metadata address"
    for reason, flagged in (("loopback address", address.is_loopback), ("link-local address", address.is_link_local),
                            ("multicast address", address.is_multicast),
                            ("unspecified address", address.is_unspecified), ("reserved address", address.is_reserved),
                            ("private address", address.is_private),
                            ("shared address space", address in _CGNAT), ("non-public address", not address.is_global)):
        if flagged:
            return reason
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64): it is where the packets end up."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def getaddrinfo(host: str, port: int) -> list[tuple]:
    """The resolver the policy uses; tests replace it so that no name is ever looked up for real."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def resolve(parsed: ParsedUrl) -> list[IPAddress]:
    if parsed.literal is not None:
        return [parsed.literal]
    try:
        infos = getaddrinfo(parsed.host, parsed.port)
    except (OSError, UnicodeError):
        raise TargetRefused("host does not resolve") from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
    if not addresses:
        raise TargetRefused("host does not resolve")
    return addresses


def vet(url: str, allow: AllowList | None = None) -> Target:
    """Parse, resolve and check `url`; the Target names the addresses to connect to. Raises TargetRefused."""
    parsed = parse_url(url)
    allow = AllowList.from_env() if allow is None else allow
    if parsed.host in METADATA_NAMES or (parsed.host.endswith(".internal") and "metadata" in parsed.host):
        raise TargetRefused("metadata address")
    addresses = resolve(parsed)
    for address in addresses:  # all of them: a name with one public and one private address is refused
        reason = refusal(address)
        if reason == "metadata address" or (reason and not allow.permits(parsed.host, address, parsed.port)):
            raise TargetRefused(reason)
    return Target(parsed, tuple(str(a) for a in addresses))
