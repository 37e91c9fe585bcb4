"""KSocket against real loopback peers: bind, connect, accept, names, type checks.

Each test that takes ``api`` runs on the blocking API and on asyncio (see conftest.py).
"""

from __future__ import annotations

import errno
import socket
import threading
from typing import Any, List

import pytest

from api_support import Api, free_port, stalled_listener
from pyngraph.abi import Family, Proto, SockType
from pyngraph.aio import AioKSocket, AioNodeRef
from pyngraph.api import ConnectEvent, KSocket, NodeRef, hookname
from pyngraph.errors import ConnectionRefused, HookExistsError, InvalidArgumentError, NotConnectedError, TimedOutError


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_udp_bind_connect_and_data(api: Api, sock: Any, udp_peer: socket.socket) -> None:
    ks = api(sock.ksocket("inet", "dgram", "udp", hook="udp"))
    api(ks.bind(("127.0.0.1", 0)))
    host, port = api(ks.getname())
    assert host == "127.0.0.1" and port != 0
    assert api(sock.msg("udp", "getname")).text == f"inet/127.0.0.1:{port}"
    udp_peer.sendto(b"to ksocket", (host, port))
    assert api(ks.recv(timeout=3)) == b"to ksocket"
    api(ks.connect(udp_peer.getsockname()))  # UDP: completes at once
    assert api(ks.getpeername()) == udp_peer.getsockname()
    api(ks.send(b"from ksocket"))
    assert udp_peer.recvfrom(100) == (b"from ksocket", (host, port))
    with pytest.raises(TimedOutError):
        api(ks.recv(timeout=0.05))


def test_getpeername_unconnected_is_enotconn(api: Api, sock: Any) -> None:
    ks = api(sock.ksocket(Family.INET, SockType.DGRAM, Proto.UDP))
    api(ks.bind(("127.0.0.1", 0)))
    with pytest.raises(NotConnectedError) as info:
        api(ks.getpeername())
    assert info.value.errno == errno.ENOTCONN and info.value.command == "getpeername"
    assert ks.path in str(info.value)


def test_tcp_connect_accept_and_stream(api: Api, sock: Any) -> None:
    listener = api(sock.ksocket("inet", "stream", "tcp", hook="listen"))
    api(listener.bind(("127.0.0.1", 0)))
    api(listener.listen())
    api(listener.listen())  # again: no second ACCEPT (it would be EALREADY)
    client = api(sock.ksocket("inet", "stream", "tcp", hook="client"))
    api(client.connect(api(listener.getname()), timeout=5))
    conn = api(listener.accept("server", timeout=5))
    assert conn.hook == "server" and conn.peer == api(client.getname())
    assert api(conn.ksocket.getpeername()) == api(client.getname())
    api(client.send(b"request"))
    assert api(conn.ksocket.recv(timeout=3)) == b"request"
    api(conn.ksocket.send(b"response"))
    assert api(client.recv(timeout=3)) == b"response"
    api(conn.ksocket.close())  # the peer sees EOF: a zero-length packet
    assert api(client.recv(timeout=3)) == b""


def test_accept_loop_with_real_clients(api: Api, sock: Any) -> None:
    listener = api(sock.ksocket("inet", "stream", "tcp", hook="listen"))
    api(listener.bind(("127.0.0.1", 0)))
    api(listener.listen())
    address = api(listener.getname())
    answers: List[bytes] = []

    def client(i: int) -> None:
        with socket.create_connection(address, timeout=5) as c:
            c.sendall(b"client %d" % i)
            answers.append(c.recv(100))
        # closing first: the server sees EOF and only then shuts its node down

    threads = [threading.Thread(target=client, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    served = []
    for conn in api.iterate(listener.connections("c", timeout=5)):
        with api.closing(conn):
            data = api(conn.ksocket.recv(timeout=5))
            api(conn.ksocket.send(data.upper()))
            assert api(conn.ksocket.recv(timeout=5)) == b""  # the client closed
            served.append((conn.hook, data))
        if len(served) == 3:
            break
    for t in threads:
        t.join(5)
    assert sorted(d for _, d in served) == [b"client 0", b"client 1", b"client 2"]
    assert sorted(answers) == [b"CLIENT 0", b"CLIENT 1", b"CLIENT 2"]
    assert all(hook.startswith("c") for hook, _ in served)
    assert [link.ourhook for link in api(sock.hooks()).links] == ["listen"]  # the clones are gone


def test_accept_hooks_the_new_node_where_asked(api: Api, sock: Any) -> None:
    listener = api(sock.ksocket("inet", "stream", "tcp", hook="listen"))
    api(listener.bind(("127.0.0.1", 0)))
    api(listener.listen())
    echo = api(sock.mkpeer(".", "echo", "e", "ctl"))
    with socket.create_connection(api(listener.getname()), timeout=5) as c:
        conn = api(listener.accept("tcp", to=echo, timeout=5))
        assert conn.ksocket.hook is None
        assert {link.ourhook for link in api(echo.hooks()).links} == {"ctl", "tcp"}
        c.sendall(b"echoed by ng_echo")
        assert c.recv(100) == b"echoed by ng_echo"


def test_connect_refused(api: Api, sock: Any) -> None:
    ks = api(sock.ksocket("inet", "stream", "tcp"))
    with pytest.raises(ConnectionRefused) as info:
        api(ks.connect(("127.0.0.1", free_port()), timeout=5))
    err = info.value
    assert isinstance(err, ConnectionRefusedError)
    assert err.errno == errno.ECONNREFUSED and err.command == "connect" and err.path == ks.path
    assert "connect" in str(err) and ks.path in str(err)


def test_connect_timeout_then_late_completion_is_an_event(api: Api, sock: Any) -> None:
    with stalled_listener() as (address, make_room):
        ks = api(sock.ksocket("inet", "stream", "tcp"))
        with pytest.raises(TimedOutError) as info:
            api(ks.connect(address, timeout=0.3))
        assert info.value.errno == errno.ETIMEDOUT and info.value.command == "connect"
        make_room()  # the pending connect completes and arrives as an event
        event = api(sock.next_event(timeout=10))
        assert isinstance(event, ConnectEvent) and event.node_id == ks.id and event.ok


def test_ksocket_commands_refused_on_other_node_types(api: Api, sock: Any) -> None:
    api(sock.mkpeer(".", "hole", "h", "in"))
    with pytest.raises(InvalidArgumentError) as info:
        api(sock.node("h").ksocket())
    assert "'hole'" in str(info.value) and "not a ksocket" in str(info.value)
    with pytest.raises(InvalidArgumentError, match="not a ksocket"):
        api(type(api(sock.ksocket(hook="any"))).attach(sock, "h"))
    ks = api(sock.node(api(sock.mkpeer(".", "ksocket", "k", "inet/dgram/udp")).path).ksocket())
    assert isinstance(ks, (KSocket, AioKSocket)) and ks.path == f"[{ks.id:x}]:"
    assert api(sock.ksocket_at("k")) == ks and api(type(ks).attach(sock, "k")) == ks


def test_hook_names_are_built_and_checked_before_sending(api: Api, sock: Any) -> None:
    assert hookname() == "inet/dgram/udp"
    assert hookname("inet", "stream") == "inet/stream/tcp"
    assert hookname(Family.INET6, SockType.DGRAM) == "inet6/dgram/17"
    assert hookname("inet6", "stream", "tcp") == "inet6/stream/6"
    assert hookname("local", "dgram") == "local/dgram/0"
    assert hookname("inet", "raw", 89) == "inet/raw/89"
    with pytest.raises(InvalidArgumentError, match="inet6/dgram/17"):
        hookname("inet6/dgram/udp")
    with pytest.raises(InvalidArgumentError, match="bare int"):
        hookname(socket.AF_INET6, "dgram")
    with pytest.raises(InvalidArgumentError, match="bare int"):
        hookname("inet", socket.SOCK_DGRAM)
    with pytest.raises(InvalidArgumentError):
        api(sock.ksocket("inet", "dgram", "nosuchproto"))
    assert api(sock.info()).hooks == 0  # nothing was sent


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 on the loopback interface")
def test_inet6_ksocket(api: Api, sock: Any) -> None:
    ks = api(sock.ksocket("inet6", "dgram", hook="v6"))
    assert api(sock.hooks()).links[0].peerhook == "inet6/dgram/17"
    api(ks.bind(("::1", 0)))
    host, port, _, _ = api(ks.getname())
    assert host == "::1"
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as peer:
        peer.bind(("::1", 0))
        peer.settimeout(3)
        peer.sendto(b"over v6", ("::1", port))
        assert api(ks.recv(timeout=3)) == b"over v6"


@pytest.mark.parametrize("address", [("bad", 1), ("127.0.0.1", 70000), ("127.0.0.1", 1, 2), 42])
def test_bad_address_names_the_node_and_the_command(api: Api, sock: Any, address: Any) -> None:
    ks = api(sock.ksocket("inet", "dgram", "udp"))
    for command, call in (("bind", ks.bind), ("connect", ks.connect)):
        with pytest.raises(InvalidArgumentError) as info:
            api(call(address))
        assert info.value.command == command and info.value.path == ks.path
        assert command in str(info.value) and ks.path in str(info.value)


def test_ksocket_connect_is_the_socket_call_and_node_connect_links_hooks(
        api: Api, sock: Any, udp_peer: socket.socket) -> None:
    ks = api(sock.ksocket("inet", "dgram", "udp", hook="ks"))
    echo = api(sock.mkpeer(".", "echo", "e", "x"))
    node_ref = NodeRef if api.loop is None else AioNodeRef
    assert ks.node == ks and isinstance(ks.node, node_ref) and not isinstance(ks, node_ref)
    with pytest.raises(HookExistsError) as refused:  # NGM_CONNECT: the ksocket's hook name is taken
        api(ks.node.connect(echo, "inet/dgram/udp", "y"))
    assert refused.value.command == "connect" and refused.value.path == ks.path
    api(ks.connect(udp_peer.getsockname()))  # the ksocket "connect" message: connect(2) of its socket
    assert api(ks.getpeername()) == udp_peer.getsockname()
