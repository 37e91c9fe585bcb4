"""What the in-process fast paths must keep of ng_socket's semantics.

In-process, a control request and a data send run on the caller's thread
inside the kernel; a data send goes through the descriptor instead while a
full receiver holds the sender back.  Whichever way a packet goes, a send
that succeeded is delivered, in order; a full queue is ENOBUFS; a reply is
readable when NgSendMsg returns.
"""

from __future__ import annotations

import errno
import select
import socket
import struct
import time
from typing import Iterator, List, Tuple

import pytest

from pyngraph.abi.args import Connect, Mkpeer
from pyngraph.abi.constants import AF_INET, NGM_GENERIC_COOKIE, NGM_CONNECT, NGM_MKPEER, NGM_SHUTDOWN
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_BIND, NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME,
)
from pyngraph.abi.sockaddr import decode_sockaddr, encode_sockaddr
from pyngraph.backend import create_backend

_SEQ = struct.Struct("!I")


@pytest.fixture
def lib():
    return create_backend("emulated")


@pytest.fixture
def nodes(lib) -> Iterator[List[Tuple[int, int]]]:
    made: List[Tuple[int, int]] = []
    yield made
    for cs, ds in made:
        lib.transport.close(ds)
        lib.transport.close(cs)


def _sock_node(lib, nodes) -> Tuple[int, int]:
    cs, ds = lib.NgMkSockNode(None, True)
    nodes.append((cs, ds))
    return cs, ds


def _send_until_full(lib, ds: int, hook: str, size: int, limit: int) -> int:
    """Send numbered packets until ENOBUFS (or ``limit``); how many were accepted."""
    for seq in range(limit):
        try:
            lib.NgSendData(ds, hook, _SEQ.pack(seq) * (size // 4))
        except OSError as exc:
            assert exc.errno == errno.ENOBUFS
            return seq
    return limit


def test_reply_readable_when_sendmsg_returns(lib, nodes) -> None:
    cs, _ = _sock_node(lib, nodes)
    lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("ksocket", "k", "inet/dgram/udp").encode())
    lib.NgSendMsg(cs, ".:k", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, encode_sockaddr(AF_INET, ("127.0.0.1", 0)))
    for _ in range(50):
        lib.NgSendMsg(cs, ".:k", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
        assert select.select([cs], [], [], 0)[0] == [cs]
        reply, _ = lib.NgRecvMsg(cs, 512)
        assert decode_sockaddr(reply.data).address[0] == "127.0.0.1"
    lib.NgSendMsg(cs, ".:k", NGM_GENERIC_COOKIE, NGM_SHUTDOWN)


def test_full_socket_peer_enobufs_then_everything_in_order(lib, nodes) -> None:
    """Socket node to socket node: fill the receiver until ENOBUFS, then send while it drains."""
    a_cs, a_ds = _sock_node(lib, nodes)
    b_cs, b_ds = _sock_node(lib, nodes)
    (b_name,) = struct.unpack("=34s", lib.transport.getsockname(b_cs))  # FreeBSD 14's sockaddr_ng
    b_path = b_name[2:].rstrip(b"\0").decode() + ":"
    lib.NgSendMsg(a_cs, ".", NGM_GENERIC_COOKIE, NGM_CONNECT, Connect(b_path, "a", "b").encode())
    sent = _send_until_full(lib, a_ds, "a", 1000, 100_000)
    assert 0 < sent < 100_000  # the queues are bounded: ENOBUFS came
    total = sent + 5_000  # more sends, racing with the drain
    received = 0
    deadline = time.monotonic() + 60
    while received < total and time.monotonic() < deadline:
        if sent < total:
            try:
                lib.NgSendData(a_ds, "a", _SEQ.pack(sent) * 250)
                sent += 1
            except OSError as exc:
                assert exc.errno == errno.ENOBUFS
        if select.select([b_ds], [], [], 0 if sent < total else 1)[0]:
            data, hook = lib.NgRecvData(b_ds, 2000)
            assert hook == "b" and len(data) == 1000
            assert _SEQ.unpack_from(data)[0] == received  # in order, none lost
            received += 1
    assert received == total


def test_tcp_ksocket_backpressure_loses_nothing(lib, nodes, kernel, monkeypatch) -> None:
    """Lossless option: ds -> ksocket -> TCP peer that does not read: ENOBUFS, then every accepted byte."""
    monkeypatch.setattr(kernel, "lossless", True)  # not FreeBSD, which drops what the socket refuses
    cs, ds = _sock_node(lib, nodes)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    with listener:
        lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("ksocket", "k", "inet/stream/tcp").encode())
        with pytest.raises(OSError) as info:
            lib.NgSendMsg(cs, ".:k", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                          encode_sockaddr(AF_INET, listener.getsockname()))
        assert info.value.errno == errno.EINPROGRESS
        conn, _ = listener.accept()
    with conn:
        lib.NgRecvMsg(cs, 512)  # the CONNECT reply
        accepted = _send_until_full(lib, ds, "k", 4000, 100_000)
        assert 0 < accepted < 100_000
        want = accepted * 4000
        got = bytearray()
        conn.settimeout(10)
        while len(got) < want:
            chunk = conn.recv(1 << 20)
            assert chunk
            got += chunk
        assert list(struct.unpack(f"!{want // 4}I", got)) == [s for s in range(accepted) for _ in range(1000)]
    lib.NgSendMsg(cs, ".:k", NGM_GENERIC_COOKIE, NGM_SHUTDOWN)
