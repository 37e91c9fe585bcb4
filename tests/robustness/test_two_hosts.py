"""Two hosts: two daemons in two network namespaces joined by a veth pair, a ksocket UDP tunnel.

The namespaces, the veth pair and the private addresses 10.200.0.1/30 and
10.200.0.2/30 exist only inside the test; every packet stays on that link.
Skipped where namespaces cannot be made (not root, no ``ip``, not permitted).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from typing import Iterator, List, Tuple

import pytest

from rob_support import WAIT, Emud
from pyngraph.abi import Mkpeer, encode_sockaddr
from pyngraph.abi.constants import AF_INET, NGM_GENERIC_COOKIE, NGM_MKPEER
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_BIND, NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE

ADDR_A, ADDR_B, PORT = "10.200.0.1", "10.200.0.2", 4789
PACKETS, WINDOW = 300, 25


def _ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def namespaces() -> Iterator[Tuple[str, str]]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command (iproute2)")
    tag = f"pyng{os.getpid() % 100000}"
    a, b = f"{tag}a", f"{tag}b"
    made: List[str] = []
    try:
        for ns in (a, b):
            result = _ip("netns", "add", ns)
            if result.returncode != 0:
                pytest.skip(f"cannot create a network namespace: {result.stderr.strip()}")
            made.append(ns)
        steps = [
            ("link", "add", f"{tag}va", "netns", a, "type", "veth", "peer", "name", f"{tag}vb", "netns", b),
            ("-n", a, "addr", "add", f"{ADDR_A}/30", "dev", f"{tag}va"),
            ("-n", b, "addr", "add", f"{ADDR_B}/30", "dev", f"{tag}vb"),
            ("-n", a, "link", "set", f"{tag}va", "up"), ("-n", b, "link", "set", f"{tag}vb", "up"),
            ("-n", a, "link", "set", "lo", "up"), ("-n", b, "link", "set", "lo", "up"),
        ]
        for step in steps:
            result = _ip(*step)
            if result.returncode != 0:
                pytest.skip(f"cannot set up the veth link ({' '.join(step)}): {result.stderr.strip()}")
        yield a, b
    finally:
        for ns in made:  # deleting a namespace deletes its end of the veth pair, and so the pair
            _ip("netns", "del", ns)


class Tunnel:
    """A socket node with a ksocket UDP endpoint bound to ``local`` and connected to ``remote``."""

    def __init__(self, daemon: Emud, local: str, remote: str) -> None:
        self.lib = daemon.lib()
        self.cs, self.ds = self.lib.NgMkSockNode(None, True)
        self.lib.NgSendMsg(self.cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER,
                           Mkpeer("ksocket", "tun", "inet/dgram/udp").encode())
        self.lib.NgSendMsg(self.cs, "tun", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND,
                           encode_sockaddr(AF_INET, (local, PORT)))
        self.lib.NgSendMsg(self.cs, "tun", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                           encode_sockaddr(AF_INET, (remote, PORT)))

    def send(self, data: bytes) -> None:
        self.lib.NgSendData(self.ds, "tun", data)

    def recv(self) -> bytes:
        if not select.select([self.ds], [], [], WAIT)[0]:
            pytest.fail(f"the tunnel delivered nothing within {WAIT} s")
        data, hook = self.lib.NgRecvData(self.ds, 70000)
        assert hook == "tun"
        return data

    def close(self) -> None:
        self.lib.transport.close(self.ds)
        self.lib.transport.close(self.cs)


def test_udp_tunnel_between_two_namespaces(namespaces: Tuple[str, str], emud_factory) -> None:
    ns_a, ns_b = namespaces
    daemon_a = emud_factory(name="a.sock", prefix=["ip", "netns", "exec", ns_a])
    daemon_b = emud_factory(name="b.sock", prefix=["ip", "netns", "exec", ns_b])
    a = Tunnel(daemon_a, ADDR_A, ADDR_B)
    b = Tunnel(daemon_b, ADDR_B, ADDR_A)
    try:
        got_at_b: List[bytes] = []
        got_at_a: List[bytes] = []
        for start in range(0, PACKETS, WINDOW):
            window = range(start, min(start + WINDOW, PACKETS))
            for n in window:
                a.send(b"a->b %d " % n + bytes(n))
                b.send(b"b->a %d " % n + bytes(n))
            got_at_b.extend(b.recv() for _ in window)
            got_at_a.extend(a.recv() for _ in window)
        assert got_at_b == [b"a->b %d " % n + bytes(n) for n in range(PACKETS)]
        assert got_at_a == [b"b->a %d " % n + bytes(n) for n in range(PACKETS)]
    finally:
        a.close()
        b.close()
    assert daemon_a.stop() == 0, daemon_a.stderr()
    assert daemon_b.stop() == 0, daemon_b.stderr()
