"""Fixtures of the API tests: socket nodes on the active backend (emulated on Linux) and loopback peers."""

from __future__ import annotations

import socket
from typing import Iterator

import pytest

from pyngraph.api import SockNode


@pytest.fixture
def sock() -> Iterator[SockNode]:
    """A fresh socket node, closed after the test."""
    with SockNode() as node:
        yield node


@pytest.fixture
def udp_peer() -> Iterator[socket.socket]:
    """A plain UDP socket on 127.0.0.1 (3 s timeout) to talk to ksockets."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    yield s
    s.close()
