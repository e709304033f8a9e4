"""The suite runs with pytest-socket's --allow-hosts (pyproject.toml): a connection to anything but loopback fails."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


@pytest.mark.parametrize("address", ["192.0.2.1", "10.0.0.1", "2001:db8::1"])  # documentation/private ranges
def test_a_connection_outside_loopback_is_refused_before_it_leaves(address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(SocketConnectBlockedError):
        sock.connect((address, 80))
