"""The backend-parametrised scenario suite: every test runs once per backend.

``backend`` is "emulated", "freebsd" (ctypes libnetgraph) or
"freebsd-sockets" (Python libnetgraph over PF_NETGRAPH); the FreeBSD ones
skip unless netgraph is usable here.  ``ng`` is a port of FreeBSD's
``tests/sys/netgraph/util.c``: one socket node per test, data handlers per
hook, and an event loop that runs until the sockets are quiet.
"""

from __future__ import annotations

import os
import select
from typing import Callable, Dict, Iterator, List, Optional

import pytest

from pyngraph import backend as backends
from pyngraph import libnetgraph
from pyngraph.abi import Connect, Mkpeer, Name, Rmhook
from pyngraph.abi.constants import (
    NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_NAME, NGM_RMHOOK, NGM_SHUTDOWN,
)

BACKENDS = ["emulated", "freebsd", "freebsd-sockets"]
QUIET_MS = 100  # util.c's ng_handle_events: run until the sockets are quiet this long


def _skip_reason(name: str) -> Optional[str]:
    if name == "emulated":
        return None
    try:
        from pyngraph.backend.freebsd import check_ready
    except ImportError:
        return "FreeBSD backend not built yet"
    try:
        check_ready(library=(name == "freebsd"))
    except OSError as exc:
        return f"backend {name!r} needs FreeBSD with netgraph: {exc}"
    return None


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Make ``request.param`` the active backend for the test."""
    reason = _skip_reason(request.param)
    if reason:
        pytest.skip(reason)
    with backends.using(request.param):
        yield request.param


class NgUtil:
    """util.c: control and data socket of one unnamed node, handlers, an event loop."""

    def __init__(self) -> None:
        self.cs, ds = libnetgraph.NgMkSockNode(None, True)
        assert ds is not None
        self.ds = ds
        self.data_handlers: Dict[str, Callable[[bytes], None]] = {}
        self.messages: List[object] = []

    def connect(self, path1: str, hook1: str, path2: str, hook2: str) -> None:
        libnetgraph.NgSendMsg(self.cs, path1, NGM_GENERIC_COOKIE, NGM_CONNECT,
                              Connect(path2, hook1, hook2).encode())

    def mkpeer(self, path: str, hook: str, type_name: str, peerhook: str) -> None:
        libnetgraph.NgSendMsg(self.cs, path, NGM_GENERIC_COOKIE, NGM_MKPEER,
                              Mkpeer(type_name, hook, peerhook).encode())

    def rmhook(self, path: str, hook: str) -> None:
        libnetgraph.NgSendMsg(self.cs, path, NGM_GENERIC_COOKIE, NGM_RMHOOK, Rmhook(hook).encode())

    def name(self, path: str, name: str) -> None:
        libnetgraph.NgSendMsg(self.cs, path, NGM_GENERIC_COOKIE, NGM_NAME, Name(name).encode())

    def shutdown(self, path: str) -> None:
        libnetgraph.NgSendMsg(self.cs, path, NGM_GENERIC_COOKIE, NGM_SHUTDOWN)

    def send_data(self, hook: str, data: bytes) -> None:
        libnetgraph.NgSendData(self.ds, hook, data)

    def send_msg(self, path: str, text: str) -> int:
        return libnetgraph.NgSendAsciiMsg(self.cs, path, text)

    def register_data(self, hook: str, handler: Callable[[bytes], None]) -> None:
        self.data_handlers[hook] = handler

    def handle_event(self, ms: int) -> bool:
        readable, _, _ = select.select([self.cs, self.ds], [], [], ms / 1000)
        if not readable:
            return False
        if self.cs in readable:
            self.messages.append(libnetgraph.NgAllocRecvMsg(self.cs))
        if self.ds in readable:
            data, hook = libnetgraph.NgAllocRecvData(self.ds)
            handler = self.data_handlers.get(hook)
            if handler is not None:
                handler(data)
        return True

    def handle_events(self, ms: int = QUIET_MS) -> None:
        while self.handle_event(ms):
            pass

    def close(self) -> None:
        close_socket(self.ds)
        close_socket(self.cs)


def close_socket(fd: int) -> None:
    """close(2) a netgraph socket (through the transport where the backend has one)."""
    transport = getattr(backends.get_backend(), "transport", None)
    if transport is not None:
        transport.close(fd)
    else:
        os.close(fd)


@pytest.fixture
def ng(backend: str) -> Iterator[NgUtil]:
    util = NgUtil()
    try:
        yield util
    finally:
        util.close()


@pytest.fixture
def close(backend: str) -> Callable[[int], None]:
    """close(2) for the active backend's netgraph sockets."""
    return close_socket
