"""Fixtures of the API tests: each test that takes ``api`` (or ``sock``) runs on the blocking API and on asyncio."""

from __future__ import annotations

import socket
from typing import Any, Iterator

import pytest

from api_support import Api


@pytest.fixture(params=["blocking", "asyncio"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The API a test runs on: call ``api(result)`` on every call's result (awaited on asyncio)."""
    runner = Api(request.param)
    yield runner
    runner.close()


@pytest.fixture
def sock(api: Api) -> Iterator[Any]:
    """A fresh socket node of the test's API, closed after the test."""
    node = api.socknode()
    yield node
    node.close()


@pytest.fixture
def udp_peer() -> Iterator[socket.socket]:
    """A plain UDP socket on 127.0.0.1 (3 s timeout) to talk to ksockets."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(3)
    yield s
    s.close()
