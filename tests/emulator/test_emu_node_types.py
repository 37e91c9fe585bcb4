"""hub, echo, hole and tee as nodes.md describes them."""

from __future__ import annotations

import errno
import struct

import pytest

from pyngraph import libnetgraph as ng
from pyngraph.abi import HookList
from pyngraph.abi.constants import NGF_RESP, NGM_FLOW_COOKIE, NGM_LISTHOOKS, NGM_TEXT_STATUS
from pyngraph.abi.nodetypes.ng_echo import NGM_ECHO_COOKIE
from pyngraph.abi.nodetypes.ng_hole import NGM_HOLE_COOKIE
from pyngraph.abi.nodetypes.ng_hub import NGM_HUB_COOKIE
from pyngraph.abi.nodetypes.ng_tee import NGM_TEE_COOKIE
from pyngraph.errors import NetgraphError


def fails(err: int, fn, *args) -> NetgraphError:
    with pytest.raises(NetgraphError) as info:
        fn(*args)
    assert info.value.errno == err, info.value
    return info.value


def hookbuf(name: str) -> bytes:
    return name.encode().ljust(32, b"\0")


# --- hub --------------------------------------------------------------------------------

def test_hub_floods_newest_first(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    s.connect(".", "a", "b", "b")
    s.connect(".", "a", "c", "c")
    ng.NgSendData(s.ds, "a", b"x")
    assert [s.recv_data(), s.recv_data()] == [(b"x", "c"), (b"x", "b")]
    assert not s.readable(s.ds)


def test_hub_with_one_hook_drops(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    ng.NgSendData(s.ds, "a", b"x")
    s.nodeinfo(".")  # a synchronous round trip: the packet has been handled by now
    assert not s.readable(s.ds)


def test_hub_messages(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    s.send("a", 1, b"any payload", NGM_HUB_COOKIE)  # setpersistent ignores its arguments
    assert not s.readable(s.cs)  # and never replies
    fails(errno.EINVAL, s.send, "a", 2, b"", NGM_HUB_COOKIE)
    fails(errno.EINVAL, s.send, "a", 1, b"", NGM_ECHO_COOKIE)
    fails(errno.EINVAL, s.send, "a", NGM_TEXT_STATUS)
    s.rmhook(".", "a")
    hubs = [n for n in _listnodes(s) if n.type == "hub" and n.hooks == 0]
    assert hubs  # persistent: still there without hooks
    for hub in hubs:
        s.shutdown(f"[{hub.id:x}]:")


def _listnodes(s):
    from pyngraph.abi import NameList
    from pyngraph.abi.constants import NGM_LISTNODES

    return NameList.decode(s.ask(".", NGM_LISTNODES)[0].data).nodes


# --- echo -------------------------------------------------------------------------------

def test_echo_data_and_messages(s) -> None:
    s.mkpeer(".", "echo", "e", "x")
    echo = s.nodeinfo("e").id
    ng.NgSendData(s.ds, "e", b"ping")
    assert s.recv_data() == (b"ping", "e")
    token = s.send("e", 42, b"args", NGM_ECHO_COOKIE)
    msg, sender = s.recv()
    assert sender == f"[{echo:x}]:"
    assert (msg.cmd, msg.typecookie, msg.token, msg.flags, msg.data, msg.cmdstr) == (
        42, NGM_ECHO_COOKIE, token, NGF_RESP, b"args", "cmd42")
    token = s.send("e", 7, b"", NGM_FLOW_COOKIE)
    assert s.recv()[0].token == token
    s.send("e", NGM_TEXT_STATUS)  # the base hands TEXT_STATUS to the node: reflected
    assert s.recv()[0].cmd == NGM_TEXT_STATUS
    assert s.nodeinfo("e").type == "echo"  # other generic messages are the base's


def test_echo_goes_with_last_hook(s) -> None:
    s.mkpeer(".", "echo", "e", "x")
    echo = s.nodeinfo("e").id
    s.rmhook(".", "e")
    fails(errno.ENOENT, s.nodeinfo, f"[{echo:x}]:")


# --- hole -------------------------------------------------------------------------------

def test_hole_counts_and_commands(s) -> None:
    s.mkpeer(".", "hole", "h", "in")
    for _ in range(3):
        ng.NgSendData(s.ds, "h", b"z" * 60)
    msg, _ = s.ask("h", 1, hookbuf("in"), NGM_HOLE_COOKIE)
    assert struct.unpack("=QQ", msg.data) == (3, 180)
    ng.NgSendAsciiMsg(s.cs, "h", 'getclrstats "in"')
    msg, _ = ng.NgRecvAsciiMsg(s.cs)
    assert msg.data == b"{ frames=3 octets=180 }"
    s.send("h", 2, hookbuf("in"), NGM_HOLE_COOKIE)  # clrstats: no reply
    assert not s.readable(s.cs)
    assert s.ask("h", 3, hookbuf("in"), NGM_HOLE_COOKIE)[0].data == bytes(16)
    assert not s.readable(s.ds)  # nothing ever comes back


def test_hole_errors(s) -> None:
    s.mkpeer(".", "hole", "h", "in")
    fails(errno.EINVAL, s.send, "h", 1, b"in\0", NGM_HOLE_COOKIE)
    fails(errno.EINVAL, s.send, "h", 4, hookbuf("in"), NGM_HOLE_COOKIE)
    fails(errno.EINVAL, s.send, "h", 1, hookbuf("in"), NGM_TEE_COOKIE)
    fails(errno.ENOENT, s.send, "h", 1, hookbuf("nosuch"), NGM_HOLE_COOKIE)
    fails(errno.ENOENT, s.send, "h", 1, b"i" * 32, NGM_HOLE_COOKIE)  # no NUL: no such hook
    fails(errno.EINVAL, s.send, "h", NGM_TEXT_STATUS)


# --- tee --------------------------------------------------------------------------------

_STAT = struct.Struct("=4Q")


def tee_stats(s, path: str):
    data = s.ask(path, 1, b"", NGM_TEE_COOKIE)[0].data
    assert len(data) == 128
    return {slot: _STAT.unpack_from(data, 32 * i)
            for i, slot in enumerate(("right", "left", "right2left", "left2right"))}


def test_tee_hooks(s) -> None:
    s.mkpeer(".", "tee", "l", "left")
    fails(errno.EINVAL, s.connect, ".", "l", "x", "middle")
    fails(errno.EEXIST, s.connect, ".", "l", "x", "left")


def test_tee_routing_and_stats(s) -> None:
    s.mkpeer(".", "tee", "l", "left")
    s.connect(".", "l", "r", "right")
    s.connect(".", "l", "l2r", "left2right")
    s.connect(".", "l", "r2l", "right2left")
    ng.NgSendData(s.ds, "l", b"L" * 10)
    assert sorted([s.recv_data(), s.recv_data()]) == [(b"L" * 10, "l2r"), (b"L" * 10, "r")]
    ng.NgSendData(s.ds, "r", b"R" * 7)
    assert sorted([s.recv_data(), s.recv_data()]) == [(b"R" * 7, "l"), (b"R" * 7, "r2l")]
    ng.NgSendData(s.ds, "l2r", b"T")  # a tap's packet leaves through the opposite main hook
    assert s.recv_data() == (b"T", "l")
    stats = tee_stats(s, "l")
    assert stats["left"] == (10, 1, 7 + 1, 2)
    assert stats["right"] == (7, 1, 10, 1)
    assert stats["left2right"] == (1, 1, 10, 1)
    assert stats["right2left"] == (0, 0, 7, 1)
    s.send("l", 2, b"", NGM_TEE_COOKIE)
    assert not s.readable(s.cs)
    assert all(v == (0, 0, 0, 0) for v in tee_stats(s, "l").values())
    fails(errno.EINVAL, s.send, "l", 9, b"", NGM_TEE_COOKIE)


def test_tee_without_right_sends_left_to_tap(s) -> None:
    s.mkpeer(".", "tee", "l", "left")
    s.connect(".", "l", "l2r", "left2right")
    ng.NgSendData(s.ds, "l", b"x")
    assert s.recv_data() == (b"x", "l2r")
    assert not s.readable(s.ds)


def test_tee_shutdown_splices_neighbours(make_sock) -> None:
    a, b = make_sock("tee_a"), make_sock("tee_b")
    a.mkpeer(".", "tee", "x", "left")
    a.connect("x", "tee_b:", "right", "y")
    a.shutdown("x")
    links = HookList.decode(a.ask(".", NGM_LISTHOOKS)[0].data).links
    assert [(l.ourhook, l.peerhook, l.nodeinfo.name) for l in links] == [("x", "y", "tee_b")]
    ng.NgSendData(a.ds, "x", b"direct")
    assert b.recv_data() == (b"direct", "y")


def test_tee_forwards_flow_messages(make_sock) -> None:
    a, b = make_sock("tee_fa"), make_sock("tee_fb")
    a.mkpeer(".", "tee", "x", "left")
    a.connect("x", "tee_fb:", "right", "y")
    token = a.send("x", 33, b"", NGM_FLOW_COOKIE)
    msg, sender = b.recv()
    assert (msg.typecookie, msg.cmd, msg.token, sender) == (NGM_FLOW_COOKIE, 33, token, f"[{a.id:x}]:")
    a.send(f"[{a.nodeinfo('x').id:x}]:", 33, b"", NGM_FLOW_COOKIE)  # not through a hook: consumed
    assert not b.readable(b.cs)
    fails(errno.EINVAL, a.send, "x", NGM_TEXT_STATUS)
    a.shutdown("x")


def test_every_type_answers_generic_messages(s) -> None:
    for type_name in ("hub", "echo", "hole", "tee"):
        s.mkpeer(".", type_name, type_name, "left")
        assert s.nodeinfo(type_name).type == type_name
        s.rmhook(".", type_name)
