"""The datagrams of a data socket whose reader is in the kernel's own process.

A user of the in-process kernel reads its data socket through the
transport (:meth:`take`), so the packets need not cross a Linux socket:
they wait here, in order, each with the name of the hook it came in on,
and the descriptor only carries a one-byte
**doorbell** while any wait, so that it stays readable to ``select()``
exactly as long as a packet is there.  The doorbell is rung by the first
packet and heard when the last is taken; after the kernel closes its end the
reader takes what is left, then sees EOF.

FreeBSD's books stay the socket's (:class:`~.sockbuf.SockBuf`): a packet
admitted to the receive space gives its room back when it is taken.  With
the kernel's ``lossless`` option the packets are counted in bytes instead:
above :data:`HIGH` the producer is paused until the reader has taken half of them.

Everything here runs under the kernel lock.
"""

from __future__ import annotations

import socket
from collections import deque
from typing import Any, Callable, Deque, Optional, Tuple

from .flow import FlowControl
from .sockbuf import SockBuf

DOORBELL = b"\0"
HIGH = 256 << 10  # lossless: bytes waiting above which the producer is paused
LIMIT = 64 * HIGH  # lossless: bytes waiting beyond which a packet is refused (producers that cannot pause)

Cost = Optional[Tuple[int, int]]  # the packet's share of the receive space (None: lossless, counted in bytes)
Packet = Tuple[bytes, str]  # the data and the hook it arrived on, as recvfrom() returns them


class Inbox:
    """The packets waiting for an in-process reader, and the doorbell on its descriptor."""

    __slots__ = ("sock", "books", "flow", "packets", "rung")

    def __init__(self, sock: socket.socket, books: SockBuf, pause: Callable[[], Any],
                 resume: Callable[[Any], None]) -> None:
        self.sock: Optional[socket.socket] = sock  # the descriptor's kernel end (None: closed)
        self.books = books
        self.flow = FlowControl(LIMIT, high=HIGH, low=HIGH // 2, pause=pause, resume=resume)
        self.packets: Deque[Tuple[Packet, Cost]] = deque()
        self.rung = False  # the doorbell waits on the descriptor

    def put(self, packet: Packet, cost: Cost) -> bool:
        """Queue a packet (ringing the doorbell if it is the first); False: the reader has gone."""
        if not self.rung:
            sock = self.sock
            if sock is None:
                return False
            try:
                sock.send(DOORBELL)
            except OSError:  # the user closed the descriptor; its EOF is being handled
                return False
            self.rung = True
        self.packets.append((packet, cost))
        if cost is None:
            self.flow.add(len(packet[0]))
        return True

    def take(self, reader: socket.socket) -> Optional[Packet]:
        """The oldest packet (None: none waits); the last one taken hears the doorbell on ``reader``."""
        packets = self.packets
        if not packets:
            return None
        packet, cost = packets.popleft()
        if cost is None:
            self.flow.remove(len(packet[0]))
        else:
            self.books.release(cost)
        if not packets and self.rung:
            self.rung = False
            try:
                reader.recv(1, socket.MSG_DONTWAIT)
            except OSError:
                pass
        return packet

    def close(self) -> None:
        """The kernel closed its end: no more packets; the reader takes what waits, then sees EOF."""
        self.sock = None
        self.flow.resume_all()

    def clear(self) -> None:
        """The user closed the socket: what waits is dropped."""
        self.close()
        self.packets.clear()
        self.flow.clear()
