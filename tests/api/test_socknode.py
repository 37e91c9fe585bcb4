"""SockNode and Node: life cycle, generic messages, ASCII messages, errors."""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from typing import List

import pytest

from pyngraph.abi import NodeInfo
from pyngraph.api import SockNode
from pyngraph.errors import (
    HookExistsError, InvalidArgumentError, NameInUseError, NoSuchNodeError, NoSuchTypeError, NotConnectedError,
    TimedOutError,
)


def _open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_context_manager_leaves_no_node_socket_or_fd(sock: SockNode) -> None:
    before = _open_fds()
    with SockNode("api-cleanup") as node:
        udp = node.ksocket("inet", "dgram", "udp", hook="u")
        udp.bind(("127.0.0.1", 0))
        tcp = node.ksocket("inet", "stream", "tcp", hook="t")
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        ports = (udp.getname()[1], tcp.getname()[1])
        ids = {node.id, udp.id, tcp.id}
    assert node.closed
    assert not ids & {n.id for n in sock.list_nodes()}
    with pytest.raises(NoSuchNodeError):
        sock.info("api-cleanup:")
    # The kernel sockets under the ksockets are closed: their ports can be bound again.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", ports[0]))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", ports[1]))
    assert _open_fds() == before


def test_closed_node_refuses_work() -> None:
    node = SockNode()
    node.close()
    node.close()  # twice is fine
    with pytest.raises(NotConnectedError, match="nodeinfo"):
        node.info()
    with pytest.raises(NotConnectedError):
        node.send("x", b"data")


def test_info_hooks_name_mkpeer_connect_rmhook_shutdown(sock: SockNode) -> None:
    me = sock.info()
    assert me.type == "socket" and me.hooks == 0 and sock.id == me.id
    hub = sock.mkpeer(".", "hub", "h1", "a")
    assert hub.path == "h1"
    hub.name("api-hub")
    named = sock.node("api-hub:")
    assert named.info() == NodeInfo("api-hub", "hub", hub.info().id, 1)
    named.connect(f"[{sock.id:x}]:", "b", "h2")  # a string peer is a path from the hub
    links = {link.ourhook: link for link in sock.hooks().links}
    assert set(links) == {"h1", "h2"}
    assert links["h2"].peerhook == "b" and links["h2"].nodeinfo.name == "api-hub"
    sock.rmhook(".", "h1")
    assert [link.ourhook for link in sock.hooks().links] == ["h2"]
    named.shutdown()
    assert sock.info().hooks == 0
    with pytest.raises(NoSuchNodeError):
        named.info()


def test_connect_node_reference_is_resolved_from_our_node(sock: SockNode) -> None:
    first = sock.mkpeer(".", "hub", "one", "up")
    second = sock.mkpeer(".", "hub", "two", "up")
    first.connect(second, "side", "side")  # "two" relative to *us*, made absolute by ID
    links = first.hooks().links
    assert {(link.ourhook, link.nodeinfo.id) for link in links} == {("up", sock.id), ("side", second.info().id)}


def test_list_nodes_names_types(sock: SockNode) -> None:
    sock.name(".", "api-lister")
    ids = {n.id for n in sock.list_nodes()}
    assert sock.id in ids
    assert any(n.name == "api-lister" for n in sock.list_names())
    types = {t.type_name: t.numnodes for t in sock.list_types()}
    assert types["socket"] >= 1 and "ksocket" in types


def test_errors_name_errno_path_and_command(sock: SockNode) -> None:
    with pytest.raises(NoSuchNodeError) as info:
        sock.info("no-such-node:")
    err = info.value
    assert err.errno == errno.ENOENT and err.path == "no-such-node:" and err.command == "nodeinfo"
    assert "'no-such-node:'" in str(err) and "did not resolve" in str(err)

    with pytest.raises(NoSuchTypeError, match="no node type 'nosuchtype'"):
        sock.mkpeer(".", "nosuchtype", "x", "y")

    sock.mkpeer(".", "hub", "dup", "a")
    with pytest.raises(HookExistsError) as exists:
        sock.mkpeer(".", "hub", "dup", "a")
    assert exists.value.errno == errno.EEXIST and exists.value.command == "mkpeer"

    sock.name(".", "api-taken")
    with SockNode() as other, pytest.raises(NameInUseError) as taken:
        other.name(".", "api-taken")
    assert taken.value.errno == errno.EADDRINUSE and "name" in str(taken.value)

    with pytest.raises(InvalidArgumentError, match="longer than 31"):
        sock.name(".", "x" * 40)


def test_ascii_msg_returns_text_and_value(sock: SockNode) -> None:
    hub = sock.mkpeer(".", "hub", "h", "a")
    hub.name("api-ascii")
    reply = sock.msg("h", "nodeinfo")
    assert reply is not None and reply.command == "nodeinfo"
    assert reply.text == f'{{ name="api-ascii" type="hub" id=0x{hub.info().id:x} hooks=1 }}'
    assert reply.value == hub.info()
    assert sock.msg("api-ascii:", "setpersistent") is None  # no reply for this command
    with pytest.raises(OSError) as bad:
        sock.msg("h", "nosuchcommand")
    assert bad.value.errno == errno.ENOSYS and bad.value.command == "nosuchcommand"


def test_unknown_reply_text_is_parsed_to_python(sock: SockNode) -> None:
    tee = sock.mkpeer(".", "tee", "t", "left")
    reply = tee.msg("getstats")
    assert reply is not None and reply.text is not None
    assert isinstance(reply.value, dict)  # no pyngraph codec: the ASCII text, parsed


def test_send_msg_binary_reply_and_timeout(sock: SockNode) -> None:
    from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO, NGM_TEXT_CONFIG

    msg = sock.send_msg(".", NGM_GENERIC_COOKIE, NGM_NODEINFO, reply=True)
    assert NodeInfo.decode(msg.data).id == sock.id
    with SockNode() as quiet:
        # TEXT_CONFIG is passed up to the other socket node's user, who never answers.
        with pytest.raises(TimedOutError) as late:
            sock.send_msg(f"[{quiet.id:x}]:", NGM_GENERIC_COOKIE, NGM_TEXT_CONFIG, reply=True, timeout=0.2)
        assert late.value.errno == errno.ETIMEDOUT


def test_data_between_two_socket_nodes(sock: SockNode) -> None:
    with SockNode("api-data-peer") as peer:
        sock.connect(".", "api-data-peer:", "to-peer", "to-us")
        sock.send("to-peer", b"hello")
        assert peer.recv(timeout=3) == ("to-us", b"hello")
        peer.send(None, b"only one hook")
        assert sock.recv(timeout=3) == ("to-peer", b"only one hook")
        with pytest.raises(TimedOutError):
            sock.recv(timeout=0.05)
        with pytest.raises(OSError) as unreachable:
            sock.send("no-such-hook", b"x")
        assert unreachable.value.errno == errno.EHOSTUNREACH and unreachable.value.command == "send"


def test_control_only_node() -> None:
    with SockNode(data=False) as node:
        assert node.node(".").resolve().path == f"[{node.id:x}]:"
        with pytest.raises(NotConnectedError, match="no data socket"):
            node.recv(timeout=0)
        with pytest.raises(NotConnectedError):
            node.data.fileno()


def test_closing_wakes_a_thread_in_recv() -> None:
    node = SockNode()
    failures: List[BaseException] = []

    def receive() -> None:
        try:
            node.recv()
        except OSError as exc:
            failures.append(exc)

    thread = threading.Thread(target=receive)
    thread.start()
    deadline = time.monotonic() + 10
    while not node._data._lock.locked() and time.monotonic() < deadline:  # until it is in recv()
        time.sleep(0.01)
    node.close()
    thread.join(10)
    assert not thread.is_alive()
    assert [f.errno for f in failures] == [errno.ENOTCONN]  # type: ignore[attr-defined]


def test_enoent_of_mkpeer_names_the_kernel_module_on_freebsd(monkeypatch: pytest.MonkeyPatch) -> None:
    from pyngraph.api import failures
    from pyngraph.errors import NetgraphError

    lost = NetgraphError(errno.ENOENT, path=".", command="NgSendMsg")
    from pyngraph.backend import get_backend
    from pyngraph.backend.protocol import EMULATOR, KERNEL
    from pyngraph.backend.pylib import PyLibNetgraph

    active = get_backend()
    assert isinstance(active, PyLibNetgraph)
    monkeypatch.setattr(failures, "get_backend", lambda: PyLibNetgraph(active.transport, KERNEL))
    err = failures.rename(lost, "mkpeer", ".", node_type="ksocket")
    assert isinstance(err, NoSuchNodeError) and err.command == "mkpeer" and err.path == "."
    assert "kernel module ng_ksocket" in str(err) and "kldload ng_ksocket" in str(err)
    monkeypatch.setattr(failures, "get_backend", lambda: PyLibNetgraph(active.transport, EMULATOR))
    assert "ng_ksocket" not in str(failures.rename(lost, "mkpeer", ".", node_type="ksocket"))


def test_getsockname_gives_freebsd_14s_whole_sockaddr_ng() -> None:
    name = "n" * 31  # the longest node name comes back whole (FreeBSD's tests/sys/netgraph/socket.c)
    with SockNode(name) as named, SockNode() as unnamed:
        raw = named.sockaddr
        assert raw == bytes((34, 32)) + name.encode() + b"\0"
        assert named.sockname == name
        assert unnamed.sockname == f"[{unnamed.id:x}]"
    with pytest.raises(OSError) as info:
        named.sockaddr
    assert info.value.errno == errno.ENOTCONN and info.value.command == "getsockname"
