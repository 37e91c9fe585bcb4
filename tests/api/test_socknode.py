"""Socket nodes and node references: life cycle, generic messages, ASCII messages, errors.

Each test that takes ``api`` runs on the blocking API and on asyncio (see conftest.py).
"""

from __future__ import annotations

import errno
import os
import socket
import threading
import time
from contextlib import closing
from typing import Any, List

import pytest

from api_support import Api
from pyngraph.abi import NodeInfo
from pyngraph.api import SockNode
from pyngraph.errors import (
    HookExistsError, InvalidArgumentError, NameInUseError, NoSuchNodeError, NoSuchTypeError, NotConnectedError,
    TimedOutError,
)


def _open_fds() -> set:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_closing_leaves_no_node_socket_or_fd(api: Api, sock: Any) -> None:
    before = _open_fds()
    with api.closing(api.socknode("api-cleanup")) as node:
        udp = api(node.ksocket("inet", "dgram", "udp", hook="u"))
        api(udp.bind(("127.0.0.1", 0)))
        tcp = api(node.ksocket("inet", "stream", "tcp", hook="t"))
        api(tcp.bind(("127.0.0.1", 0)))
        api(tcp.listen())
        ports = (api(udp.getname())[1], api(tcp.getname())[1])
        ids = {node.id, udp.id, tcp.id}
    assert node.closed
    assert not ids & {n.id for n in api(sock.list_nodes())}
    with pytest.raises(NoSuchNodeError):
        api(sock.info("api-cleanup:"))
    # The kernel sockets under the ksockets are closed: their ports can be bound again.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", ports[0]))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", ports[1]))
    assert _open_fds() == before


def test_closed_node_refuses_work(api: Api) -> None:
    node = api.socknode()
    node.close()
    node.close()  # twice is fine
    with pytest.raises(NotConnectedError, match="nodeinfo"):
        api(node.info())
    with pytest.raises(NotConnectedError):
        node.send("x", b"data")
    with pytest.raises(NotConnectedError):
        api(node.recv(timeout=0))


def test_info_hooks_name_mkpeer_connect_rmhook_shutdown(api: Api, sock: Any) -> None:
    me = api(sock.info())
    assert me.type == "socket" and me.hooks == 0 and sock.id == me.id
    hub = api(sock.mkpeer(".", "hub", "h1", "a"))
    assert hub.path == "h1"
    api(hub.name("api-hub"))
    named = sock.node("api-hub:")
    assert api(named.info()) == NodeInfo("api-hub", "hub", api(hub.info()).id, 1)
    api(named.connect(f"[{sock.id:x}]:", "b", "h2"))  # a string peer is a path from the hub
    links = {link.ourhook: link for link in api(sock.hooks()).links}
    assert set(links) == {"h1", "h2"}
    assert links["h2"].peerhook == "b" and links["h2"].nodeinfo.name == "api-hub"
    api(sock.rmhook(".", "h1"))
    assert [link.ourhook for link in api(sock.hooks()).links] == ["h2"]
    api(named.shutdown())
    assert api(sock.info()).hooks == 0
    with pytest.raises(NoSuchNodeError):
        api(named.info())


def test_connect_node_reference_is_resolved_from_our_node(api: Api, sock: Any) -> None:
    first = api(sock.mkpeer(".", "hub", "one", "up"))
    second = api(sock.mkpeer(".", "hub", "two", "up"))
    api(first.connect(second, "side", "side"))  # "two" relative to *us*, made absolute by ID
    links = api(first.hooks()).links
    assert {(link.ourhook, link.nodeinfo.id) for link in links} == {("up", sock.id), ("side", api(second.info()).id)}
    pinned = api(second.resolve())
    assert pinned.path == f"[{api(second.info()).id:x}]:" and api(pinned.info()) == api(second.info())


def test_list_nodes_names_types(api: Api, sock: Any) -> None:
    api(sock.name(".", "api-lister"))
    ids = {n.id for n in api(sock.list_nodes())}
    assert sock.id in ids
    assert any(n.name == "api-lister" for n in api(sock.list_names()))
    types = {t.type_name: t.numnodes for t in api(sock.list_types())}
    assert types["socket"] >= 1 and "ksocket" in types


def test_errors_name_errno_path_and_command(api: Api, sock: Any) -> None:
    with pytest.raises(NoSuchNodeError) as info:
        api(sock.info("no-such-node:"))
    err = info.value
    assert err.errno == errno.ENOENT and err.path == "no-such-node:" and err.command == "nodeinfo"
    assert "'no-such-node:'" in str(err) and "did not resolve" in str(err)

    with pytest.raises(NoSuchTypeError, match="no node type 'nosuchtype'"):
        api(sock.mkpeer(".", "nosuchtype", "x", "y"))

    api(sock.mkpeer(".", "hub", "dup", "a"))
    with pytest.raises(HookExistsError) as exists:
        api(sock.mkpeer(".", "hub", "dup", "a"))
    assert exists.value.errno == errno.EEXIST and exists.value.command == "mkpeer"

    api(sock.name(".", "api-taken"))
    with closing(api.socknode()) as other, pytest.raises(NameInUseError) as taken:
        api(other.name(".", "api-taken"))
    assert taken.value.errno == errno.EADDRINUSE and "name" in str(taken.value)

    with pytest.raises(InvalidArgumentError, match="longer than 31"):
        api(sock.name(".", "x" * 40))


def test_ascii_msg_returns_text_and_value(api: Api, sock: Any) -> None:
    name = f"api-ascii-{api.mode}"  # a persistent node outlives the test
    hub = api(sock.mkpeer(".", "hub", "h", "a"))
    api(hub.name(name))
    reply = api(sock.msg("h", "nodeinfo"))
    assert reply is not None and reply.command == "nodeinfo"
    assert reply.text == f'{{ name="{name}" type="hub" id=0x{api(hub.info()).id:x} hooks=1 }}'
    assert reply.value == api(hub.info())
    assert api(sock.msg(f"{name}:", "setpersistent")) is None  # no reply for this command
    with pytest.raises(OSError) as bad:
        api(sock.msg("h", "nosuchcommand"))
    assert bad.value.errno == errno.ENOSYS and bad.value.command == "nosuchcommand"


def test_unknown_reply_text_is_parsed_to_python(api: Api, sock: Any) -> None:
    tee = api(sock.mkpeer(".", "tee", "t", "left"))
    reply = api(tee.msg("getstats"))
    assert reply is not None and reply.text is not None
    assert isinstance(reply.value, dict)  # no pyngraph codec: the ASCII text, parsed
    decoded = api(sock.decode(reply.msg, reply.path))  # any received message, decoded the same way
    assert decoded.text == reply.text and decoded.value == reply.value


def test_send_msg_binary_reply_and_timeout(api: Api, sock: Any) -> None:
    from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO, NGM_TEXT_CONFIG

    msg = api(sock.send_msg(".", NGM_GENERIC_COOKIE, NGM_NODEINFO, reply=True))
    assert NodeInfo.decode(msg.data).id == sock.id
    tee = api(sock.mkpeer(".", "tee", "t", "left"))
    assert NodeInfo.decode(api(tee.send_msg(NGM_GENERIC_COOKIE, NGM_NODEINFO, reply=True)).data).type == "tee"
    with closing(api.socknode()) as quiet:
        # TEXT_CONFIG is passed up to the other socket node's user, who never answers.
        with pytest.raises(TimedOutError) as late:
            api(sock.send_msg(f"[{quiet.id:x}]:", NGM_GENERIC_COOKIE, NGM_TEXT_CONFIG, reply=True, timeout=0.2))
        assert late.value.errno == errno.ETIMEDOUT


def test_data_between_two_socket_nodes(api: Api, sock: Any) -> None:
    with closing(api.socknode("api-data-peer")) as peer:
        api(sock.connect(".", "api-data-peer:", "to-peer", "to-us"))
        sock.send("to-peer", b"hello")
        assert api(peer.recv(timeout=3)) == ("to-us", b"hello")
        peer.send(None, b"only one hook")
        assert api(sock.recv(timeout=3)) == ("to-peer", b"only one hook")
        with pytest.raises(TimedOutError):
            api(sock.recv(timeout=0.05))
        with pytest.raises(OSError) as unreachable:
            sock.send("no-such-hook", b"x")
        assert unreachable.value.errno == errno.EHOSTUNREACH and unreachable.value.command == "send"


def test_control_only_node(api: Api) -> None:
    with closing(api.socknode(data=False)) as node:
        assert api(node.node(".").resolve()).path == f"[{node.id:x}]:"
        with pytest.raises(NotConnectedError, match="no data socket"):
            api(node.recv(timeout=0))
        with pytest.raises(NotConnectedError, match="no data socket"):
            node.send(None, b"x")


def test_control_only_node_has_no_data_descriptor() -> None:
    with SockNode(data=False) as node, pytest.raises(NotConnectedError):
        node.data.fileno()


def test_closing_wakes_a_thread_in_recv() -> None:  # threads: the blocking API only (asyncio: test_aio.py)
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


def test_getsockname_gives_freebsd_14s_whole_sockaddr_ng(api: Api) -> None:
    name = "n" * 31  # the longest node name comes back whole (FreeBSD's tests/sys/netgraph/socket.c)
    with closing(api.socknode(name)) as named, closing(api.socknode()) as unnamed:
        raw = named.sockaddr
        assert raw == bytes((34, 32)) + name.encode() + b"\0"
        assert named.sockname == name
        assert unnamed.sockname == f"[{unnamed.id:x}]"
    with pytest.raises(OSError) as info:
        named.sockaddr
    assert info.value.errno == errno.ENOTCONN and info.value.command == "getsockname"
