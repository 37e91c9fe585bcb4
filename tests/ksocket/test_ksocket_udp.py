"""ksocket over UDP and other datagram sockets: FreeBSD's ksocket.c tests and the address tag."""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading

import pytest
from ks_support import WAIT, User

from pyngraph.abi.nodetype import Hooks, NgType
from pyngraph.abi import decode_sockaddr, encode_sockaddr
from pyngraph.abi.constants import AF_INET, AF_INET6, AF_LOCAL
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, NG_KSOCKET_TAG_SOCKADDR
from pyngraph.emulator.kernel import Kernel
from pyngraph.emulator.node import Hook, Node, Tag
from pyngraph.errors import NetgraphError

HELLO = b"Hello, peer!\0"


def test_udp_connect(user: User) -> None:
    # ksocket.c udp_connect: the node connects to a plain socket bound to the wildcard address.
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        us.bind(("0.0.0.0", 0))
        port = us.getsockname()[1]
        user.ksocket("inet/dgram/udp")
        sa = encode_sockaddr(AF_INET, ("0.0.0.0", port))
        user.send(".:ks", NGM_KSOCKET_CONNECT, sa)  # immediate for UDP: no EINPROGRESS, no reply
        user.send_data(None, HELLO)
        us.settimeout(10)
        assert us.recv(13) == HELLO
        assert user.no_message()
    finally:
        us.close()


def test_udp_bind(user: User) -> None:
    # ksocket.c udp_bind: GETNAME's reply is 56 + 16 bytes; a plain socket sends to that name.
    user.ksocket("inet/dgram/udp")
    user.bind(".:ks", AF_INET, ("0.0.0.0", 0))
    token = user.send(".:ks", 5)
    msg, sender = user.recv()
    assert len(msg.encode()) == 72 and msg.token == token and msg.flags == 1
    assert sender == f"[{user.nodeinfo('.:ks').id:x}]:"
    family, (host, port) = decode_sockaddr(msg.data)
    assert family == AF_INET and host == "0.0.0.0" and port > 0
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        us.connect(("127.0.0.1", port))
        assert us.send(HELLO) == 13
        assert user.recv_data() == (HELLO, "ks")
    finally:
        us.close()


def test_udp_echo_service_answers_each_sender(user: User) -> None:
    # ksocket -> echo -> the same ksocket: the source-address tag sends each datagram back.
    user.mkpeer(".", "echo", "e", "e")
    user.mkpeer(".:e", "ksocket", "ks", "inet/dgram/udp")
    user.bind(".:e.ks", AF_INET, ("127.0.0.1", 0))
    port = decode_sockaddr(user.getname(".:e.ks")).address[1]
    clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3)]
    try:
        for i, client in enumerate(clients):
            client.settimeout(10)
            client.sendto(b"ping %d" % i, ("127.0.0.1", port))
        for i, client in enumerate(clients):
            data, source = client.recvfrom(100)
            assert data == b"ping %d" % i and source == ("127.0.0.1", port)
    finally:
        for client in clients:
            client.close()


def test_unconnected_send_without_tag_is_dropped_and_logged(user: User, caplog) -> None:
    user.ksocket("inet/dgram/udp")
    caplog.set_level(logging.DEBUG, logger="pyngraph.emulator.ksocket")
    user.send_data("ks", b"nowhere to go")  # no destination: FreeBSD drops it, the sender sees success
    user.barrier()
    user.getname(".:ks")  # a queued round trip through the ksocket: the packet was handled before
    assert any("dropped 13 bytes" in r.getMessage() for r in caplog.records)


def test_source_tag_and_foreign_tags(kernel: Kernel) -> None:
    # Packets from an unconnected socket carry the tag; only our own (or node 0's) tags steer sends.
    received = []
    arrived = threading.Event()

    class Probe(Node):
        declaration = NgType("ksprobe", 1, (), Hooks(any_name=True), "records packets")

        def rcvdata(self, hook: Hook, data: bytes, tags) -> None:
            received.append((data, tuple(tags)))
            arrived.set()

    def build():
        if "ksprobe" not in kernel.types:
            kernel.register_type(Probe)
        ks = kernel.make_node("ksocket")
        probe = kernel.make_node("ksprobe")
        a = kernel.add_hook(ks, "inet/dgram/udp")
        b = kernel.add_hook(probe, "p")
        kernel.link(a, b, (a, b))
        ks.sock.bind(("127.0.0.1", 0))
        return ks, probe, b, ks.sock.getsockname()[1]

    ks, probe, hook, port = kernel.call(build)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        peer.bind(("127.0.0.1", 0))
        peer.settimeout(10)
        peer.sendto(b"hi", ("127.0.0.1", port))
        assert arrived.wait(WAIT)
        data, tags = received[0]
        assert data == b"hi" and len(tags) == 1
        tag = tags[0]
        assert (tag.cookie, tag.type) == (NGM_KSOCKET_COOKIE, NG_KSOCKET_TAG_SOCKADDR)
        assert struct.unpack("=I", tag.payload[:4])[0] == ks.id
        assert tag.payload[4:] == encode_sockaddr(AF_INET, peer.getsockname())
        where = encode_sockaddr(AF_INET, peer.getsockname())
        for stamp, text in ((ks.id + 1000, b"foreign"), (0, b"zero"), (ks.id, b"ours")):
            tag = Tag(NGM_KSOCKET_COOKIE, NG_KSOCKET_TAG_SOCKADDR, struct.pack("=I", stamp) + where)
            kernel.call(lambda t=tag, d=text: probe.send_data(hook, d, (t,)))
        assert peer.recv(100) == b"zero"  # the foreign stamp was ignored: no destination, dropped
        assert peer.recv(100) == b"ours"
    finally:
        peer.close()
        kernel.call(lambda: kernel.rmnode(probe))


def test_inet6_udp_bind_and_tagged_reply(user: User) -> None:
    user.ksocket("inet6/dgram/17")
    user.bind(".:ks", AF_INET6, ("::1", 0))
    name = user.getname(".:ks")
    assert name[:2] == bytes((28, AF_INET6))
    port = decode_sockaddr(name).address[1]
    client = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        client.connect(("::1", port))
        client.send(b"six")
        assert user.recv_data() == (b"six", "ks")
    finally:
        client.close()


def test_local_dgram(user: User, tmp_path) -> None:
    path = str(tmp_path / "ks.sock")
    user.ksocket("local/dgram/0")
    user.bind(".:ks", AF_LOCAL, path)
    assert decode_sockaddr(user.getname(".:ks")) == (AF_LOCAL, path)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        client.sendto(b"local hello", path)
        assert user.recv_data() == (b"local hello", "ks")
    finally:
        client.close()
    user.rmhook("ks")
    user.barrier()
    assert os.path.exists(path)  # FreeBSD leaves the bound path on disk too


def _icmp_echo(ident: int) -> bytes:
    header = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"ksocket!"  # an even length
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    total = (total >> 16) + (total & 0xFFFF)
    checksum = ~(total + (total >> 16)) & 0xFFFF
    return header[:2] + struct.pack("!H", checksum) + header[4:]


def test_raw_socket_where_the_process_may_open_one(user: User) -> None:
    try:
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()
    except PermissionError as exc:
        with pytest.raises(NetgraphError) as info:
            user.ksocket("inet/raw/icmp")
        assert info.value.errno == exc.errno  # the host's refusal, as FreeBSD's EPERM
        return
    user.ksocket("inet/raw/icmp")
    user.send(".:ks", NGM_KSOCKET_CONNECT, encode_sockaddr(AF_INET, ("127.0.0.1", 0)))
    ident = os.getpid() & 0xFFFF
    user.send_data("ks", _icmp_echo(ident))
    while True:  # the raw socket sees our request cross loopback (and maybe the reply)
        data, hook = user.recv_data()
        icmp = data[(data[0] & 0x0F) * 4:]  # raw IPv4 input carries the IP header
        if icmp[:1] == b"\x08" and struct.unpack("!H", icmp[4:6])[0] == ident:
            break
