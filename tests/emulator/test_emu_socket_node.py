"""The socket node type: sockets, naming, data-socket rules, LINGER/NOLINGER, closing."""

from __future__ import annotations

import errno
import os
import select
import time

import pytest

from pyngraph import libnetgraph as ng
from pyngraph.abi import NgMesg
from pyngraph.abi.constants import NGM_NODEINFO
from pyngraph.abi.nodetypes.ng_socket import (
    NG_CONTROL, NG_DATA, NGM_SOCK_CMD_LINGER, NGM_SOCK_CMD_NOLINGER, NGM_SOCKET_COOKIE,
)
from pyngraph.backend import get_backend
from pyngraph.errors import NetgraphError


def fails(err: int, fn, *args) -> NetgraphError:
    with pytest.raises(NetgraphError) as info:
        fn(*args)
    assert info.value.errno == err, info.value
    return info.value


@pytest.fixture
def t():
    return get_backend().transport


def gone(s, node_id: int) -> bool:
    try:
        s.nodeinfo(f"[{node_id:x}]:")
    except NetgraphError as exc:
        assert exc.errno == errno.ENOENT
        return True
    return False


def wait_gone(s, node_id: int) -> bool:
    """The kernel notices a closed descriptor on its own: poll until the node is gone."""
    for _ in range(500):
        if gone(s, node_id):
            return True
        time.sleep(0.01)
    return False


def test_linger_is_default(s) -> None:
    s.mkpeer(".", "hole", "a", "a")
    s.rmhook(".", "a")
    assert s.nodeinfo(".").hooks == 0


def test_nolinger_shuts_down_with_last_hook(s, make_sock) -> None:
    other = make_sock()
    s.send(".", NGM_SOCK_CMD_NOLINGER, cookie=NGM_SOCKET_COOKIE)
    assert not s.readable(s.cs)  # socket commands are consumed, never passed up
    s.mkpeer(".", "hole", "a", "a")
    s.rmhook(".", "a")
    assert gone(other, s.id)
    fails(errno.ENOTCONN, ng.NgRecvMsg, s.cs, 1000)  # EOF: the node is gone
    fails(errno.EPIPE, s.send, ".", NGM_NODEINFO)
    fails(errno.EPIPE, ng.NgSendData, s.ds, "a", b"x")
    assert ng.NgRecvData(s.ds, 100) == (b"", "")


def test_linger_again_and_unknown_socket_command(s) -> None:
    s.send(".", NGM_SOCK_CMD_NOLINGER, cookie=NGM_SOCKET_COOKIE)
    s.send(".", NGM_SOCK_CMD_LINGER, cookie=NGM_SOCKET_COOKIE)
    s.mkpeer(".", "hole", "a", "a")
    s.rmhook(".", "a")
    assert s.nodeinfo(".").id == s.id
    fails(errno.EINVAL, s.send, ".", 3, b"", NGM_SOCKET_COOKIE)


def test_close_control_keeps_node_until_data_closes(make_sock, t) -> None:
    s, watcher = make_sock(), make_sock()
    t.close(s.cs)
    assert not gone(watcher, s.id)
    t.close(s.ds)
    assert gone(watcher, s.id)
    s.cs = s.ds = None


def test_close_shuts_down_peers(make_sock, t) -> None:
    s, watcher = make_sock(), make_sock()
    s.mkpeer(".", "hole", "a", "a")
    hole = s.nodeinfo("a").id
    t.close(s.cs)
    t.close(s.ds)
    s.cs = s.ds = None
    assert gone(watcher, hole)


def test_plain_os_close_shuts_node_down(make_sock) -> None:
    s, watcher = make_sock(), make_sock()
    os.close(s.cs)
    os.close(s.ds)
    s.cs = s.ds = None
    assert wait_gone(watcher, s.id)


def test_shutdown_from_outside(make_sock, t) -> None:
    s, other = make_sock(), make_sock()
    s.mkpeer(".", "hole", "a", "a")
    other.shutdown(f"[{s.id:x}]:")
    assert select.select([s.cs, s.ds], [], [], 0)[0]  # EOF is readable
    assert ng.NgRecvData(s.ds, 100) == (b"", "")
    fails(errno.ENOTCONN, ng.NgRecvMsg, s.cs, 100)
    fails(errno.EPIPE, ng.NgSendData, s.ds, "a", b"x")
    fails(errno.EPIPE, s.send, ".", NGM_NODEINFO)
    fails(errno.EINVAL, t.getsockname, s.cs)


def test_data_send_rules(s) -> None:
    fails(errno.EDESTADDRREQ, ng.NgSendData, s.ds, None, b"x")
    fails(errno.EDESTADDRREQ, ng.NgSendData, s.ds, "", b"x")
    fails(errno.EHOSTUNREACH, ng.NgSendData, s.ds, "nosuch", b"x")
    s.connect(".", ".", "a", "b")  # two hooks
    fails(errno.EDESTADDRREQ, ng.NgSendData, s.ds, None, b"x")
    fails(errno.EMSGSIZE, ng.NgSendData, s.ds, "a", b"x" * 20481)
    ng.NgSendData(s.ds, "a", b"")
    assert s.recv_data() == (b"", "b")  # a zero-length packet is a 0-byte datagram
    ng.NgSendData(s.ds, "b", b"y" * 20476)  # the most that fits: sg_len 4 + 20476 = net.graph.recvspace
    assert s.recv_data() == (b"y" * 20476, "a")
    # sendable, but sbappendaddr on our own socket refuses it; ngd_send returns that error
    fails(errno.ENOBUFS, ng.NgSendData, s.ds, "b", b"y" * 20480)
    ng.NgSendData(s.ds, "b", b"z")
    assert s.recv_data() == (b"z", "a")


def test_one_hook_allows_plain_send(s) -> None:
    s.mkpeer(".", "echo", "e", "e")
    ng.NgSendData(s.ds, None, b"hello")
    assert s.recv_data() == (b"hello", "e")
    ng.NgSendData(s.ds, "", b"again")
    assert s.recv_data() == (b"again", "e")


def test_hook_name_lengths(s) -> None:
    s.mkpeer(".", "echo", "h" * 30, "e")
    s.mkpeer(".", "echo", "k" * 31, "e")
    ng.NgSendData(s.ds, "h" * 30, b"x")
    assert s.recv_data() == (b"x", "h" * 30)
    fails(errno.EINVAL, ng.NgSendData, s.ds, "k" * 31, b"x")  # libnetgraph cannot address 31 characters


def test_connected_mark_follows_hook_events_only(s, t) -> None:
    s.mkpeer(".", "echo", "e", "e")
    ds = t.socket(NG_DATA)
    try:
        t.close(s.ds)
        s.ds = None
        t.connect(ds, f"[{s.id:x}]:")
        fails(errno.EDESTADDRREQ, ng.NgSendData, ds, None, b"x")  # not marked: no hook event yet
        ng.NgSendData(ds, "", b"x")  # an empty hook name is fine with one hook
        assert ng.NgRecvData(ds, 10) == (b"x", "e")
        s.mkpeer(".", "hole", "h", "h")
        s.rmhook(".", "h")  # back to one hook: marked now
        ng.NgSendData(ds, None, b"y")
        assert ng.NgRecvData(ds, 10) == (b"y", "e")
    finally:
        t.close(ds)


def test_data_socket_connect_errors(make_sock, t) -> None:
    s = make_sock("sock_conn")
    s.mkpeer(".", "hole", "h", "h")
    ds = t.socket(NG_DATA)
    try:
        fails(errno.ENOTCONN, ng.NgSendData, ds, "h", b"x")
        fails(errno.EINVAL, t.connect, ds, "h")  # relative
        fails(errno.EINVAL, t.connect, ds, "sock_conn:h")  # not a socket node
        fails(errno.ENOENT, t.connect, ds, "nosuch:")
        fails(errno.EADDRINUSE, t.connect, ds, "sock_conn:")  # it has a data socket
        fails(errno.EOPNOTSUPP, t.bind, ds, "name")
        fails(errno.EINVAL, t.getsockname, ds)
        t.close(s.ds)
        s.ds = None
        t.connect(ds, "sock_conn:")
        assert t.getsockname(ds)[2:11] == b"sock_conn"
        fails(errno.EISCONN, t.connect, ds, "sock_conn:")
    finally:
        t.close(ds)


def test_control_socket_calls(make_sock, t) -> None:
    s = make_sock("sock_ctl")
    cs = t.socket(NG_CONTROL)
    try:
        fails(errno.EADDRINUSE, t.bind, cs, "sock_ctl")
        fails(errno.EINVAL, t.bind, cs, "a.b")
        fails(errno.EINVAL, t.bind, cs, "")
        fails(errno.EINVAL, t.connect, cs, "sock_ctl:")
        msg = NgMesg(NGM_NODEINFO, 1137070366).encode()
        fails(errno.EDESTADDRREQ, t.sendto, cs, msg, None)
        fails(errno.EINVAL, t.sendto, cs, b"\x07" + msg[1:], ".")  # version 7
        fails(errno.EINVAL, t.sendto, cs, msg[:40], ".")
        fails(errno.EMSGSIZE, t.sendto, cs, NgMesg(NGM_NODEINFO, 1137070366, b"x" * 20481).encode(), ".")
        assert t.sendto(cs, msg, "sock_ctl:") == len(msg)
        data, sender = t.recvfrom(cs, 1000)
        assert sender == f"[{s.id:x}]:" and NgMesg.decode(data).is_response
        t.bind(cs, "sock_ctl2")
        assert t.getsockname(cs) == bytes((34, 32)) + b"sock_ctl2".ljust(32, b"\0")  # FreeBSD 14
    finally:
        t.close(cs)


def test_messages_passed_up_unchanged(make_sock) -> None:
    a, b = make_sock(), make_sock()
    original = NgMesg(7, 0x1234, b"payload", token=99, cmdstr="anything")
    ng.NgSendMsg(a.cs, f"[{b.id:x}]:", original.typecookie, original.cmd, original.data)
    msg, sender = b.recv()
    assert sender == f"[{a.id:x}]:"
    assert (msg.cmd, msg.typecookie, msg.data, msg.flags) == (7, 0x1234, b"payload", 0)
    ng.NgSendReplyMsg(b.cs, sender, msg, b"answer")
    reply, sender = a.recv()
    assert sender == f"[{b.id:x}]:"
    assert (reply.token, reply.flags, reply.data, reply.cmdstr) == (msg.token, 1, b"answer", msg.cmdstr)


def test_full_control_socket_drops_replies(s) -> None:
    sent = 1000
    for _ in range(sent):
        s.send(".", NGM_NODEINFO)  # a reply that finds no room is dropped, the send succeeds
    received = 0
    while s.readable(s.cs):
        s.recv()
        received += 1
    assert 0 < received < sent
