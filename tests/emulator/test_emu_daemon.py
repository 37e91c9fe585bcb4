"""pyngraph-emud shared by two client processes."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Iterator

import pytest

from pyngraph.abi import NodeInfo
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
from pyngraph.backend import create_backend
from pyngraph.errors import NetgraphError

CLIENT_A = textwrap.dedent("""
    import sys
    from pyngraph import libnetgraph as ng
    from pyngraph.abi import Mkpeer
    from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_MKPEER
    cs, ds = ng.NgMkSockNode("procA")
    ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("hub", "h", "a").encode())
    ng.NgNameNode(cs, "h", "shared hub")
    print("ready", flush=True)
    data, hook = ng.NgRecvData(ds, 100)
    print(hook, data.decode(), flush=True)
    sys.stdin.readline()  # exits without closing anything
""")

CLIENT_B = textwrap.dedent("""
    from pyngraph import libnetgraph as ng
    from pyngraph.abi import Connect
    from pyngraph.abi.constants import NGM_CONNECT, NGM_GENERIC_COOKIE
    cs, ds = ng.NgMkSockNode("procB")
    ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_CONNECT, Connect("shared hub:", "b", "b").encode())
    ng.NgSendData(ds, "b", b"hello from B")
""")


@pytest.fixture
def daemon(start_daemon) -> Iterator[str]:
    with start_daemon() as path:
        yield path


def client(script: str, path: str) -> subprocess.Popen:
    env = dict(os.environ, PYNGRAPH_EMULATOR=path, PYNGRAPH_BACKEND="emulated")
    return subprocess.Popen([sys.executable, "-c", script], env=env, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def wait_enoent(lib, cs: int, path: str) -> None:
    for _ in range(1000):
        try:
            lib.NgSendMsg(cs, path, NGM_GENERIC_COOKIE, NGM_NODEINFO)
            lib.NgRecvMsg(cs, 200)
        except NetgraphError as exc:
            assert exc.errno == errno.ENOENT
            return
        time.sleep(0.01)
    pytest.fail(f"{path} is still there")


def test_two_processes_share_one_graph(daemon: str) -> None:
    a = client(CLIENT_A, daemon)
    assert a.stdout is not None and a.stdin is not None
    assert a.stdout.readline().strip() == "ready"
    b = client(CLIENT_B, daemon)
    assert b.wait(timeout=60) == 0
    assert a.stdout.readline().strip() == "h hello from B"

    lib = create_backend("emulated", socket_path=daemon)  # a third process's view: this one
    cs, _ = lib.NgMkSockNode(None, False)
    try:
        lib.NgSendMsg(cs, "procA:", NGM_GENERIC_COOKIE, NGM_NODEINFO)
        info = NodeInfo.decode(lib.NgRecvMsg(cs, 200)[0].data)
        assert (info.name, info.type, info.hooks) == ("procA", "socket", 1)
        wait_enoent(lib, cs, "procB:")  # B exited: its node shut down
        a.stdin.close()
        assert a.wait(timeout=60) == 0
        wait_enoent(lib, cs, "procA:")
        wait_enoent(lib, cs, "shared hub:")  # and the hub went with its last hook
    finally:
        lib.transport.close(cs)


def test_no_daemon_is_an_error(tmp_path: Path) -> None:
    lib = create_backend("emulated", socket_path=str(tmp_path / "nobody"))
    with pytest.raises(NetgraphError) as info:
        lib.NgMkSockNode()
    assert info.value.errno in (errno.ENOENT, errno.ECONNREFUSED)


def test_descriptors_closed_with_os_close_release_their_channels(daemon: str) -> None:
    """os.close() on cs/ds (as C programs close(2) them) leaks no private channel."""
    lib = create_backend("emulated", socket_path=daemon)
    fds_before = len(os.listdir("/proc/self/fd"))
    squatters = []  # plain files take the freed numbers, so no emulated socket reuses them
    try:
        for _ in range(300):
            cs, ds = lib.NgMkSockNode(None, True)
            os.close(ds)
            os.close(cs)
            squatters.append(os.open(os.devnull, os.O_RDONLY))
            squatters.append(os.open(os.devnull, os.O_RDONLY))
        leaked = len(os.listdir("/proc/self/fd")) - fds_before - len(squatters)
        assert leaked <= 2 * 64, f"{leaked} descriptors left behind by 300 closed socket nodes"
    finally:
        for fd in squatters:
            os.close(fd)
