"""What a ksocket receives reaches an in-process reader as a socket's data would.

The in-process kernel runs a ksocket's reads on the thread that waits in
``NgRecvData`` (and the kernel thread only when no reader does); whichever
thread delivers, a user relies on the same things: datagrams in the order
they came, FreeBSD's drops (counted) when the reader is full, a data
descriptor that ``select()`` reports readable while a packet waits, and each
of several readers getting its own packets.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import threading
from typing import Callable, List

import pytest
from ks_support import G, WAIT, User, wait_for

from pyngraph import libnetgraph as ng
from pyngraph.abi import Connect, decode_sockaddr
from pyngraph.abi.constants import AF_INET, NGM_CONNECT
from pyngraph.emulator.kernel import Kernel
from pyngraph.errors import NetgraphError

_NUM = struct.Struct("!I")
_RCVTIMEO = struct.Struct("@ll")


def _fed(user: User) -> socket.socket:
    """A bound UDP ksocket on ``user``'s hook "ks" and a UDP socket connected to it."""
    user.ksocket("inet/dgram/udp")
    user.bind(".:ks", AF_INET, ("127.0.0.1", 0))
    _, (host, port) = decode_sockaddr(user.getname(".:ks"))
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.connect((host, port))
    return peer


def _bounded(user: User) -> None:
    """A blocking NgRecvData on ``user``'s data socket fails after ``WAIT`` s instead of hanging the test."""
    with socket.socket(fileno=os.dup(user.ds)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _RCVTIMEO.pack(int(WAIT), 0))


def _blocking_recv(user: User) -> int:
    data, hook = ng.NgRecvData(user.ds, 70000)
    assert hook == "ks"
    return int(_NUM.unpack(data[:4])[0])


def _polling_recv(user: User) -> int:
    """NgRecvData on a non-blocking descriptor; select() when it says EAGAIN."""
    while True:
        try:
            data, hook = ng.NgRecvData(user.ds, 70000)
        except NetgraphError as exc:
            assert exc.errno == errno.EAGAIN
            assert select.select([user.ds], [], [], WAIT)[0], "nothing readable within WAIT"
            continue
        assert hook == "ks"
        return int(_NUM.unpack(data[:4])[0])


def _selecting_recv(user: User) -> int:
    """A reader that only reads what select() says is there."""
    assert select.select([user.ds], [], [], WAIT)[0], "the data socket did not become readable"
    return _blocking_recv(user)


def _stream(user: User, peer: socket.socket, count: int, recv: Callable[[User], int], window: int = 32,
            first: int = 0) -> List[int]:
    """Send ``count`` numbered datagrams with up to ``window`` in flight; the numbers received."""
    got: List[int] = []
    sent = 0
    while len(got) < count:
        while sent < count and sent - len(got) < window:
            peer.send(_NUM.pack(first + sent) + bytes(60))
            sent += 1
        got.append(recv(user))
    return got


@pytest.mark.parametrize("recv", [_blocking_recv, _polling_recv, _selecting_recv])
def test_numbered_datagrams_arrive_in_order(user: User, recv: Callable[[User], int]) -> None:
    peer = _fed(user)
    user.raise_rcvbuf(256 << 10)  # room for the window: this test is about order, not drops
    _bounded(user)
    if recv is _polling_recv:
        os.set_blocking(user.ds, False)
    try:
        assert _stream(user, peer, 3000, recv) == list(range(3000))
    finally:
        peer.close()


def _data_drops(kernel: Kernel, user: User) -> int:
    return int(kernel.call(lambda: kernel.node_by_id(user.nodeinfo(".").id).data.books.drops))


def test_a_full_reader_drops_what_does_not_fit_and_counts_it(user: User, kernel: Kernel) -> None:
    """20 KiB of receive space holds twenty 1000-byte datagrams (sa_len 5 + 1000 each); the rest is
    dropped with ENOBUFS and counted; once read, the space is free again."""
    peer = _fed(user)
    _bounded(user)
    os.set_blocking(user.ds, False)
    try:
        for n in range(50):
            peer.send(_NUM.pack(n) + bytes(996))
        wait_for(lambda: _data_drops(kernel, user) == 30, "30 of 50 datagrams dropped")
        assert [_blocking_recv(user) for _ in range(20)] == list(range(20))
        with pytest.raises(NetgraphError) as info:
            ng.NgRecvData(user.ds, 70000)
        assert info.value.errno == errno.EAGAIN
        # read while they arrive (bursts the UDP socket holds): what is kept stays in order, and
        # kept + dropped = sent
        kept: List[int] = []

        def settled(sent: int) -> bool:
            while True:
                try:
                    kept.append(_blocking_recv(user))
                except NetgraphError as exc:
                    assert exc.errno == errno.EAGAIN
                    return len(kept) + _data_drops(kernel, user) - 30 == sent
        for burst in range(5):
            for n in range(50 + 40 * burst, 90 + 40 * burst):
                peer.send(_NUM.pack(n) + bytes(996))
            wait_for(lambda: settled(40 * (burst + 1)), "every datagram read or dropped")
        assert kept == sorted(kept) and set(kept) <= set(range(50, 250)) and len(set(kept)) == len(kept)
    finally:
        peer.close()


def test_a_reader_that_only_selects_sees_each_datagram(user: User) -> None:
    peer = _fed(user)
    try:
        for n in range(200):
            peer.send(_NUM.pack(n))
            assert _selecting_recv(user) == n
        assert not select.select([user.ds], [], [], 0)[0]  # nothing left: not readable
    finally:
        peer.close()


def _reader(user: User, peer: socket.socket, count: int, recv: Callable[[User], int], results: List[object]
            ) -> threading.Thread:
    def run() -> None:
        try:
            results.append(_stream(user, peer, count, recv))
        except BaseException as exc:  # reported by the test's thread
            results.append(exc)
    return threading.Thread(target=run, daemon=True)


@pytest.mark.parametrize("other", [_blocking_recv, _selecting_recv])
def test_two_readers_on_two_socket_nodes_both_get_their_data(users: List[User], other: Callable[[User], int]
                                                             ) -> None:
    """Each in its own thread; one blocks in NgRecvData, the other blocks in it too or only selects."""
    first, second = User(), User()
    users += [first, second]
    peers = [_fed(first), _fed(second)]
    for u in (first, second):
        u.raise_rcvbuf(256 << 10)
        _bounded(u)
    results: List[List[object]] = [[], []]
    threads = [_reader(first, peers[0], 2000, _blocking_recv, results[0]),
               _reader(second, peers[1], 2000, other, results[1])]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(4 * WAIT)
        assert not any(t.is_alive() for t in threads)
        assert results == [[list(range(2000))], [list(range(2000))]]
    finally:
        for p in peers:
            p.close()


def test_what_waits_is_read_before_the_end_of_a_node_shut_down(users: List[User]) -> None:
    reader, sender = User(), User()
    users += [reader, sender]
    node = reader.nodeinfo(".").id
    sender.send(".", NGM_CONNECT, Connect(f"[{node:x}]:", "out", "in").encode(), cookie=G)
    for n in range(5):
        ng.NgSendData(sender.ds, "out", _NUM.pack(n))
    sender.shutdown(f"[{node:x}]:")
    assert [ng.NgRecvData(reader.ds, 100) for _ in range(5)] == [(_NUM.pack(n), "in") for n in range(5)]
    assert select.select([reader.ds], [], [], 0)[0]  # EOF is readable
    assert ng.NgRecvData(reader.ds, 100) == (b"", "")


def _blocked_recv(user: User, results: List[object]) -> threading.Thread:
    def run() -> None:
        try:
            results.append(ng.NgRecvData(user.ds, 100))
        except BaseException as exc:  # reported by the test's thread
            results.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_reader_blocked_in_recv_gets_what_another_socket_sends_and_then_the_end(users: List[User]) -> None:
    reader, sender = User(), User()
    users += [reader, sender]
    _bounded(reader)
    node = reader.nodeinfo(".").id
    sender.send(".", NGM_CONNECT, Connect(f"[{node:x}]:", "out", "in").encode(), cookie=G)
    results: List[object] = []
    thread = _blocked_recv(reader, results)
    ng.NgSendData(sender.ds, "out", b"first")
    thread.join(WAIT)
    thread = _blocked_recv(reader, results)
    sender.shutdown(f"[{node:x}]:")
    thread.join(WAIT)
    assert results == [(b"first", "in"), (b"", "")]


def test_a_blocking_reader_with_a_receive_timeout_gets_eagain(user: User) -> None:
    """SO_RCVTIMEO on the data socket ends a blocking NgRecvData that gets nothing, with EAGAIN.

    (The reader runs the kernel's loop while it waits; that wait is part of
    the timeout.)  A packet sent afterwards is still delivered.
    """
    peer = _fed(user)
    with socket.socket(fileno=os.dup(user.ds)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _RCVTIMEO.pack(0, 20000))
    for _ in range(3):
        with pytest.raises(NetgraphError) as info:
            ng.NgRecvData(user.ds, 70000)
        assert info.value.errno == errno.EAGAIN
    _bounded(user)
    peer.send(_NUM.pack(7))
    assert _blocking_recv(user) == 7
    peer.close()
