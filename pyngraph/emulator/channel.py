"""The kernel end of a user socket's channel: requests in, statuses and updates out.

Two kinds behind one interface (:class:`Channel`): a :class:`ServerChannel`
reads requests from a channel socket of a daemon's client and answers on it
(:mod:`.transport` has the wire format); a :class:`LocalChannel` serves a
user in the kernel's own process, whose requests run on the user's thread
under the kernel lock (:meth:`Channel.handle` through
:meth:`~.loop.EventLoop.call`), whose updates go to a callback, and whose
data sends are handed to the node directly (:meth:`LocalChannel.send_data`),
as FreeBSD runs ``sendto()`` on a netgraph socket in the sender's context.
"""

from __future__ import annotations

import socket
from typing import Any, Callable, List, Optional, Tuple

from ..abi.constants import Errno
from ..errors import NetgraphError
from .kernel import Kernel
from .nodes import socket as ng_socket
from .transport import (
    EXPLAINED, OP_BIND, OP_CLOSE, OP_CONNECT, OP_OPEN, OP_SEND, OP_SOCKNAME, opened, recv_fds, status,
)

_ANCBUF = socket.CMSG_SPACE(4)


def _fbsd_error(errno: int, detail: str = "") -> NetgraphError:
    return NetgraphError.from_fbsd(errno, detail or None)


def _close_all(fds: List[int]) -> None:
    for fd in fds:
        socket.close(fd)


class Channel:
    """What both kinds of channel do: run a user's requests against its socket's pcb."""

    local = False  # the user is in the kernel's process (its data socket's packets wait in an Inbox)

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.pcb: Any = None  # the socket type's Pcb once OPEN succeeded
        kernel.channels.add(self)

    def handle(self, op: int, body: bytes, fds: List[int]) -> Tuple[int, bytes]:
        """Run one request and the work it queued: ``(FreeBSD errno, reply body)``."""
        kernel = self.kernel
        if self not in kernel.channels:
            _close_all(fds)
            return int(Errno.EPIPE), b""
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
            kernel.bug("request %r failed", chr(op))
            body, errno = b"", int(Errno.EINVAL)
        kernel.drain()
        return errno, body

    def _request(self, op: int, body: bytes, fds: List[int]) -> bytes:
        if op == OP_SEND:  # the hot one first
            _close_all(fds)
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
            return self._open(body, fds)
        _close_all(fds)
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

    def _open(self, body: bytes, fds: List[int]) -> bytes:
        """OPEN: attach the descriptor's kernel end (the one fd passed) as a socket of ``body[0]``."""
        if self.pcb is not None or len(fds) != 1 or len(body) != 1:
            _close_all(fds)
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

    def push(self, data: bytes) -> None:
        """Send a state update to the user side."""
        raise NotImplementedError

    def close(self) -> bool:
        """The user closed the socket (or the kernel stops): detach it; False if closed already."""
        if self not in self.kernel.channels:
            return False
        self.kernel.channels.discard(self)
        if self.pcb is not None:
            self.pcb.detach()
        return True


class LocalChannel(Channel):
    """The channel of a user in the kernel's own process: calls, no channel socket.

    ``on_update`` receives each state update.
    """

    local = True

    def __init__(self, kernel: Kernel, on_update: Optional[Callable[[bytes], None]] = None) -> None:
        super().__init__(kernel)
        self.on_update = on_update

    def handle(self, op: int, body: bytes, fds: List[int]) -> Tuple[int, bytes]:
        result = super().handle(op, body, fds)
        if op == OP_CLOSE:
            self.close()
        return result

    def push(self, data: bytes) -> None:
        if self.on_update is not None:
            self.on_update(data)

    def send_data(self, addr: bytes, payload: bytes) -> bool:
        """A data socket's send, handed to the node now (caller holds the kernel lock).

        Raises the delivery's errno (``ngd_send``).  False when the
        descriptor's reader is held back (a full receiver paused it): the
        packet must then go through the descriptor, behind the ones waiting there.
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


class ServerChannel(Channel):
    """The channel socket of a daemon's client: requests read on the loop thread, answered on it."""

    def __init__(self, kernel: Kernel, sock: socket.socket) -> None:
        super().__init__(kernel)
        self.sock = sock
        self._unsent: Optional[bytes] = None  # latest update the channel had no room for
        sock.setblocking(False)
        kernel.watch_fd(sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        buf = self.kernel.rxbuf
        try:
            n, ancdata, _, _ = self.sock.recvmsg_into([buf], _ANCBUF)
        except BlockingIOError:
            return
        except OSError:
            n, ancdata = 0, []
        fds = recv_fds(ancdata) if ancdata else []
        if not n:
            _close_all(fds)
            self.close()
            return
        op = buf[0]
        errno, body = self.handle(op, bytes(memoryview(buf)[1:n]), fds)
        self._send(status(errno, body))
        if op == OP_CLOSE:
            self.close()

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

    def close(self) -> bool:
        if not super().close():
            return False
        self.kernel.unwatch_fd(self.sock.fileno())
        self.sock.close()
        return True
