"""ksocket over stream sockets: listen/accept and clones, async connect, EOF, bulk data, socat."""

from __future__ import annotations

import hashlib
import os
import random
import select
import shutil
import socket
import subprocess
import threading
import time

import pytest
from ks_support import WAIT, User, free_port, i32, ksocket_nodes, node_alive, unpack_i32, wait_for

from pyngraph.abi import Connect, decode_sockaddr, encode_sockaddr
from pyngraph.abi.constants import (
    AF_INET, AF_INET6, AF_LOCAL, NGF_RESP, NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_NODEINFO, SO_SNDBUF, SOL_SOCKET,
    Errno,
)
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_ACCEPT, NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETPEERNAME, NGM_KSOCKET_LISTEN,
)
from pyngraph.emulator.kernel import Kernel
from pyngraph.errors import NetgraphError, NoBufferSpaceError


def listener(user: User, hookname: str = "inet/stream/tcp", family: int = AF_INET,
             address: object = ("127.0.0.1", 0)) -> object:
    """A listening ksocket on our hook "ks"; its bound address."""
    user.ksocket(hookname)
    user.bind(".:ks", family, address)
    user.send(".:ks", NGM_KSOCKET_LISTEN, i32(8))
    return decode_sockaddr(user.getname(".:ks")).address


def hook_clone(user: User, clone_id: int, ourhook: str, clonehook: str = "anything at all") -> None:
    user.send(".", NGM_CONNECT, Connect(f"[{clone_id:x}]:", ourhook, clonehook).encode(), cookie=NGM_GENERIC_COOKIE)


def connect_token(user: User, path: str, sa: bytes) -> int:
    """Send CONNECT, expect EINPROGRESS; the request's token (libnetgraph counts from the last one)."""
    before = user.send(".", NGM_NODEINFO, cookie=NGM_GENERIC_COOKIE)
    user.recv()
    with pytest.raises(NetgraphError) as info:
        user.send(path, NGM_KSOCKET_CONNECT, sa)
    assert info.value.fbsd_errno == Errno.EINPROGRESS
    return before + 1


def test_listen_accept_clone_and_data(user: User, kernel: Kernel) -> None:
    host, port = listener(user)
    token = user.send(".:ks", NGM_KSOCKET_ACCEPT)
    assert user.no_message()  # nothing pending: the reply comes with the connection
    client = socket.create_connection((host, port), timeout=WAIT)
    try:
        reply, sender, msg = user.accept_reply()
        assert msg.token == token and msg.flags == NGF_RESP and msg.cmdstr == "NGM_KSOCKET_ACCEPT"
        assert sender == f"[{reply.nodeid:x}]:"  # sent from the clone
        assert len(msg.data) == 4 + 16
        assert reply.sockaddr() == (AF_INET, client.getsockname())
        assert ksocket_nodes(kernel)[reply.nodeid] == 0  # an embryo until hooked
        hook_clone(user, reply.nodeid, "c")
        peer = user.ask(f"[{reply.nodeid:x}]:", NGM_KSOCKET_GETPEERNAME).data
        assert decode_sockaddr(peer) == (AF_INET, client.getsockname())
        client.sendall(b"from the client")
        assert user.recv_data() == (b"from the client", "c")
        user.send_data("c", b"from the node")
        assert client.recv(100) == b"from the node"
        client.shutdown(socket.SHUT_WR)
        assert user.recv_data() == (b"", "c")  # EOF: one zero-length packet
        user.send_data("c", b"after EOF")  # half-close: we may still send
        assert client.recv(100) == b"after EOF"
        assert user.no_message() and not user.readable_data()
    finally:
        client.close()
    user.rmhook("c")
    wait_for(lambda: not node_alive(kernel, reply.nodeid), "clone gone after its hook was removed")


def test_accept_is_eager_and_replies_to_the_last_requester(user: User, kernel: Kernel) -> None:
    others = set(ksocket_nodes(kernel))  # ksocket nodes of other tests sharing the kernel
    host, port = listener(user)
    listener_id = user.nodeinfo(".:ks").id

    def ours() -> dict:
        return {i: hooks for i, hooks in ksocket_nodes(kernel).items() if i not in others}

    early = socket.create_connection((host, port), timeout=WAIT)  # before any ACCEPT: reply lost
    wait_for(lambda: len(ours()) == 2, "eager accept of the early connection")
    assert user.no_message()
    t1 = user.send(".:ks", NGM_KSOCKET_ACCEPT)
    with pytest.raises(NetgraphError) as info:
        user.send(".:ks", NGM_KSOCKET_ACCEPT)  # one is already pending
    assert info.value.fbsd_errno == Errno.EALREADY
    clients = [socket.create_connection((host, port), timeout=WAIT) for _ in range(2)]
    try:
        replies = [user.accept_reply() for _ in clients]
        # Both later connections answer the one stored request, with its token.
        assert [m.token for _, _, m in replies] == [t1, t1]
        t2 = user.send(".:ks", NGM_KSOCKET_ACCEPT)
        clients.append(socket.create_connection((host, port), timeout=WAIT))
        assert user.accept_reply()[2].token == t2
        embryos = {i: hooks for i, hooks in ours().items() if i != listener_id}
        assert len(embryos) == 4 and not any(embryos.values())
        hooked = replies[0][0].nodeid
        hook_clone(user, hooked, "c")
        user.shutdown(".:ks")  # the listener goes, and with it every embryo
        user.barrier()
        assert set(ours()) == {hooked}  # the hooked clone is independent
        for client in [early] + clients[1:]:
            client.settimeout(WAIT)
            assert client.recv(10) == b""  # their embryos closed the accepted sockets
    finally:
        early.close()
        for client in clients:
            client.close()


def test_connect_async_success(user: User) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        user.ksocket("inet/stream/tcp")
        token = connect_token(user, ".:ks", encode_sockaddr(AF_INET, server.getsockname()))
        msg, sender = user.recv()
        assert (msg.typecookie, msg.cmd, msg.flags, msg.token) == (NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT, NGF_RESP, token)
        assert msg.cmdstr == "NGM_KSOCKET_CONNECT" and unpack_i32(msg.data) == 0
        assert sender == f"[{user.nodeinfo('.:ks').id:x}]:"
        conn, _ = server.accept()
        with conn:
            conn.settimeout(WAIT)
            user.send_data("ks", b"hello server")
            assert conn.recv(100) == b"hello server"
            conn.sendall(b"hello node")
            assert user.recv_data() == (b"hello node", "ks")
            with pytest.raises(NetgraphError) as info:
                user.send(".:ks", NGM_KSOCKET_CONNECT, encode_sockaddr(AF_INET, server.getsockname()))
            assert info.value.fbsd_errno == Errno.EISCONN
            assert user.no_message()  # exactly one CONNECT reply
    finally:
        server.close()


def test_connect_refused_is_reported_asynchronously(user: User) -> None:
    user.ksocket("inet/stream/tcp")
    token = connect_token(user, ".:ks", encode_sockaddr(AF_INET, ("127.0.0.1", free_port())))
    msg, _ = user.recv()
    assert msg.cmd == NGM_KSOCKET_CONNECT and msg.token == token
    assert len(msg.data) == 4 and unpack_i32(msg.data) == 61  # FreeBSD's ECONNREFUSED
    assert user.recv_data() == (b"", "ks")  # the socket can receive no more: EOF, as FreeBSD
    assert user.no_message()


def test_connect_while_connecting_is_ealready(user: User) -> None:
    # A listener whose accept queue is full leaves further connects in SYN_SENT.
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers = []
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        for _ in range(3):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(server.getsockname())
            fillers.append(s)
        user.ksocket("inet/stream/tcp")
        sa = encode_sockaddr(AF_INET, server.getsockname())
        connect_token(user, ".:ks", sa)
        with pytest.raises(NetgraphError) as info:
            user.send(".:ks", NGM_KSOCKET_CONNECT, sa)
        assert info.value.fbsd_errno in (Errno.EALREADY, Errno.EISCONN)
        if info.value.fbsd_errno == Errno.EISCONN:
            pytest.skip("the host completed the connect at once; EALREADY not reachable here")
        user.rmhook("ks")  # shutting down cancels the owed reply
        assert user.no_message()
    finally:
        server.close()
        for s in fillers:
            s.close()


def send_retrying(user: User, hook: str, data: bytes) -> None:
    """NgSendData, waiting for room while the graph pushes back with ENOBUFS (as on FreeBSD)."""
    while True:
        try:
            user.send_data(hook, data)
            return
        except NoBufferSpaceError:
            if not select.select([], [user.ds], [], WAIT)[1]:
                pytest.fail(f"the data socket stayed full for {WAIT} s")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_one_mebibyte_each_way(user: User) -> None:
    payload = os.urandom(1 << 20)
    user.raise_rcvbuf()  # room for the whole mebibyte: FreeBSD drops what does not fit
    host, port = listener(user)
    user.send(".:ks", NGM_KSOCKET_ACCEPT)
    client = socket.create_connection((host, port), timeout=WAIT)
    try:
        reply, _, _ = user.accept_reply()
        hook_clone(user, reply.nodeid, "c")
        # client -> node -> us, while we read
        writer = threading.Thread(target=client.sendall, args=(payload,))
        writer.start()
        got = bytearray()
        while len(got) < len(payload):
            data, hook = user.recv_data()
            assert hook == "c" and data  # no EOF in the middle
            assert len(data) <= 65535
            got += data
        writer.join()
        assert len(got) == len(payload) and _sha(bytes(got)) == _sha(payload)
        # us -> node -> client, while the client reads
        back = bytearray()

        def read_all() -> None:
            while len(back) < len(payload):
                chunk = client.recv(1 << 16)
                if not chunk:
                    return
                back.extend(chunk)

        reader = threading.Thread(target=read_all)
        reader.start()
        for offset in range(0, len(payload), 16384):
            send_retrying(user, "c", payload[offset:offset + 16384])
        reader.join(WAIT * 3)
        assert not reader.is_alive()
        assert len(back) == len(payload) and _sha(bytes(back)) == _sha(payload)
    finally:
        client.close()


@pytest.mark.parametrize("kernel_fixture", ["ng_kernel", "ng_daemon"], ids=["inproc", "daemon"])
@pytest.mark.parametrize("lossless", [False, True], ids=["freebsd", "lossless"])
def test_hundreds_of_queued_packets_reach_a_slow_peer_whole_and_in_order(
        monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, kernel_fixture: str, lossless: bool) -> None:
    # 500 packets of 1 to 8 KiB written at once to a connection whose peer reads slowly: with a
    # small send buffer the ksocket's outgoing buffer holds most of them and writes them in batches.
    monkeypatch.setenv("PYNGRAPH_LOSSLESS", "1" if lossless else "0")  # read by the kernel started next
    request.getfixturevalue(kernel_fixture)  # a fresh in-process kernel, or a pyngraph-emud
    rng = random.Random(16)
    packets = [rng.randbytes(rng.randint(1, 8192)) for _ in range(500)]
    stream = b"".join(packets)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the node's writes wait
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    user = User()
    try:
        user.ksocket("inet/stream/tcp")
        user.setopt(".:ks", SOL_SOCKET, SO_SNDBUF, i32(8192))
        connect_token(user, ".:ks", encode_sockaddr(AF_INET, server.getsockname()))
        msg, _ = user.recv()
        assert msg.cmd == NGM_KSOCKET_CONNECT and unpack_i32(msg.data) == 0
        peer, _ = server.accept()
        got = bytearray()

        def read_slowly() -> None:
            peer.settimeout(WAIT)
            while len(got) < len(stream):
                chunk = peer.recv(4096)
                if not chunk:
                    return
                got.extend(chunk)
                time.sleep(0.001)

        reader = threading.Thread(target=read_slowly)
        reader.start()
        for packet in packets:
            send_retrying(user, "ks", packet)
        reader.join(WAIT * 3)
        assert not reader.is_alive()
        assert len(got) == len(stream) and _sha(bytes(got)) == _sha(stream)
        peer.close()
    finally:
        user.close()
        server.close()


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not on PATH (apt-get install socat)")
def test_socat_client(user: User) -> None:
    host, port = listener(user)
    user.send(".:ks", NGM_KSOCKET_ACCEPT)
    proc = subprocess.Popen(
        ["socat", "-t", str(int(WAIT)), "STDIO", f"TCP:{host}:{port}"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(b"hello from socat\n")
        proc.stdin.close()  # socat half-closes the connection
        reply, _, _ = user.accept_reply()
        hook_clone(user, reply.nodeid, "c")
        got = b""
        while True:
            data, hook = user.recv_data()
            if not data:
                break
            got += data
        assert got == b"hello from socat\n"
        user.send_data("c", b"hello from ksocket\n")
        user.rmhook("c")  # closes the accepted socket: socat sees EOF and exits
        assert proc.wait(timeout=WAIT) == 0, proc.stderr.read()  # type: ignore[union-attr]
        assert proc.stdout.read() == b"hello from ksocket\n"  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            pipe.close()  # type: ignore[union-attr]


def test_local_stream(user: User, tmp_path) -> None:
    path = str(tmp_path / "stream.sock")
    listener(user, "local/stream/0", AF_LOCAL, path)
    user.send(".:ks", NGM_KSOCKET_ACCEPT)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.connect(path)
        reply, _, msg = user.accept_reply()
        assert msg.data[4:] == bytes((16, AF_LOCAL)) + bytes(14)  # an unnamed peer: FreeBSD's noname
        hook_clone(user, reply.nodeid, "c")
        client.sendall(b"over a local stream")
        assert user.recv_data() == (b"over a local stream", "c")
    finally:
        client.close()


def test_inet6_stream(user: User) -> None:
    host, port, _, _ = listener(user, "inet6/stream/6", AF_INET6, ("::1", 0))
    user.send(".:ks", NGM_KSOCKET_ACCEPT)
    client = socket.create_connection((host, port), timeout=WAIT)
    try:
        reply, _, msg = user.accept_reply()
        assert len(msg.data) == 4 + 28
        assert reply.sockaddr().address[:2] == client.getsockname()[:2]
    finally:
        client.close()


@pytest.mark.parametrize("hookname,kind", [("inet/stream/tcp", socket.SOCK_STREAM), ("inet/dgram/udp", socket.SOCK_DGRAM)])
def test_port_is_free_at_once_after_the_node_goes(user: User, hookname: str, kind: int) -> None:
    user.ksocket(hookname)
    user.bind(".:ks", AF_INET, ("127.0.0.1", 0))
    if kind == socket.SOCK_STREAM:
        user.send(".:ks", NGM_KSOCKET_LISTEN, i32(4))
    port = decode_sockaddr(user.getname(".:ks")).address[1]
    user.rmhook("ks")
    user.barrier()
    with socket.socket(socket.AF_INET, kind) as again:
        again.bind(("127.0.0.1", port))  # no SO_REUSEADDR needed


def test_tcp_echo_through_a_clone_loses_nothing(user: User) -> None:
    # clone -> echo -> clone: the node's own reading pauses while its socket cannot take more.
    payload = os.urandom(1 << 20)
    user.raise_rcvbuf()  # room for the whole mebibyte: FreeBSD drops what does not fit
    host, port = listener(user)
    user.send(".:ks", NGM_KSOCKET_ACCEPT)
    client = socket.create_connection((host, port), timeout=WAIT)
    try:
        reply, _, _ = user.accept_reply()
        clone = f"[{reply.nodeid:x}]:"
        user.mkpeer(clone, "echo", "e", "e")
        writer = threading.Thread(target=client.sendall, args=(payload,))
        writer.start()
        back = bytearray()
        while len(back) < len(payload):
            chunk = client.recv(1 << 16)
            assert chunk, "connection closed early"
            back += chunk
        writer.join()
        assert _sha(bytes(back)) == _sha(payload)
    finally:
        client.close()


def test_clone_forwards_what_arrived_before_it_was_hooked(user: User) -> None:
    host, port = listener(user)
    user.send(".:ks", NGM_KSOCKET_ACCEPT)
    client = socket.create_connection((host, port), timeout=WAIT)
    try:
        reply, _, _ = user.accept_reply()
        client.sendall(b"early bytes")
        client.shutdown(socket.SHUT_WR)  # and the EOF, too, before anyone listens
        user.barrier()
        assert not user.readable_data()  # an embryo keeps its data in the socket
        hook_clone(user, reply.nodeid, "late")
        got = b""
        while True:
            data, hook = user.recv_data()
            assert hook == "late"
            if not data:
                break
            got += data
        assert got == b"early bytes"
    finally:
        client.close()
