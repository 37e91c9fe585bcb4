"""How user sockets talk to the emulated kernel: AF_UNIX SOCK_SEQPACKET framing.

Every user socket of a socket node (control or data) is two connections:

* its **descriptor**, the fd the user holds: one datagram per ``recvfrom()``,
  framed as ``[u8 address length][address][payload]`` (the address is the
  sender path ``"[1a]:"`` on a control socket, the hook name on a data socket);
  data sends travel the same way in the other direction, with the
  ``sockaddr_ng`` ``sg_data`` bytes as address;
* its **channel**, private to the transport: requests (``op`` byte + body,
  the descriptor's kernel end passed once with SCM_RIGHTS) answered by one
  status datagram ``b"R" + u32 FreeBSD errno + body``.  A data socket's
  channel also carries state updates ``b"U" + flags + hook names`` so the
  user side can refuse a send synchronously (EDESTADDRREQ, EHOSTUNREACH ...)
  without a round trip.

The kernel writes a reply to the descriptor before it sends the status, so a
reply produced synchronously is readable when ``sendto()`` returns.  The
kernel side of a channel is :class:`ServerChannel`.
"""

from __future__ import annotations

import array
import logging
import socket
import struct
from typing import TYPE_CHECKING, Any, Iterable, List, Optional, Tuple

from ..abi.constants import Errno
from ..errors import NetgraphError

if TYPE_CHECKING:
    from .kernel import Kernel

log = logging.getLogger("pyngraph.emulator")

MAX_DGRAM = 20480  # net.graph.maxdgram: the largest control message or packet a user sends
SOCKBUF = 106496  # SO_SNDBUF for every connection (Linux doubles it): bounds each queue
MAX_FRAME = 65535 + 256  # largest framed datagram (a 64 KiB packet from a ksocket)

OP_OPEN = ord("O")  # body: u8 protocol (NG_CONTROL/NG_DATA); SCM_RIGHTS: the descriptor's kernel end
OP_BIND = ord("B")  # body: sg_data
OP_CONNECT = ord("C")  # body: sg_data
OP_SEND = ord("S")  # body: u8 length, sg_data, message
OP_SOCKNAME = ord("N")  # reply body: the 16-byte sockaddr_ng
OP_CLOSE = ord("X")

STATUS = ord("R")
UPDATE = ord("U")
UPD_ATTACHED = 1  # the data socket is attached to a node
UPD_CONNECTED = 2  # SS_ISCONNECTED: the node has exactly one hook (plain send() allowed)
UPD_GONE = 4  # the node shut down: sends fail with EPIPE

_STATUS = struct.Struct("=BI")


def frame(addr: bytes, payload: bytes) -> bytes:
    """One datagram on a descriptor: address, then payload."""
    return bytes((len(addr),)) + addr + payload


def unframe(buf: bytes) -> Tuple[bytes, bytes]:
    """Split a descriptor datagram into (address, payload)."""
    n = buf[0]
    return buf[1:1 + n], buf[1 + n:]


def status(errno: int, body: bytes = b"") -> bytes:
    return _STATUS.pack(STATUS, errno) + body


def parse_status(buf: bytes) -> Tuple[int, bytes]:
    _, errno = _STATUS.unpack_from(buf)
    return errno, buf[_STATUS.size:]


def update(flags: int, hooks: Iterable[str]) -> bytes:
    return bytes((UPDATE, flags)) + b"\0".join(h.encode("latin-1") for h in hooks)


def parse_update(buf: bytes) -> Tuple[int, List[str]]:
    body = buf[2:]
    return buf[1], [h.decode("latin-1") for h in body.split(b"\0")] if body else []


def seqpacket_pair() -> Tuple[socket.socket, socket.socket]:
    """A connected AF_UNIX SOCK_SEQPACKET pair with pyngraph's buffer sizes."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKBUF)
    return a, b


def send_fds(sock: socket.socket, data: bytes, fds: List[int]) -> None:
    sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])


def _recv_fds(ancdata: List[Tuple[int, int, bytes]]) -> List[int]:
    fds = array.array("i")
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    return list(fds)


class ServerChannel:
    """The kernel end of one user socket's channel: requests in, statuses and updates out."""

    def __init__(self, kernel: "Kernel", sock: socket.socket) -> None:
        sock.setblocking(False)
        self.kernel = kernel
        self.sock = sock
        self.pcb: Any = None  # the socket type's Pcb once OPEN succeeded
        self._unsent: Optional[bytes] = None  # latest update the channel had no room for
        kernel.channels.add(self)
        kernel.watch_fd(sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        buf = self.kernel.rxbuf
        try:
            n, ancdata, _, _ = self.sock.recvmsg_into([buf], socket.CMSG_SPACE(4))
        except BlockingIOError:
            return
        except OSError:
            n, ancdata = 0, []
        data = bytes(memoryview(buf)[:n])
        fds = _recv_fds(ancdata)
        if not data:
            for fd in fds:
                socket.close(fd)
            self.close()
            return
        try:
            body = self._request(data[0], data[1:], fds)
            errno = 0
        except NetgraphError as exc:
            body, errno = b"", int(exc.fbsd_errno or Errno.EINVAL)
        except Exception:  # a bug, but the user must still get an answer
            log.exception("emulated kernel: request %r failed", data[:1])
            body, errno = b"", int(Errno.EINVAL)
        self.kernel.drain()
        self._send(status(errno, body))
        if data[0] == OP_CLOSE:
            self.close()

    def _request(self, op: int, body: bytes, fds: List[int]) -> bytes:
        from .kernel import fbsd_error
        from .nodes import socket as ng_socket

        if op == OP_OPEN:
            if self.pcb is not None or len(fds) != 1 or len(body) != 1:
                for fd in fds:
                    socket.close(fd)
                raise fbsd_error(Errno.EISCONN if self.pcb is not None else Errno.EINVAL)
            self.pcb = ng_socket.attach(self.kernel, body[0], socket.socket(fileno=fds[0]), self)
            return b""
        for fd in fds:
            socket.close(fd)
        pcb = self.pcb
        if pcb is None:
            raise fbsd_error(Errno.EINVAL, "socket not open")
        if op == OP_SEND:
            if len(body) - 1 - body[0] > MAX_DGRAM:
                raise fbsd_error(Errno.EMSGSIZE)
            addr, msg = unframe(body)
            pcb.send(addr, msg)
            return b""
        if op == OP_BIND:
            pcb.bind(body)
            return b""
        if op == OP_CONNECT:
            pcb.connect(body)
            return b""
        if op == OP_SOCKNAME:
            return pcb.sockname()
        if op == OP_CLOSE:
            return b""
        raise fbsd_error(Errno.EINVAL, f"unknown request {op}")

    def push(self, data: bytes) -> None:
        """Send a state update; when the channel is full keep only the newest for later."""
        if self._unsent is None:
            try:
                self.sock.send(data)
                return
            except BlockingIOError:
                self.kernel.watch_fd(self.sock.fileno(), self._on_readable, self._flush)
            except OSError:
                return
        self._unsent = data

    def _flush(self) -> None:
        data, self._unsent = self._unsent, None
        self.kernel.watch_fd(self.sock.fileno(), self._on_readable)
        if data is not None:
            self.push(data)

    def _send(self, data: bytes) -> None:
        try:
            self.sock.send(data)
        except OSError:
            pass  # the user went away; its EOF closes the channel

    def close(self) -> None:
        """The user closed the socket (or the kernel stops): detach it, release everything."""
        if self not in self.kernel.channels:
            return
        self.kernel.channels.discard(self)
        if self.pcb is not None:
            self.pcb.detach()
        self.kernel.unwatch_fd(self.sock.fileno())
        self.sock.close()
