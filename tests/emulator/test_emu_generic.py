"""Every generic message: argument checks, effects, reply formats and errno values."""

from __future__ import annotations

import errno

import pytest

from pyngraph import libnetgraph as ng
from pyngraph.abi import HookList, Mkpeer, NameList, NgMesg, NodeInfo, TypeList
from pyngraph.abi.constants import (
    NG_VERSION, NGF_RESP, NGM_ASCII2BINARY, NGM_BINARY2ASCII, NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_LISTHOOKS,
    NGM_LISTNAMES, NGM_LISTNODES, NGM_LISTTYPES, NGM_MKPEER, NGM_NAME, NGM_NODEINFO, NGM_RMHOOK,
    NGM_TEXT_CONFIG, NGM_TEXT_STATUS,
)
from pyngraph.abi.nodetypes.ng_hub import NGM_HUB_COOKIE
from pyngraph.abi.message import HEADER_SIZE
from pyngraph.errors import NetgraphError

G = NGM_GENERIC_COOKIE


def fails(err: int, fn, *args) -> NetgraphError:
    with pytest.raises(NetgraphError) as info:
        fn(*args)
    assert info.value.errno == err, info.value
    return info.value


def test_nodeinfo_reply_header_and_body(s) -> None:
    token = s.send(".", NGM_NODEINFO)
    msg, sender = s.recv()
    assert sender == f"[{s.id:x}]:"
    assert (msg.version, msg.flags, msg.token, msg.typecookie, msg.cmd) == (NG_VERSION, NGF_RESP, token, G,
                                                                           NGM_NODEINFO)
    assert msg.cmdstr == f"cmd{NGM_NODEINFO}"
    assert len(bytes(msg)) == HEADER_SIZE + 72
    assert NodeInfo.decode(msg.data) == NodeInfo("", "socket", s.id, 0)


def test_nodeinfo_reply_is_readable_when_sendmsg_returns(s) -> None:
    s.send(".", NGM_NODEINFO)
    assert s.readable(s.cs)
    s.recv()
    assert not s.readable(s.cs)


def test_node_ids_increase(make_sock) -> None:
    a, b = make_sock(), make_sock()
    assert b.id > a.id > 0


def test_mkpeer_creates_unnamed_peer(s) -> None:
    s.mkpeer(".", "hub", "h", "x")
    info = s.nodeinfo("h")
    assert (info.name, info.type, info.hooks) == ("", "hub", 1)
    assert info.id > s.id
    assert s.nodeinfo(".").hooks == 1


def test_mkpeer_errors(s) -> None:
    fails(errno.EINVAL, s.send, ".", NGM_MKPEER, Mkpeer("hub", "a", "b").encode()[:95])
    fails(errno.ENOENT, s.send, ".", NGM_MKPEER, b"\0" * 96)  # type "": no module ng_
    fails(errno.ENOENT, s.mkpeer, ".", "nosuchtype", "a", "b")  # the kldload error, as ng_socket sees it
    fails(errno.EINVAL, s.mkpeer, ".", "socket", "a", "b")  # socket nodes come from socket(2) only
    s.mkpeer(".", "hub", "a", "a")
    fails(errno.EEXIST, s.mkpeer, ".", "hub", "a", "a")
    before = s.nodeinfo(".").hooks
    fails(errno.EINVAL, s.mkpeer, ".", "tee", "t", "middle")  # the new node vetoes its hook
    assert s.nodeinfo(".").hooks == before  # ... and our hook is gone again
    fails(errno.ENOENT, s.nodeinfo, "t")


def test_mkpeer_failure_removes_new_node(s, node_ids) -> None:
    before = node_ids()
    fails(errno.EINVAL, s.mkpeer, ".", "tee", "t", "bad")
    assert node_ids() == before


def test_connect(make_sock) -> None:
    a, b = make_sock("gen_a"), make_sock("gen_b")
    a.connect(".", "gen_b:", "x", "y")
    hooks = HookList.decode(a.ask(".", NGM_LISTHOOKS)[0].data)
    assert [(l.ourhook, l.peerhook, l.nodeinfo.name) for l in hooks.links] == [("x", "y", "gen_b")]
    # the path is relative to the target node, not to the sender
    a.connect("gen_b:", "y", "back", "again")
    assert a.nodeinfo(".").hooks == 2
    assert b.nodeinfo(".").hooks == 2


def test_connect_errors(s) -> None:
    fails(errno.EINVAL, s.send, ".", NGM_CONNECT, b"\0" * 575)
    fails(errno.ENOENT, s.connect, ".", "nosuch:", "a", "b")
    fails(errno.EINVAL, s.connect, ".", "a..b", "a", "b")
    s.connect(".", ".", "a", "b")  # a node may link to itself with two names
    fails(errno.EEXIST, s.connect, ".", ".", "a", "c")
    fails(errno.EEXIST, s.connect, ".", ".", "c", "b")
    fails(errno.EEXIST, s.connect, ".", ".", "d", "d")
    assert s.nodeinfo(".").hooks == 2


def test_connect_peer_veto_reaches_sender(s) -> None:
    s.mkpeer(".", "tee", "t", "left")
    fails(errno.EINVAL, s.connect, ".", "t", "u", "nosuchslot")
    assert sorted(l.ourhook for l in HookList.decode(s.ask(".", NGM_LISTHOOKS)[0].data).links) == ["t"]


def test_name(make_sock) -> None:
    a, b = make_sock(), make_sock()
    a.name(".", "gen name")
    assert a.nodeinfo("gen name:").id == a.id
    a.name(".", "gen name2")  # renaming replaces the old name
    fails(errno.ENOENT, a.nodeinfo, "gen name:")
    fails(errno.EADDRINUSE, b.name, ".", "gen name2")
    fails(errno.EADDRINUSE, a.name, ".", "gen name2")  # PR 241954: own name too
    for bad in ("", "a.b", "a:b", "[1f]", "[0x1F]"):
        fails(errno.EINVAL, a.send, ".", NGM_NAME, bad.encode().ljust(32, b"\0"))
    a.send(".", NGM_NAME, b"y" * 32)  # the kernel ends the field at byte 31
    assert a.nodeinfo(".").name == "y" * 31
    fails(errno.EINVAL, a.send, ".", NGM_NAME, b"abc")
    a.name(".", "[zz]")  # not an ID: allowed
    a.name(".", "[0]")


def test_rmhook(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    hub = s.nodeinfo("a").id
    s.rmhook(".", "nosuch")  # a missing hook is a silent success
    fails(errno.EINVAL, s.send, ".", NGM_RMHOOK, b"a\0")
    s.rmhook(".", "a")
    assert s.nodeinfo(".").hooks == 0
    fails(errno.ENOENT, s.nodeinfo, f"[{hub:x}]:")  # the hub went with its last hook


def test_shutdown(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    s.connect(".", "a", "b", "b")
    hub = s.nodeinfo("a").id
    s.shutdown("a")
    fails(errno.ENOENT, s.nodeinfo, f"[{hub:x}]:")
    assert s.nodeinfo(".").hooks == 0


def test_listhooks_newest_first(s) -> None:
    s.mkpeer(".", "hub", "first", "h1")
    s.connect(".", "first", "second", "h2")
    s.connect(".", "first", "third", "h3")
    msg, _ = s.ask(".", NGM_LISTHOOKS)
    hooks = HookList.decode(msg.data)
    assert msg.arglen == 72 + 3 * 136
    assert hooks.nodeinfo == NodeInfo("", "socket", s.id, 3)
    assert [(l.ourhook, l.peerhook) for l in hooks.links] == [("third", "h3"), ("second", "h2"),
                                                              ("first", "h1")]
    assert all(l.nodeinfo.type == "hub" and l.nodeinfo.hooks == 3 for l in hooks.links)


def test_listnames_and_listnodes(make_sock) -> None:
    a = make_sock("gen_listed")
    b = make_sock()
    names = NameList.decode(a.ask(".", NGM_LISTNAMES)[0].data).nodes
    assert any(n.name == "gen_listed" and n.id == a.id for n in names)
    assert all(n.name for n in names)
    nodes = NameList.decode(a.ask(".", NGM_LISTNODES)[0].data).nodes
    ids = {n.id: n for n in nodes}
    assert ids[b.id] == NodeInfo("", "socket", b.id, 0)
    assert ids[a.id].name == "gen_listed"


def test_listtypes(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    types = {t.type_name: t.numnodes for t in TypeList.decode(s.ask(".", NGM_LISTTYPES)[0].data).types}
    assert {"socket", "hub", "echo", "hole", "tee"} <= set(types)
    assert types["hub"] >= 1 and types["socket"] >= 1


def test_textstatus_and_textconfig(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    fails(errno.EINVAL, s.send, "a", NGM_TEXT_STATUS)  # hub has no status
    peer = s  # a socket node passes TEXT_STATUS up to its user
    token = ng.NgSendMsg(peer.cs, ".", G, NGM_TEXT_CONFIG, b"x\0")
    msg, sender = peer.recv()
    assert (msg.cmd, msg.token, msg.flags, msg.data, sender) == (NGM_TEXT_CONFIG, token, 0, b"x\0",
                                                                  f"[{s.id:x}]:")


def test_unknown_generic_command(s) -> None:
    fails(errno.EINVAL, s.send, ".", 99)
    fails(errno.EINVAL, s.send, ".", 6)  # NODEINFO without its flag bits is another number


def test_ascii_round_trip(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    token = ng.NgSendAsciiMsg(s.cs, "a", "nodeinfo")
    msg, sender = ng.NgRecvAsciiMsg(s.cs)
    # the reply copies the request's cmdstr: the word NgSendAsciiMsg was given
    assert msg.token == token and msg.cmdstr == "nodeinfo" and msg.cmd == NGM_NODEINFO
    hub = s.nodeinfo("a").id
    assert sender == f"[{hub:x}]:"
    assert msg.data == f'{{ type="hub" id=0x{hub:x} hooks=1 }}'.encode()


def test_ascii_type_specific_and_errors(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    ng.NgSendAsciiMsg(s.cs, "a", "setpersistent")
    fails(errno.ENOSYS, ng.NgSendAsciiMsg, s.cs, "a", "getstats")
    fails(errno.ENOSYS, ng.NgSendAsciiMsg, s.cs, ".", "setpersistent")  # socket: generic names only
    fails(errno.ENOENT, ng.NgSendAsciiMsg, s.cs, ".", 'name { nosuchfield="x" }')


def test_binary2ascii_and_ascii2binary_messages(s) -> None:
    s.mkpeer(".", "hub", "a", "a")
    inner = NgMesg(1, NGM_HUB_COOKIE, b"", token=5, cmdstr="cmd1").encode()
    msg, _ = s.ask("a", NGM_BINARY2ASCII, inner)
    out = NgMesg.decode(msg.data)
    assert (out.cmdstr, out.token, out.data) == ("setpersistent", 5, b"\0")
    fails(errno.EINVAL, s.send, "a", NGM_BINARY2ASCII, inner[:40])
    fails(errno.ENOSYS, s.send, ".", NGM_BINARY2ASCII, inner)  # not a command at a socket node
    text = NgMesg(0, 0, b'{ name="zz" }\0', cmdstr="name", version=0).encode()
    msg, _ = s.ask(".", NGM_ASCII2BINARY, text)
    raw = msg.data
    assert raw[0] == 0  # the version byte is copied as given
    assert NgMesg.decode(b"\x08" + raw[1:]) == NgMesg(NGM_NAME, G, b"zz".ljust(32, b"\0"), cmdstr="name",
                                                       version=8)
