"""A socket node's sockets keep FreeBSD's receive space (sbappendaddr, net.graph.recvspace).

The counts are FreeBSD's books: a datagram fits while ``sa_len + length <=
min(hiwat - ccc, 8 * hiwat - mbcnt)``, ``ccc`` counting address and data
bytes, ``mbcnt`` 256 per mbuf plus its cluster (sys/kern/uipc_sockbuf.c).
"""

from __future__ import annotations

import errno
import os
import socket

import pytest

from pyngraph import libnetgraph as ng
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_COOKIE
from pyngraph.emulator.kernel import Kernel
from pyngraph.errors import NetgraphError

RECVSPACE = 20480
MBMAX = 8 * RECVSPACE


def _fill(sender, hook: str, size: int, limit: int = 5000) -> int:
    """Send ``size``-byte packets out of ``hook`` until one is refused; how many went in."""
    for sent in range(limit):
        try:
            ng.NgSendData(sender.ds, hook, bytes(size))
        except NetgraphError as exc:
            assert exc.errno == errno.ENOBUFS and exc.command == "NgSendData"
            return sent
    pytest.fail(f"no ENOBUFS within {limit} packets")


def _books(kernel: Kernel, name: str, which: str):
    return kernel.call(lambda: getattr(kernel.node_by_name(name), which).books)


def _stalled(make_sock, name: str):
    """A node ``name`` that never reads, fed from hook "out" of a second node (its hook "in")."""
    return _pair(make_sock, name)[1]


def _pair(make_sock, name: str):
    stalled = make_sock(name)
    sender = make_sock()
    sender.connect(".", f"{name}:", "out", "in")
    return stalled, sender


@pytest.mark.parametrize("size, fits", [
    (5, MBMAX // (256 + 256)),  # mbuf-bound: the address mbuf and one data mbuf
    (100, RECVSPACE // (5 + 100)),  # one data mbuf, but the bytes run out first
    (161, MBMAX // (256 + 256 + 2048)),  # a 2 KiB cluster from MINCLSIZE on
    (1000, RECVSPACE // (5 + 1000)),  # byte-bound: sg_len 5 ("in") + data
    (RECVSPACE - 5, 1),  # the largest datagram that fits at all
])
def test_a_reader_that_never_reads_holds_what_freebsd_holds(make_sock, kernel: Kernel, size: int,
                                                            fits: int) -> None:
    name = f"rs{size}"
    sender = _stalled(make_sock, name)
    assert _fill(sender, "out", size) == fits
    assert _books(kernel, name, "data").drops == 1


def test_a_stalled_reader_on_a_hub_stops_nobody_else(make_sock, kernel: Kernel) -> None:
    """FreeBSD drops at the full receiver only; every other hook keeps flowing."""
    make_sock("rs_stuck")
    reader = make_sock()
    sender = make_sock()
    sender.mkpeer(".", "hub", "h", "src")
    sender.connect("h", "rs_stuck:", "stuck", "in")  # the oldest other hook: its error is the send's
    sender.connect("h", f"[{reader.id:x}]:", "reader", "in")
    refused = 0
    for i in range(1000):
        try:
            ng.NgSendData(sender.ds, "h", i.to_bytes(4, "big"))
        except NetgraphError as exc:
            assert exc.errno == errno.ENOBUFS
            refused += 1
        assert reader.recv_data() == (i.to_bytes(4, "big"), "in")
    assert refused == 1000 - MBMAX // 512
    assert _books(kernel, "rs_stuck", "data").drops == refused


def test_so_rcvbuf_on_the_users_socket_raises_the_space(make_sock, kernel: Kernel) -> None:
    stalled, sender = _pair(make_sock, "rs_big")
    with socket.socket(fileno=os.dup(stalled.ds)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2 * RECVSPACE)
    assert _fill(sender, "out", 1000) == 2 * RECVSPACE // 1005


def test_recvspace_is_an_emulator_option(make_sock, kernel: Kernel, monkeypatch) -> None:
    monkeypatch.setattr(kernel, "recvspace", RECVSPACE // 2)  # net.graph.recvspace=10240
    sender = _stalled(make_sock, "rs_small")
    assert _fill(sender, "out", 1000) == RECVSPACE // 2 // 1005


def test_a_full_control_socket_refuses_messages(make_sock, kernel: Kernel) -> None:
    """ngs_rcvmsg: a 56-byte message with its 34-byte address; ENOBUFS once 20 KiB are used."""
    make_sock("rs_ctl")
    sender = make_sock()
    sent = 0
    with pytest.raises(NetgraphError) as info:
        for sent in range(1000):
            ng.NgSendMsg(sender.cs, "rs_ctl:", NGM_KSOCKET_COOKIE, 99, b"")
    assert info.value.errno == errno.ENOBUFS
    assert sent == RECVSPACE // (34 + 56)  # sizeof(struct ng_mesg) is 56
    assert _books(kernel, "rs_ctl", "control").drops == 1
