"""Fixtures of the emulated-kernel tests: the emulated backend and a socket-node helper."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import pytest

from pyngraph import backend as backends
from pyngraph import libnetgraph as ng
from pyngraph.abi import Connect, Mkpeer, Name, NgMesg, NodeInfo, Rmhook
from pyngraph.abi.constants import (
    NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_NAME, NGM_NODEINFO, NGM_RMHOOK, NGM_SHUTDOWN,
)
from pyngraph.emulator.kernel import Kernel

G = NGM_GENERIC_COOKIE


@contextlib.contextmanager
def running_daemon(tmp_path: Path, env: Optional[Dict[str, str]] = None) -> Iterator[str]:
    """A pyngraph-emud on a socket in ``tmp_path`` (``env``: extra environment); its path."""
    path = str(tmp_path / "emud.sock")
    proc = subprocess.Popen([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", path],
                            stdout=subprocess.PIPE, text=True, env=dict(os.environ, **(env or {})))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == f"pyngraph-emud: listening on {path}"
        yield path
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert not os.path.exists(path)


@pytest.fixture
def start_daemon(tmp_path: Path) -> Callable[..., "contextlib.AbstractContextManager[str]"]:
    """``start_daemon(env=None)``: a context giving the path of a daemon running meanwhile."""
    return lambda env=None: running_daemon(tmp_path, env)


@pytest.fixture(autouse=True)
def emulated() -> Iterator[None]:
    with backends.using("emulated"):
        yield


class Sock:
    """One socket node of the test: control and data socket, and shortcuts."""

    def __init__(self, name: Optional[str] = None, data: bool = True) -> None:
        self.cs, self.ds = ng.NgMkSockNode(name, data)
        self.id = self.nodeinfo(".").id

    def send(self, path: str, cmd: int, args: bytes = b"", cookie: int = G) -> int:
        return ng.NgSendMsg(self.cs, path, cookie, cmd, args)

    def recv(self) -> Tuple[NgMesg, str]:
        return ng.NgAllocRecvMsg(self.cs)

    def ask(self, path: str, cmd: int, args: bytes = b"", cookie: int = G) -> Tuple[NgMesg, str]:
        token = self.send(path, cmd, args, cookie)
        msg, sender = self.recv()
        assert msg.token == token and msg.is_response
        return msg, sender

    def nodeinfo(self, path: str) -> NodeInfo:
        return NodeInfo.decode(self.ask(path, NGM_NODEINFO)[0].data)

    def mkpeer(self, path: str, type_name: str, ourhook: str, peerhook: str) -> None:
        self.send(path, NGM_MKPEER, Mkpeer(type_name, ourhook, peerhook).encode())

    def connect(self, path: str, peer: str, ourhook: str, peerhook: str) -> None:
        self.send(path, NGM_CONNECT, Connect(peer, ourhook, peerhook).encode())

    def name(self, path: str, name: str) -> None:
        self.send(path, NGM_NAME, Name(name).encode())

    def rmhook(self, path: str, hook: str) -> None:
        self.send(path, NGM_RMHOOK, Rmhook(hook).encode())

    def shutdown(self, path: str) -> None:
        self.send(path, NGM_SHUTDOWN)

    def readable(self, fd: int) -> bool:
        return bool(select.select([fd], [], [], 0)[0])

    def recv_data(self) -> Tuple[bytes, str]:
        assert self.ds is not None
        return ng.NgRecvData(self.ds, 70000)

    def close(self) -> None:
        transport = backends.get_backend().transport
        for fd in (self.ds, self.cs):
            if fd is not None:
                transport.close(fd)


@pytest.fixture
def socks() -> Iterator[List[Sock]]:
    """A list to put Sock objects in; all are closed after the test."""
    made: List[Sock] = []
    try:
        yield made
    finally:
        for sock in made:
            sock.close()


@pytest.fixture
def make_sock(socks: List[Sock]) -> Callable[..., Sock]:
    """Make a socket node (``name=None, data=True``), closed after the test."""

    def make(name: Optional[str] = None, data: bool = True) -> Sock:
        sock = Sock(name, data)
        socks.append(sock)
        return sock

    return make


@pytest.fixture
def s(socks: List[Sock]) -> Sock:
    """One unnamed socket node with both sockets."""
    sock = Sock()
    socks.append(sock)
    return sock


@pytest.fixture
def node_ids(kernel: Kernel) -> Callable[[], List[int]]:
    """The IDs of every node in the kernel, now."""
    return lambda: kernel.call(lambda: sorted(kernel.nodes))
