"""FreeBSD's tests/sys/netgraph/ksocket.c (udp_connect, udp_bind), ported, and a TCP accept.

Backend-agnostic: only libnetgraph and real loopback sockets, so the same
checks run on the emulated kernel and on FreeBSD.
"""

from __future__ import annotations

import errno
import select
import socket
import struct

import pytest

from pyngraph import libnetgraph
from pyngraph.abi import AcceptReply, Connect, decode_sockaddr, encode_sockaddr
from pyngraph.abi.constants import AF_INET, NGF_RESP, NGM_CONNECT, NGM_GENERIC_COOKIE
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_ACCEPT, NGM_KSOCKET_BIND, NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME,
    NGM_KSOCKET_LISTEN,
)
from pyngraph.errors import NetgraphError

HELLO = b"Hello, peer!\0"  # ksocket.c's hellocheck payload: 13 bytes
WAIT = 10.0  # hang guard, not a timing assertion


def _wait(fd: int, what: str) -> None:
    if not select.select([fd], [], [], WAIT)[0]:
        pytest.fail(f"nothing on the {what} within {WAIT} s")


def _recv_msg(ng):
    _wait(ng.cs, "control socket")
    return libnetgraph.NgAllocRecvMsg(ng.cs)


def _recv_data(ng):
    _wait(ng.ds, "data socket")
    return libnetgraph.NgRecvData(ng.ds, 70000)


def test_udp_connect(ng) -> None:
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        us.bind(("0.0.0.0", 0))
        ng.mkpeer(".", "ks", "ksocket", "inet/dgram/udp")
        sa = encode_sockaddr(AF_INET, us.getsockname())
        libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT, sa)
        libnetgraph.NgSendData(ng.ds, None, HELLO)  # one hook: a plain send() goes out of it
        us.settimeout(WAIT)
        assert us.recv(13) == HELLO
    finally:
        us.close()


def test_udp_bind(ng) -> None:
    ng.mkpeer(".", "ks", "ksocket", "inet/dgram/udp")
    sin = encode_sockaddr(AF_INET, ("0.0.0.0", 0))
    libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, sin)
    token = libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
    rep, _ = _recv_msg(ng)
    assert len(rep.encode()) == 56 + 16 and rep.token == token and rep.flags == NGF_RESP
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        port = decode_sockaddr(rep.data).address[1]
        us.connect(("127.0.0.1", port))
        assert us.send(HELLO) == 13
        assert _recv_data(ng) == (HELLO, "ks")
    finally:
        us.close()


def test_tcp_listen_accept(ng) -> None:
    ng.mkpeer(".", "ks", "ksocket", "inet/stream/tcp")
    libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND,
                          encode_sockaddr(AF_INET, ("127.0.0.1", 0)))
    libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_LISTEN, struct.pack("=i", 4))
    libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
    port = decode_sockaddr(_recv_msg(ng)[0].data).address[1]
    token = libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_ACCEPT)
    client = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
    try:
        rep, sender = _recv_msg(ng)
        assert (rep.cmd, rep.token, rep.flags) == (NGM_KSOCKET_ACCEPT, token, NGF_RESP)
        accept = AcceptReply.decode(rep.data)
        assert sender == f"[{accept.nodeid:x}]:" and len(rep.data) == 4 + 16
        assert accept.sockaddr() == (AF_INET, client.getsockname())
        libnetgraph.NgSendMsg(ng.cs, ".", NGM_GENERIC_COOKIE, NGM_CONNECT,
                              Connect(f"[{accept.nodeid:x}]:", "c", "data").encode())
        client.sendall(b"to the clone")
        assert _recv_data(ng) == (b"to the clone", "c")
        libnetgraph.NgSendData(ng.ds, "c", b"from the clone")
        assert client.recv(100) == b"from the clone"
        client.shutdown(socket.SHUT_WR)
        assert _recv_data(ng) == (b"", "c")  # EOF: one zero-length packet
    finally:
        client.close()


def test_tcp_connect_refused(ng) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()
    ng.mkpeer(".", "ks", "ksocket", "inet/stream/tcp")
    with pytest.raises(NetgraphError) as info:
        libnetgraph.NgSendMsg(ng.cs, ".:ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                              encode_sockaddr(AF_INET, closed))
    assert info.value.errno == errno.EINPROGRESS
    rep, _ = _recv_msg(ng)
    assert rep.cmd == NGM_KSOCKET_CONNECT and rep.cmdstr == "NGM_KSOCKET_CONNECT"
    assert struct.unpack("=i", rep.data) == (61,)  # FreeBSD's ECONNREFUSED, on every host
