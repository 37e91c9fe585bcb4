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

A user in the kernel's own process needs no channel socket: its
:class:`ServerChannel` is *local* (made with ``sock=None``).  Requests then
run on the user's thread under the kernel lock (:meth:`ServerChannel.handle`
through :meth:`Kernel.call`), updates go to a callback, and data sends are
handed to the node directly (:meth:`ServerChannel.send_data`) while the
descriptor's reader is not held back, as FreeBSD runs ``sendto()`` on a
netgraph socket in the sender's context.
"""

from __future__ import annotations

import array
import logging
import socket
import struct
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional, Tuple

from ..abi.constants import Errno
from ..errors import NetgraphError

if TYPE_CHECKING:
    from .kernel import Kernel

log = logging.getLogger("pyngraph.emulator")

SOCKBUF = 106496  # SO_SNDBUF for every connection (Linux doubles it): bounds each queue
MAX_FRAME = 65535 + 256  # largest framed datagram (a 64 KiB packet from a ksocket)

OP_OPEN = ord("O")  # body: u8 protocol (NG_CONTROL/NG_DATA); SCM_RIGHTS: the descriptor's kernel end;
# reply body: u32 net.graph.maxdgram, the largest datagram the socket may send (fixed at open)
OP_BIND = ord("B")  # body: sg_data
OP_CONNECT = ord("C")  # body: sg_data
OP_SEND = ord("S")  # body: u8 length, sg_data, message
OP_SOCKNAME = ord("N")  # reply body: the 34-byte sockaddr_ng
OP_CLOSE = ord("X")

STATUS = ord("R")  # an error status's body: the reason, for the errnos in EXPLAINED
EXPLAINED = frozenset((Errno.EPERM, Errno.ENOMEM, Errno.ENOBUFS, Errno.EMFILE, Errno.ENFILE, Errno.EMSGSIZE))
UPDATE = ord("U")
UPD_ATTACHED = 1  # the data socket is attached to a node
UPD_CONNECTED = 2  # SS_ISCONNECTED: the node has exactly one hook (plain send() allowed)
UPD_GONE = 4  # the node shut down: sends fail with EPIPE

_STATUS = struct.Struct("=BI")
_U32 = struct.Struct("=I")
_ANCBUF = socket.CMSG_SPACE(4)


def _fbsd_error(errno: int, detail: str = "") -> NetgraphError:
    return NetgraphError.from_fbsd(errno, detail or None)


_prefixes: Dict[bytes, bytes] = {}  # address -> length byte + address (hook names, "[1a]:" paths)
_PREFIXES_MAX = 4096


def frame(addr: bytes, payload: bytes) -> bytes:
    """One datagram on a descriptor: address, then payload (copied once)."""
    prefix = _prefixes.get(addr)
    if prefix is None:
        if len(_prefixes) >= _PREFIXES_MAX:
            _prefixes.clear()
        prefix = _prefixes[addr] = bytes((len(addr),)) + addr
    return prefix + payload


def unframe(buf: bytes) -> Tuple[bytes, bytes]:
    """Split a descriptor datagram into (address, payload)."""
    n = buf[0]
    return buf[1:1 + n], buf[1 + n:]


def status(errno: int, body: bytes = b"") -> bytes:
    return _STATUS.pack(STATUS, errno) + body


def parse_status(buf: bytes) -> Tuple[int, bytes]:
    _, errno = _STATUS.unpack_from(buf)
    return errno, buf[_STATUS.size:]


def opened(maxdgram: int) -> bytes:
    """The reply body of OP_OPEN."""
    return _U32.pack(maxdgram)


def parse_opened(body: bytes) -> int:
    """The socket's maxdgram from OP_OPEN's reply body."""
    maxdgram: int = _U32.unpack(body)[0]
    return maxdgram


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
    """The kernel end of one user socket's channel: requests in, statuses and updates out.

    ``sock`` None makes a local channel (see the module docstring);
    ``on_update`` then receives each state update.
    """

    def __init__(self, kernel: "Kernel", sock: Optional[socket.socket],
                 on_update: Optional[Callable[[bytes], None]] = None) -> None:
        self.kernel = kernel
        self.sock = sock
        self.on_update = on_update
        self.pcb: Any = None  # the socket type's Pcb once OPEN succeeded
        self._unsent: Optional[bytes] = None  # latest update the channel had no room for
        kernel.channels.add(self)
        if sock is not None:
            sock.setblocking(False)
            kernel.watch_fd(sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        assert self.sock is not None
        buf = self.kernel.rxbuf
        try:
            n, ancdata, _, _ = self.sock.recvmsg_into([buf], _ANCBUF)
        except BlockingIOError:
            return
        except OSError:
            n, ancdata = 0, []
        fds = _recv_fds(ancdata) if ancdata else []
        if not n:
            for fd in fds:
                socket.close(fd)
            self.close()
            return
        op = buf[0]
        errno, body = self.handle(op, bytes(memoryview(buf)[1:n]), fds)
        self._send(_STATUS.pack(STATUS, errno) + body)
        if op == OP_CLOSE:
            self.close()

    def handle(self, op: int, body: bytes, fds: List[int]) -> Tuple[int, bytes]:
        """Run one request and the work it queued: ``(FreeBSD errno, reply body)``."""
        if self not in self.kernel.channels:
            for fd in fds:
                socket.close(fd)
            return int(Errno.EPIPE), b""
        kernel = self.kernel
        kernel.refusal = None
        try:
            body = self._request(op, body, fds)
            errno = 0
        except NetgraphError as exc:
            errno = int(exc.fbsd_errno or Errno.EINVAL)
            # A refusal by the daemon's rules carries its reason (a message handler's, if it
            # refused); the user's error names it.
            refusal = kernel.refusal
            detail = exc.detail or (refusal.detail if refusal is not None and refusal.fbsd_errno == errno else None)
            body = detail.encode("utf-8", "replace")[:512] if detail and errno in EXPLAINED else b""
        except Exception:  # a bug, but the user must still get an answer
            self.kernel.bug("request %r failed", chr(op))
            body, errno = b"", int(Errno.EINVAL)
        self.kernel.drain()
        if op == OP_CLOSE and self.sock is None:
            self.close()
        return errno, body

    def send_data(self, addr: bytes, payload: bytes) -> bool:
        """A local data socket's send, handed to the node now (caller holds the kernel lock).

        Raises the delivery's errno (``ngd_send``).  False when the descriptor's reader is held back (a full receiver
        paused it): the packet must then go through the descriptor, behind
        the ones waiting there.
        """
        pcb = self.pcb
        sock = None if pcb is None else pcb.sock
        if sock is None:
            return False
        kernel = self.kernel
        watch = kernel.watch_of(sock.fileno())
        if watch is None or watch.paused:
            return False
        saved, kernel.current_source = kernel.current_source, watch
        try:
            error = pcb.from_user(addr, payload)
        finally:
            kernel.current_source = saved
        if error:  # ngd_send returns what the direct delivery returned
            end = addr.find(b"\0")
            raise NetgraphError.from_fbsd(error, "the hook's peer refused the packet", command="sendto",
                                          path=(addr if end < 0 else addr[:end]).decode("latin-1"))
        return True

    def _request(self, op: int, body: bytes, fds: List[int]) -> bytes:
        if op == OP_SEND:  # the hot one first
            for fd in fds:
                socket.close(fd)
            pcb = self.pcb
            if pcb is None:
                raise _fbsd_error(Errno.EINVAL, "socket not open")
            if not body or len(body) < 1 + body[0]:
                raise _fbsd_error(Errno.EINVAL, "send request shorter than its address")
            n = body[0]
            if len(body) - 1 - n > pcb.maxdgram:  # sosend_dgram: more than the send space
                raise _fbsd_error(Errno.EMSGSIZE, f"datagram larger than net.graph.maxdgram ({pcb.maxdgram})")
            pcb.send(body[1:1 + n], body[1 + n:])
            return b""
        if op == OP_OPEN:
            from .nodes import socket as ng_socket

            if self.pcb is not None or len(fds) != 1 or len(body) != 1:
                for fd in fds:
                    socket.close(fd)
                raise _fbsd_error(Errno.EISCONN if self.pcb is not None else Errno.EINVAL)
            try:
                sock = socket.socket(fileno=fds[0])
            except OSError:
                socket.close(fds[0])
                raise _fbsd_error(Errno.EINVAL, "the descriptor is not a socket") from None
            if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_SEQPACKET:
                sock.close()
                raise _fbsd_error(Errno.EINVAL, "the descriptor is not an AF_UNIX SOCK_SEQPACKET socket")
            try:
                self.pcb = ng_socket.attach(self.kernel, body[0], sock, self)
            except BaseException:
                sock.close()
                raise
            return opened(self.pcb.maxdgram)
        for fd in fds:
            socket.close(fd)
        pcb = self.pcb
        if pcb is None:
            raise _fbsd_error(Errno.EINVAL, "socket not open")
        if op == OP_BIND:
            pcb.bind(body)
            return b""
        if op == OP_CONNECT:
            pcb.connect(body)
            return b""
        if op == OP_SOCKNAME:
            name: bytes = pcb.sockname()
            return name
        if op == OP_CLOSE:
            return b""
        raise _fbsd_error(Errno.EINVAL, f"unknown request {op}")

    def push(self, data: bytes) -> None:
        """Send a state update; when the channel is full keep only the newest for later."""
        if self.sock is None:
            if self.on_update is not None:
                self.on_update(data)
            return
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
        assert self.sock is not None
        data, self._unsent = self._unsent, None
        self.kernel.watch_fd(self.sock.fileno(), self._on_readable)
        if data is not None:
            self.push(data)

    def _send(self, data: bytes) -> None:
        assert self.sock is not None
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
        if self.sock is not None:
            self.kernel.unwatch_fd(self.sock.fileno())
            self.sock.close()
