"""Control round trip: ksocket GETNAME request + reply through libnetgraph vs a SEQPACKET echo.

Ours: ``NgSendMsg(cs, ".:k", KSOCKET, GETNAME)`` then ``NgRecvMsg`` of the
reply, against the emulated kernel.  The baseline is the physical floor of
the same hop: one AF_UNIX SOCK_SEQPACKET datagram there and one back, echoed
by a thread (in-process mode) or by another process (daemon mode).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from typing import List

from pyngraph.abi.args import Mkpeer
from pyngraph.abi.constants import AF_INET, NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_SHUTDOWN
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_BIND, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME
from pyngraph.abi.sockaddr import encode_sockaddr

from .common import Mode, Result, latency

ROUNDS = 3

_ECHO = ("import socket, sys\n"
         "s = socket.socket(fileno=int(sys.argv[1]))\n"
         "while True:\n"
         "    d = s.recv(4096)\n"
         "    if not d: break\n"
         "    s.send(d)\n")


def echo_latency(n: int, process: bool) -> float:
    """Mean round trip of a 72-byte datagram over a SEQPACKET pair, echoed by a thread or a process."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if process:
        peer = subprocess.Popen([sys.executable, "-c", _ECHO, str(b.fileno())], pass_fds=[b.fileno()])
        b.close()
    else:
        def echo() -> None:
            while True:
                d = b.recv(4096)
                if not d:
                    break
                b.send(d)

        peer = threading.Thread(target=echo, daemon=True)
        peer.start()
    payload = bytes(56 + 16)

    def once() -> None:
        a.send(payload)
        a.recv(4096)

    try:
        latency(200, once)
        return latency(n, once)
    finally:
        a.shutdown(socket.SHUT_RDWR)
        a.close()
        if process:
            peer.wait()  # type: ignore[union-attr]
        else:
            peer.join()  # type: ignore[union-attr]
            b.close()


def floor_latency(n: int) -> float:
    """One SEQPACKET send and the receive of it on the same thread: the syscalls a local round trip needs."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    payload = bytes(72)

    def once() -> None:
        b.send(payload)
        a.recv(4096)

    try:
        return latency(n, once)
    finally:
        a.close()
        b.close()


def getname_latency(lib, n: int) -> float:
    cs, _ = lib.NgMkSockNode(None, False)
    try:
        lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("ksocket", "k", "inet/dgram/udp").encode())
        lib.NgSendMsg(cs, ".:k", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, encode_sockaddr(AF_INET, ("127.0.0.1", 0)))

        def once() -> None:
            lib.NgSendMsg(cs, ".:k", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
            msg, _ = lib.NgRecvMsg(cs, 512)
            assert msg.arglen == 16

        latency(200, once)
        return latency(n, once)
    finally:
        lib.NgSendMsg(cs, ".:k", NGM_GENERIC_COOKIE, NGM_SHUTDOWN)
        lib.transport.close(cs)


def run(quick: bool, modes: List[str]) -> List[Result]:
    n = 300 if quick else 5_000
    rows = []
    for name in modes:
        ours = base = float("inf")
        with Mode(name) as mode:
            for _ in range(ROUNDS):  # interleaved, best of each: the machine's noise hits both alike
                ours = min(ours, getname_latency(mode.lib, n))
                base = min(base, echo_latency(n, process=name == "daemon"))
        peer = "process" if name == "daemon" else "thread"
        notes = [f"baseline: SEQPACKET echo by a {peer}"]
        if name == "inproc":
            floor = min(floor_latency(n) for _ in range(ROUNDS))
            notes.append(f"the request runs on the caller's thread: {ours / floor:.1f}x a same-thread "
                         f"SEQPACKET send+recv ({floor * 1e6:.2f} us)")
        rows.append(Result("control GETNAME round trip", name, ours * 1e6, base * 1e6, "us", goal=2, lower=True,
                           notes=notes))
    return rows
