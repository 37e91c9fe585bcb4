"""Data plane through a ksocket node, against the same traffic on raw Python sockets.

UDP (64- and 1400-byte datagrams), both directions:

* ``out``: ``NgSendData(ds, "k", ...)`` -> ksocket ``inet/dgram/udp`` -> a UDP receiver;
* ``in``: a UDP sender -> the bound ksocket -> ``NgRecvData(ds)``;
* baseline: a UDP sender -> a UDP receiver.

One user thread keeps up to ``WINDOW`` packets in flight (send while the
window is open, else receive), in ours and in the baseline alike, so the
figure is packets/s with pipelining.  A packet not received within
``LOSS_TIMEOUT`` of the last one counts as lost.  ENOBUFS on a data send is
backpressure (FreeBSD's answer to a full queue): the sender receives first.

UDP ping-pong: one 64-byte datagram at a time from a UDP socket to the
bound ksocket and a blocking ``NgRecvData(ds)`` on the same thread, against
the same on two raw UDP sockets: the latency a request/response user sees
(no goal: it keeps watch on the hand-over between the reader and the kernel).

TCP bulk, both directions: 16 KiB writes through a connected
``inet/stream/tcp`` ksocket against the same writes on a raw TCP connection;
the figure is MB/s of payload.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import time
from contextlib import contextmanager
from typing import Callable, Iterator, List, Optional, Tuple

from pyngraph.abi.args import Mkpeer
from pyngraph.abi.constants import AF_INET, NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_SHUTDOWN
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_BIND, NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME,
)
from pyngraph.abi.sockaddr import decode_sockaddr, encode_sockaddr

from .common import Mode, Result, latency, raise_rcvbuf

WINDOW = 64
LOSS_TIMEOUT = 0.5
CHUNK = 16384


class _Ksocket:
    """A socket node with a ksocket on hook ``k`` (its peer hook is the socket type)."""

    def __init__(self, lib, kind: str) -> None:
        self.lib = lib
        self.cs, self.ds = lib.NgMkSockNode(None, True)
        lib.NgSendMsg(self.cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("ksocket", "k", kind).encode())

    def msg(self, cmd: int, args: bytes = b"") -> None:
        self.lib.NgSendMsg(self.cs, ".:k", NGM_KSOCKET_COOKIE, cmd, args)

    def close(self) -> None:
        try:
            self.lib.NgSendMsg(self.cs, ".:k", NGM_GENERIC_COOKIE, NGM_SHUTDOWN)
        except OSError:
            pass
        self.lib.transport.close(self.ds)
        self.lib.transport.close(self.cs)


def _sockaddr(addr: Tuple[str, int]) -> bytes:
    return encode_sockaddr(AF_INET, addr)


def _udp() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    return s


def _pipeline(n: int, send: Callable[[], bool], recv: Callable[[float], bool]) -> Tuple[float, int]:
    """Run ``n`` packets with a window; ``(packets/s, lost)``.  ``send`` False: backpressure."""
    sent = got = 0
    start = time.perf_counter()
    while got < n:
        if sent < n and sent - got < WINDOW:
            if send():
                sent += 1
                continue
        if recv(LOSS_TIMEOUT):
            got += 1
        elif sent - got >= WINDOW or sent == n:
            break  # nothing more arrives: the rest is lost
    elapsed = time.perf_counter() - start
    return got / elapsed, n - got


def _udp_receiver(sock: socket.socket) -> Callable[[float], bool]:
    buf = bytearray(65536)

    def recv(timeout: float) -> bool:
        try:
            sock.recv_into(buf, 0, socket.MSG_DONTWAIT)
            return True
        except BlockingIOError:
            pass
        ready, _, _ = select.select([sock], [], [], timeout)
        if not ready:
            return False
        sock.recv_into(buf)
        return True

    return recv


def raw_udp(n: int, size: int) -> Tuple[float, int]:
    tx, rx = _udp(), _udp()
    tx.connect(rx.getsockname())
    payload = bytes(size)
    try:
        def send() -> bool:
            try:
                tx.send(payload)
                return True
            except BlockingIOError:
                return False

        return _pipeline(n, send, _udp_receiver(rx))
    finally:
        tx.close()
        rx.close()


def ks_udp(lib, n: int, size: int, direction: str) -> Tuple[float, int]:
    ks = _Ksocket(lib, "inet/dgram/udp")
    peer = _udp()
    payload = bytes(size)
    try:
        ks.msg(NGM_KSOCKET_BIND, _sockaddr(("127.0.0.1", 0)))
        if direction == "out":
            ks.msg(NGM_KSOCKET_CONNECT, _sockaddr(peer.getsockname()))

            def send() -> bool:
                try:
                    lib.NgSendData(ks.ds, "k", payload)
                    return True
                except OSError as exc:
                    if exc.errno != errno.ENOBUFS:
                        raise
                    return False

            return _pipeline(n, send, _udp_receiver(peer))
        ks.msg(NGM_KSOCKET_GETNAME)
        reply, _ = lib.NgRecvMsg(ks.cs, 512)
        peer.connect(decode_sockaddr(reply.data).address)
        raise_rcvbuf(ks.ds, 256 << 10)  # room for the 64 packets in flight: 20 KiB holds 14 of 1400 B
        os.set_blocking(ks.ds, False)  # as the baseline: try to read, wait only when nothing is there

        def send_in() -> bool:
            peer.send(payload)
            return True

        def recv_in(timeout: float) -> bool:
            try:
                data, hook = lib.NgRecvData(ks.ds, 65536)
            except OSError as exc:
                if exc.errno != errno.EAGAIN:
                    raise
                if not select.select([ks.ds], [], [], timeout)[0]:
                    return False
                data, hook = lib.NgRecvData(ks.ds, 65536)
            assert len(data) == size and hook == "k"
            return True

        return _pipeline(n, send_in, recv_in)
    finally:
        ks.close()
        peer.close()


def raw_udp_pingpong(n: int) -> float:
    tx, rx = _udp(), _udp()
    tx.connect(rx.getsockname())
    payload = bytes(64)

    def once() -> None:
        tx.send(payload)
        rx.recv(2048)

    try:
        latency(n // 10, once)  # warm-up
        return latency(n, once)
    finally:
        tx.close()
        rx.close()


def ks_udp_pingpong(lib, n: int) -> float:
    ks = _Ksocket(lib, "inet/dgram/udp")
    peer = _udp()
    payload = bytes(64)
    try:
        ks.msg(NGM_KSOCKET_BIND, _sockaddr(("127.0.0.1", 0)))
        ks.msg(NGM_KSOCKET_GETNAME)
        reply, _ = lib.NgRecvMsg(ks.cs, 512)
        peer.connect(decode_sockaddr(reply.data).address)

        def once() -> None:
            peer.send(payload)
            data, _ = lib.NgRecvData(ks.ds, 2048)
            assert len(data) == 64

        latency(n // 10, once)  # warm-up
        return latency(n, once)
    finally:
        ks.close()
        peer.close()


def _bulk(total: int, write: Callable[[], int], read: Callable[[], int], fds: Tuple[int, int]) -> float:
    """Write (up to ``CHUNK`` bytes a call) until ``total`` bytes are written and read; MB/s."""
    written = got = 0
    start = time.perf_counter()
    while got < total:
        progressed = False
        if written < total:
            sent = write()
            written += sent
            progressed = sent > 0
        n = read()
        got += n
        if not progressed and not n:
            r, w, _ = select.select([fds[0]], [fds[1]] if written < total else [], [], 5)
            if not r and not w:
                raise RuntimeError(f"TCP bulk stalled at {got} of {total} bytes")
    return total / (time.perf_counter() - start) / 1e6


def _reader(sock: socket.socket) -> Callable[[], int]:
    buf = bytearray(1 << 18)

    def read() -> int:
        try:
            return sock.recv_into(buf, 0, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0

    return read


def _tcp_pair() -> Tuple[socket.socket, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    client = socket.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    return client, server


def _writer(sock: socket.socket, payload: bytes) -> Callable[[], int]:
    """Non-blocking writes of ``payload`` on a TCP socket, resuming after a partial write."""
    view = memoryview(payload)
    offset = 0

    def write() -> int:
        nonlocal offset
        try:
            sent = sock.send(view[offset:], socket.MSG_DONTWAIT)
        except BlockingIOError:
            return 0
        offset = (offset + sent) % len(payload)
        return sent

    return write


def raw_tcp(total: int) -> float:
    client, server = _tcp_pair()
    try:
        return _bulk(total, _writer(client, bytes(CHUNK)), _reader(server), (server.fileno(), client.fileno()))
    finally:
        client.close()
        server.close()


def ks_tcp(lib, total: int, direction: str) -> float:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    ks = _Ksocket(lib, "inet/stream/tcp")
    conn: Optional[socket.socket] = None
    try:
        try:
            ks.msg(NGM_KSOCKET_CONNECT, _sockaddr(listener.getsockname()))
        except OSError as exc:
            if exc.errno != errno.EINPROGRESS:
                raise
        conn, _ = listener.accept()
        lib.NgRecvMsg(ks.cs, 512)  # the CONNECT reply
        payload = bytes(CHUNK)
        if direction == "out":
            def write() -> int:
                try:
                    lib.NgSendData(ks.ds, "k", payload)
                    return CHUNK
                except OSError as exc:
                    if exc.errno != errno.ENOBUFS:
                        raise
                    return 0

            return _bulk(total, write, _reader(conn), (conn.fileno(), ks.ds))
        os.set_blocking(ks.ds, False)  # NgRecvData then fails with EAGAIN when nothing is there

        def read() -> int:
            try:
                data, _ = lib.NgRecvData(ks.ds, 65536)
            except OSError as exc:
                if exc.errno != errno.EAGAIN:
                    raise
                return 0
            return len(data)

        return _bulk(total, _writer(conn, payload), read, (ks.ds, conn.fileno()))
    finally:
        ks.close()
        if conn is not None:
            conn.close()
        listener.close()


ROUNDS = 2  # ours and the baseline interleaved, best of each: the machine's noise hits both alike
GOAL_UDP = 0.6  # both directions, both modes
GOAL_TCP = {("inproc", "out"): 0.9, ("inproc", "in"): 0.7, ("daemon", "out"): 0.5, ("daemon", "in"): 0.5}


def run_udp(quick: bool, modes: List[str]) -> List[Result]:
    n = 2_000 if quick else 30_000
    rows = []
    for name in modes:
        with Mode(name) as mode:
            for size in (64, 1400):
                for direction in ("out", "in"):
                    ours = base = 0.0
                    lost = base_lost = 0
                    for _ in range(ROUNDS):
                        rate_, lost_ = ks_udp(mode.lib, n, size, direction)
                        ours, lost = max(ours, rate_), lost + lost_
                        rate_, lost_ = raw_udp(n, size)
                        base, base_lost = max(base, rate_), base_lost + lost_
                    arrow = "ds -> ksocket -> udp" if direction == "out" else "udp -> ksocket -> ds"
                    rows.append(Result(f"udp {size}B {direction}", name, ours, base, "pkt/s", goal=GOAL_UDP, notes=[
                        f"{arrow}; {ROUNDS} x {n} packets, lost {lost} (baseline lost {base_lost})"]))
            ours = base = float("inf")
            for _ in range(ROUNDS):
                ours = min(ours, ks_udp_pingpong(mode.lib, n // 10))
                base = min(base, raw_udp_pingpong(n // 10))
            rows.append(Result("udp 64B ping-pong", name, ours * 1e6, base * 1e6, "us", lower=True, notes=[
                f"udp -> ksocket -> blocking NgRecvData, one at a time; {n // 10} round trips; no goal"]))
    return rows


@contextmanager
def lossless() -> Iterator[None]:
    """The emulator's lossless option (not FreeBSD) for the kernels started or used inside.

    TCP bulk in pushes 64 KiB chunks at a socket node faster than one reader
    takes them; FreeBSD drops what does not fit its receive space
    (``ngs_rcvdata``), so the throughput of the stream itself is measured
    with backpressure instead of drops.
    """
    from pyngraph.emulator.inprocess import default_kernel

    kernel = default_kernel()
    saved, saved_env = kernel.lossless, os.environ.get("PYNGRAPH_LOSSLESS")
    kernel.lossless = True
    os.environ["PYNGRAPH_LOSSLESS"] = "1"  # a daemon started now inherits it
    try:
        yield
    finally:
        kernel.lossless = saved
        if saved_env is None:
            del os.environ["PYNGRAPH_LOSSLESS"]
        else:
            os.environ["PYNGRAPH_LOSSLESS"] = saved_env


def run_tcp(quick: bool, modes: List[str]) -> List[Result]:
    total = (4 if quick else 100) << 20
    rows = []
    for name in modes:
        with lossless(), Mode(name) as mode:
            for direction in ("out", "in"):
                ours = base = 0.0
                for _ in range(ROUNDS):
                    ours = max(ours, ks_tcp(mode.lib, total, direction))
                    base = max(base, raw_tcp(total))
                arrow = "ds -> ksocket -> tcp" if direction == "out" else "tcp -> ksocket -> ds"
                rows.append(Result(f"tcp bulk {direction}", name, ours, base, "MB/s", goal=GOAL_TCP[name, direction],
                                   notes=[f"{arrow}; {total >> 20} MiB in {CHUNK}-byte writes; lossless option"]))
    return rows
