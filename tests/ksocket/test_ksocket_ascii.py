"""The ksocket command list end to end: NgSendAsciiMsg requests and NgRecvAsciiMsg replies."""

from __future__ import annotations

import socket

import pytest
from ks_support import User, wait_readable

from pyngraph import libnetgraph as ng
from pyngraph.abi import Sockopt
from pyngraph.abi.constants import SO_REUSEADDR, SOL_SOCKET, Errno
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_GETOPT
from pyngraph.errors import NetgraphError


def recv_ascii(user: User):
    wait_readable(user.cs, "control socket")
    return ng.NgAllocRecvAsciiMsg(user.cs)


def test_bind_and_getname_in_ascii(user: User) -> None:
    ks_id = user.ksocket("inet/dgram/udp")
    ng.NgSendAsciiMsg(user.cs, ".:ks", "bind inet/127.0.0.1:0")
    token = ng.NgSendAsciiMsg(user.cs, ".:ks", "getname")
    msg, sender = recv_ascii(user)
    assert msg.token == token and sender == f"[{ks_id:x}]:"
    text = msg.data.decode()
    assert text.startswith("inet/127.0.0.1:")
    port = int(text.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        with pytest.raises(OSError):
            probe.bind(("127.0.0.1", port))  # the node really holds that port


def test_setopt_getopt_and_connect_reply_in_ascii(user: User) -> None:
    user.ksocket("inet/stream/tcp")
    ng.NgSendAsciiMsg(user.cs, ".:ks", "setopt { level=0xffff name=0x4 value=[ 1 0 0 0 ] }")
    # In ASCII, getopt's value is sized from the text (FreeBSD's parse quirk): arglen != 8, EINVAL.
    with pytest.raises(NetgraphError) as info:
        ng.NgSendAsciiMsg(user.cs, ".:ks", "getopt { level=0xffff name=0x4 }")
    assert info.value.fbsd_errno == Errno.EINVAL
    user.send(".:ks", NGM_KSOCKET_GETOPT, Sockopt(SOL_SOCKET, SO_REUSEADDR).encode())
    msg, _ = recv_ascii(user)
    text = msg.data.decode()
    assert "value=[" in text and "level" not in text and "name" not in text  # level, name zero
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with pytest.raises(NetgraphError) as info:
            ng.NgSendAsciiMsg(user.cs, ".:ks", f"connect inet/127.0.0.1:{port}")
        assert info.value.fbsd_errno == Errno.EINPROGRESS
        msg, _ = recv_ascii(user)
        assert msg.cmd == NGM_KSOCKET_CONNECT and msg.data.decode() == "0"
        ng.NgSendAsciiMsg(user.cs, ".:ks", "getpeername")
        msg, _ = recv_ascii(user)
        assert msg.data.decode() == f"inet/127.0.0.1:{port}"


def test_accept_reply_in_ascii(user: User) -> None:
    user.ksocket("inet/stream/tcp")
    ng.NgSendAsciiMsg(user.cs, ".:ks", "bind inet/127.0.0.1:0")
    ng.NgSendAsciiMsg(user.cs, ".:ks", "listen 4")
    ng.NgSendAsciiMsg(user.cs, ".:ks", "getname")
    port = int(recv_ascii(user)[0].data.decode().rsplit(":", 1)[1])
    ng.NgSendAsciiMsg(user.cs, ".:ks", "accept")
    with socket.create_connection(("127.0.0.1", port)):
        msg, sender = recv_ascii(user)
        text = msg.data.decode()
        clone = int(sender[1:-2], 16)
        assert text.startswith(f"{{ nodeid=0x{clone:x} addr={{ len=16 family=2 data=[")
