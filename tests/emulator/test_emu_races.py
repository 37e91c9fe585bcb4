"""Races between the caller's thread and the kernel thread (in-process mode)."""

from __future__ import annotations

import select
import socket
import time
from typing import Iterator, List, Tuple

import pytest

from pyngraph import libnetgraph as ng
from pyngraph.abi import Connect, Mkpeer, NodeInfo, encode_sockaddr
from pyngraph.abi.constants import (
    AF_INET, NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_NODEINFO, NGM_SHUTDOWN,
)
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE
from pyngraph.backend import get_backend
from pyngraph.emulator.kernel import Kernel
from pyngraph.errors import NoBufferSpaceError

G = NGM_GENERIC_COOKIE


@pytest.fixture
def socks() -> Iterator[List[Tuple[int, int]]]:
    made: List[Tuple[int, int]] = []
    yield made
    transport = get_backend().transport
    for cs, ds in made:
        transport.close(ds)
        transport.close(cs)


def ksocket_nodes(kernel: Kernel) -> list:
    return [n for n in kernel.nodes.values() if n.type_name == "ksocket" and n.valid]


def test_a_stale_event_never_reaches_a_descriptor_that_reused_the_number(kernel: Kernel, socks) -> None:
    """k1's writable event, pending when k1 dies, must not complete k2's connect (same fd number)."""
    good = socket.create_server(("127.0.0.1", 0))
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    fillers = [socket.socket() for _ in range(3)]  # fill the backlog: later SYNs are dropped
    for f in fillers:
        f.setblocking(False)
        f.connect_ex(full.getsockname())
    time.sleep(0.2)
    cs, ds = ng.NgMkSockNode(None, True)
    socks.append((cs, ds))
    mkpeer = Mkpeer("ksocket", "k1", "inet/stream/tcp").encode()
    try:
        with kernel.lock:  # the kernel thread wakes for k1's event but cannot run it yet
            ng.NgSendMsg(cs, ".", G, NGM_MKPEER, mkpeer)
            with pytest.raises(BlockingIOError):
                ng.NgSendMsg(cs, "k1", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                             encode_sockaddr(AF_INET, good.getsockname()))
            time.sleep(0.2)
            fd1 = ksocket_nodes(kernel)[0]._fd
            ng.NgSendMsg(cs, "k1", G, NGM_SHUTDOWN)
            ng.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "k2", "inet/stream/tcp").encode())
            k2 = ksocket_nodes(kernel)[0]
            if k2._fd != fd1:
                pytest.skip("the descriptor number was not reused this time")
            with pytest.raises(BlockingIOError):
                ng.NgSendMsg(cs, "k2", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                             encode_sockaddr(AF_INET, full.getsockname()))
        time.sleep(0.3)
        assert not select.select([cs], [], [], 0)[0], "a CONNECT reply for a connect still in progress"
    finally:
        for s in [good, full, *fillers]:
            s.close()


def test_a_gone_socket_node_does_not_hold_its_producers_paused(kernel: Kernel, socks, monkeypatch) -> None:
    """With the lossless option, shutting down a node whose user never reads frees the nodes it had paused."""
    monkeypatch.setattr(kernel, "lossless", True)  # not FreeBSD: full receivers pause their producers
    cs_a, ds_a = ng.NgMkSockNode("race-a", True)
    cs_b, ds_b = ng.NgMkSockNode(None, True)
    socks.extend([(cs_a, ds_a), (cs_b, ds_b)])
    ng.NgSendMsg(cs_b, ".", G, NGM_CONNECT, Connect("race-a:", "to_a", "from_b").encode())
    ng.NgSendMsg(cs_b, ".", G, NGM_MKPEER, Mkpeer("echo", "e", "x").encode())
    with pytest.raises(OSError):  # ENOBUFS once A's queue is full
        for _ in range(100000):
            ng.NgSendData(ds_b, "to_a", b"z" * 1000)
    ng.NgSendMsg(cs_b, "race-a:", G, NGM_SHUTDOWN)
    deadline = time.monotonic() + 5
    while True:  # ENOBUFS is backpressure: B's own queue drains once nothing holds it
        try:
            ng.NgSendData(ds_b, "e", b"hello")
            break
        except NoBufferSpaceError:
            assert time.monotonic() < deadline, "B stayed paused after A was gone"
            time.sleep(0.01)
    assert select.select([ds_b], [], [], 5)[0], "B's traffic to its echo node stalled"
    assert ng.NgRecvData(ds_b, 100) == (b"hello", "e")


def test_a_packet_storm_in_a_looped_hub_does_not_stop_the_kernel(kernel: Kernel, socks) -> None:
    """A hub linked to itself copies each packet forever (as on FreeBSD); the kernel keeps serving.

    Queued packets are capped like net.graph.maxdata, so the storm is bounded
    in memory; a control message still gets through and can end it.
    """
    cs, ds = ng.NgMkSockNode(None, True)
    socks.append((cs, ds))
    ng.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("hub", "h", "in").encode())
    for a, b in (("l1", "l2"), ("l3", "l4")):  # two loops back into the same hub
        ng.NgSendMsg(cs, "h", G, NGM_CONNECT, Connect(".", a, b).encode())
    ng.NgSendData(ds, "h", b"storm")
    ng.NgSendMsg(cs, "h", G, NGM_NODEINFO)
    assert select.select([cs], [], [], 30)[0], "the kernel stopped answering during the storm"
    reply, _ = ng.NgAllocRecvMsg(cs)
    assert NodeInfo.decode(reply.data).type == "hub"
    ng.NgSendMsg(cs, "h", G, NGM_SHUTDOWN)
    deadline = time.monotonic() + 30
    while kernel.call(lambda: kernel._queued_data.size) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert kernel.call(lambda: kernel._queued_data.size) == 0
