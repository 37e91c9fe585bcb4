"""The NgTransport of the emulated kernel: in-process thread or the ``pyngraph-emud`` daemon.

Each user socket is a descriptor plus a private channel (see
:mod:`pyngraph.emulator.transport`).  Which kernel (:func:`resolve`):
``socket_path=`` or ``PYNGRAPH_EMULATOR=PATH`` names a daemon; ``inprocess=True``
or ``PYNGRAPH_EMULATOR=inprocess`` the process's own kernel; by default this
user's daemon (:mod:`pyngraph.emulator.rundir`), started on first use.
With a daemon every channel is a connection to it, so
several processes share one graph: control ``sendto()`` waits for the
kernel's status; data ``sendto()`` is a single non-blocking send after checks
against the node's hook list, which the kernel keeps current on the channel.

Every wait for the daemon (connect, a request's status) is bounded by the
transport's ``timeout`` (``PYNGRAPH_EMULATOR_TIMEOUT`` seconds, default
:data:`DEFAULT_TIMEOUT`): a stopped or wedged daemon gives ``TimedOutError``
naming its path, never a hang.

With the in-process kernel (its thread started on first use) channels are
local: a request runs on the caller's thread
under the kernel lock, and a data send is handed to the node the same way
(through the descriptor only while the kernel holds its reader back), so
neither waits for the kernel thread.
"""

from __future__ import annotations

import errno
import fcntl
import os
import select
import socket
import struct
import termios
import threading
import time
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple, Union

from ..abi.constants import Errno
from ..abi.nodetypes.ng_socket import NG_CONTROL, NG_DATA
from ..emulator import transport as wire
from ..emulator.inprocess import default_kernel
from ..emulator.rundir import default_socket, gone_text, socket_path_problem
from ..emulator.channel import LocalChannel
from ..emulator.inbox import Inbox
from ..errors import NetgraphError, UnavailableError
from .autostart import start_daemon
from .pylib import PyLibNetgraph

if TYPE_CHECKING:
    from ..emulator.kernel import Kernel

Buffer = Union[bytes, bytearray, memoryview]

ENV_SOCKET = "PYNGRAPH_EMULATOR"
INPROCESS = "inprocess"  # the PYNGRAPH_EMULATOR value (and socket_path) of the in-process kernel
ENV_TIMEOUT = "PYNGRAPH_EMULATOR_TIMEOUT"
DEFAULT_TIMEOUT = 30.0  # seconds a request waits for the daemon
_CHAN_BUFSIZE = 1 << 18
_INT = struct.Struct("i")
_TIMEVAL = struct.Struct("@ll")  # struct timeval
_NOTHING = bytes(_INT.size)
_SMALL_RECV = 1 << 16  # recvfrom() buffers up to this size are allocated per call (larger: reused)
_SERVE_WAIT = 0.02  # seconds a blocking in-process data reader runs the kernel's loop before it just waits
_BULK = 8192  # packets this large are delivered by the kernel thread (see _LocalSocket.recvfrom)


_local = threading.local()


def _recv(sock: socket.socket, size: int, flags: int = 0) -> bytes:
    """One datagram of at most ``size`` bytes, received into a reused per-thread buffer."""
    buf = getattr(_local, "buf", None)
    if buf is None or len(buf) < size:
        buf = _local.buf = bytearray(size)
    n = sock.recv_into(buf, size, flags)
    return bytes(memoryview(buf)[:n])


def _error(fbsd: int, command: str, addr: Optional[str] = None, detail: str = "") -> NetgraphError:
    return NetgraphError.from_fbsd(fbsd, detail or None, path=addr, command=command)


def _gone(host_errno: int, command: str, addr: Optional[str]) -> UnavailableError:
    """The daemon closed our channel: it stopped (or was stopped) under us."""
    where = f"{command} {addr!r}" if addr is not None else command
    return UnavailableError(host_errno, f"{where}: {gone_text(None)}", path=addr, command=command)


def _channel_error(exc: OSError, chan: socket.socket, command: str, addr: Optional[str]) -> NetgraphError:
    """A channel's failed send or receive as the user's error.

    A daemon that refused the connection left its status (with the reason)
    before closing: that errno is the answer.  Otherwise the daemon has gone.
    """
    if isinstance(exc, BlockingIOError):  # SO_SNDTIMEO ran out: the daemon does not read
        return _error(Errno.ETIMEDOUT, command, addr, f"pyngraph-emud at {_peer_path(chan)} did not take "
                                                      f"the request within {_chan_timeout(chan):g} s")
    try:
        buf = chan.recv(_CHAN_BUFSIZE, socket.MSG_DONTWAIT)
    except OSError:
        buf = b""
    if buf[:1] == bytes((wire.STATUS,)):
        fbsd, reason = wire.parse_status(buf)
        if fbsd:
            return _error(fbsd, command, addr, reason.decode("utf-8", "replace"))
    return _gone(exc.errno or errno.EPIPE, command, addr)


def _chan_timeout(chan: socket.socket) -> float:
    """A channel's send timeout (SO_SNDTIMEO), in seconds."""
    seconds, micro = _TIMEVAL.unpack(chan.getsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, _TIMEVAL.size))
    return float(seconds + micro / 1e6)


def _peer_path(chan: socket.socket) -> str:
    try:
        return str(chan.getpeername()) or "?"
    except OSError:
        return "?"


def _timeout_of(value: Optional[float]) -> float:
    """A request timeout (seconds, above 0): ``value``, else ``PYNGRAPH_EMULATOR_TIMEOUT``, else the default."""
    what = "timeout"
    if value is None:
        what, text = ENV_TIMEOUT, os.environ.get(ENV_TIMEOUT)
        try:
            value = float(text) if text else DEFAULT_TIMEOUT
        except ValueError:
            raise _error(Errno.EINVAL, "socket", detail=f"{ENV_TIMEOUT}={text!r}: not a number") from None
    if not 0 < value < float("inf"):
        raise _error(Errno.EINVAL, "socket", detail=f"{what} {value!r}: not a number of seconds above 0")
    return value


class _Socket:
    """The user side of one netgraph socket: its descriptor and (data) node state.

    How a request reaches the kernel is the channel's business: :class:`_LocalSocket`
    (the in-process kernel) or :class:`_DaemonSocket` (a connection to ``pyngraph-emud``).
    """

    __slots__ = ("sock", "proto", "flags", "hooks", "fd", "ino", "maxdgram")

    def __init__(self, sock: socket.socket, proto: int) -> None:
        self.sock = sock
        self.proto = proto
        self.flags = 0
        self.hooks: List[str] = []
        self.maxdgram = 0  # net.graph.maxdgram, as the kernel said when the socket opened
        self.fd = sock.fileno()
        self.ino = os.fstat(self.fd).st_ino  # tells our descriptor from a reuse of its number

    def request(self, op: int, body: bytes, command: str, addr: Optional[str] = None) -> bytes:
        """One request on the channel; the body of the kernel's status, or its errno raised."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Bring the node state (flags, hooks) up to date before a data send."""

    def deliver(self, sg: bytes, payload: bytes) -> bool:
        """Hand a data send to the kernel directly; False: it must go through the descriptor."""
        return False

    def recvfrom(self, bufsize: int) -> Tuple[bytes, str]:
        """One datagram (cut to ``bufsize``) and its source, read from the descriptor (waits if it blocks)."""
        sock = self.sock
        buf = sock.recv(bufsize + 256) if bufsize <= _SMALL_RECV else _recv(sock, bufsize + 256)
        if not buf:
            return b"", ""
        addr, payload = wire.unframe(buf)
        return payload[:bufsize], addr.decode("latin-1")

    def daemon_gone(self) -> bool:
        """Whether the daemon behind this socket's channel has gone (the channel is at EOF)."""
        return False

    def release(self) -> None:
        """Close the channel after the kernel has closed the socket."""

    def abandon(self) -> None:
        """The user closed the descriptor behind our back: never close its (reused) number."""
        self.sock.detach()

    def closed_behind_our_back(self) -> bool:
        """True when the user closed the descriptor with os.close() (its number may be reused)."""
        try:
            return os.fstat(self.fd).st_ino != self.ino
        except OSError:
            return True


class _LocalSocket(_Socket):
    """A socket of the in-process kernel: requests run on the caller's thread."""

    __slots__ = ("channel", "inbox", "poll", "bulk")

    def __init__(self, sock: socket.socket, proto: int, channel: LocalChannel) -> None:
        super().__init__(sock, proto)
        self.channel = channel
        channel.on_update = self.apply_update
        self.inbox: Optional[Inbox] = None  # a data socket's packets (set once it is open)
        self.poll: Optional[Callable[[int], List[Tuple[int, int]]]] = None  # the kernel's reader_poll(fd)
        self.bulk = False  # the last packet was of _BULK bytes or more

    def apply_update(self, data: bytes) -> None:
        """A state update of the local channel (called by the kernel as it happens)."""
        self.flags, self.hooks = wire.parse_update(data)

    def request(self, op: int, body: bytes, command: str, addr: Optional[str] = None) -> bytes:
        channel = self.channel
        fbsd: int
        reply: bytes
        fbsd, reply = channel.kernel.call(channel.handle, op, body, [])
        if fbsd:
            raise _error(fbsd, command, addr, reply.decode("utf-8", "replace"))
        return reply

    def deliver(self, sg: bytes, payload: bytes) -> bool:
        """The node gets the packet on this thread, unless the descriptor holds earlier ones.

        While the descriptor holds datagrams the kernel has not read (sends it
        held back, or raw writes past the library), sends go through the
        descriptor too, behind them, in order.
        """
        if _unread(self.fd):
            return False
        channel = self.channel
        sent: bool = channel.kernel.call(channel.send_data, sg, payload)
        return sent

    def recvfrom(self, bufsize: int) -> Tuple[bytes, str]:
        """A data socket's next packet, taken from its inbox on this thread.

        When none waits, the kernel's ready work runs on this thread first
        (:meth:`~pyngraph.emulator.loop.EventLoop.serve_until`), so a packet a
        ksocket reads reaches the reader without the kernel thread.  A blocking
        reader that gets nothing within :data:`_SERVE_WAIT` waits on the
        descriptor while the kernel thread delivers; the descriptor's
        SO_RCVTIMEO bounds the whole wait (EAGAIN when it runs out).
        Packets of :data:`_BULK` bytes or more are left to the kernel thread:
        there copies, not Python, are the cost, and two threads copy at once.
        Taking the last waiting packet returns at once: the loop is served
        again only when the reader comes back to an empty inbox (serving it
        right away cost a request/response user twice the latency).
        """
        inbox = self.inbox
        if inbox is None:
            return super().recvfrom(bufsize)
        kernel = self.channel.kernel
        lock, sock, fd, poll = kernel.lock, self.sock, self.fd, self.poll
        if poll is None:
            poll = self.poll = kernel.reader_poll(fd)
        while True:
            with lock:
                packet = inbox.take(sock)
            if packet is not None:
                data = packet[0]
                self.bulk = len(data) >= _BULK
                if not self.bulk and inbox.packets:
                    kernel.hold_off()
                return (data if len(data) <= bufsize else data[:bufsize]), packet[1]
            serve = limit = 0.0
            if os.get_blocking(fd):
                limit = _rcvtimeo(sock)  # the user's SO_RCVTIMEO bounds the whole wait (0: none)
                serve = min(_SERVE_WAIT, limit) if limit else _SERVE_WAIT
            start = time.monotonic() if limit else 0.0
            if not self.bulk and kernel.serve_until(fd, serve, poll) and inbox.packets:
                continue
            if limit:
                left = limit - (time.monotonic() - start)
                if left <= 0 or not select.select([sock], [], [], left)[0]:
                    raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
            # the doorbell (packets wait), EOF (the node has gone) or, not blocking, EAGAIN
            if not sock.recv(1, socket.MSG_PEEK):
                return b"", ""

    def abandon(self) -> None:
        super().abandon()
        self.channel.kernel.call(self.channel.close)


class _DaemonSocket(_Socket):
    """A socket of a daemon's kernel: a request waits for the status on the channel."""

    __slots__ = ("chan", "lock", "timeout", "late", "_pending")

    def __init__(self, sock: socket.socket, chan: socket.socket, proto: int, timeout: float) -> None:
        super().__init__(sock, proto)
        self.chan = chan
        self.lock = threading.Lock()
        self.timeout = timeout
        self.late = 0  # statuses still owed to requests that timed out (skipped when they come)
        self._pending: Optional[Callable[[int], List[Tuple[int, int]]]] = None  # the channel's poll(): updates waiting?
        if proto == NG_DATA:
            poller = select.poll()
            poller.register(chan, select.POLLIN)
            self._pending = poller.poll

    def request(self, op: int, body: bytes, command: str, addr: Optional[str] = None) -> bytes:
        chan = self.chan
        with self.lock:
            try:
                chan.send(bytes((op,)) + body)
            except OSError as exc:
                raise _channel_error(exc, chan, command, addr) from None
            return self.await_status(command, addr)

    def await_status(self, command: str, addr: Optional[str] = None) -> bytes:
        """Read the channel up to the status (applying updates on the way)."""
        chan = self.chan
        while True:
            try:
                buf = _recv(chan, _CHAN_BUFSIZE)  # SO_RCVTIMEO bounds the wait
            except BlockingIOError:
                self.late += 1
                raise _error(Errno.ETIMEDOUT, command, addr,
                             f"pyngraph-emud at {_peer_path(chan)} did not answer within {self.timeout:g} s"
                             ) from None
            except OSError as exc:
                raise _channel_error(exc, chan, command, addr) from None
            if not buf:
                raise _gone(errno.EPIPE, command, addr)
            if buf[0] == wire.UPDATE:
                self.flags, self.hooks = wire.parse_update(buf)
                continue
            if self.late:  # the answer to an earlier request that timed out
                self.late -= 1
                continue
            fbsd, reply = wire.parse_status(buf)
            if fbsd:
                raise _error(fbsd, command, addr, reply.decode("utf-8", "replace"))
            return reply

    def daemon_gone(self) -> bool:
        poller = select.poll()
        poller.register(self.chan, 0)  # a peer that closed shows as a hang-up, even with updates unread
        return any(mask & (select.POLLHUP | select.POLLERR) for _, mask in poller.poll(0))

    def refresh(self) -> None:
        """Apply the state updates the kernel has sent since the last look."""
        if self._pending is not None and not self._pending(0):
            return  # nothing new (cheaper than a failing non-blocking receive)
        while True:
            try:
                buf = _recv(self.chan, _CHAN_BUFSIZE, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                buf = b""
            if not buf:
                self.flags |= wire.UPD_GONE
                return
            self.flags, self.hooks = wire.parse_update(buf)

    def release(self) -> None:
        self.chan.close()

    def abandon(self) -> None:
        super().abandon()
        self.chan.close()


class EmulatedTransport:
    """ng_socket(4) system calls against the emulated kernel.

    One per kernel and process (:func:`transport_for`): it owns the private
    channels of every socket it made, which must outlive any backend object.
    """

    name = "emulated"

    def __init__(self, socket_path: Optional[str] = None, autostart: bool = False,
                 kernel: Optional["Kernel"] = None, timeout: Optional[float] = None) -> None:
        self.socket_path = socket_path
        self.autostart = autostart  # start this user's daemon when none answers
        self.timeout = _timeout_of(timeout)
        self._kernel = kernel  # an in-process kernel (default: the process's own)
        if self.socket_path is None and kernel is None:
            self._kernel = default_kernel()
        self._sockets: Dict[int, _Socket] = {}
        self._lock = threading.Lock()
        self._sweep_at = _SWEEP_FIRST  # sweep for abandoned sockets when this many exist

    def _channel(self) -> socket.socket:
        """A channel connection to the daemon."""
        assert self.socket_path is not None
        path = self.socket_path
        chan = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # connect() waits while the daemon's backlog is full, a send while the channel is, a
        # receive for the status: each at most the timeout (then EAGAIN)
        seconds = int(self.timeout)
        timeval = _TIMEVAL.pack(seconds, int((self.timeout - seconds) * 1e6))
        chan.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        chan.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        try:
            try:
                chan.connect(path)
            except (FileNotFoundError, ConnectionRefusedError):
                if not self.autostart:
                    raise
                start_daemon(path)
                chan.connect(path)
        except BlockingIOError:
            chan.close()
            raise _error(Errno.ETIMEDOUT, "socket", path,
                         f"pyngraph-emud did not accept within {self.timeout:g} s") from None
        except OSError as exc:
            chan.close()
            if isinstance(exc, UnavailableError):
                raise
            problem = socket_path_problem(path) or f"start one: pyngraph-emud --socket {path}"
            raise UnavailableError(exc.errno or errno.ECONNREFUSED,
                                   f"no pyngraph-emud daemon answers at {path} ({problem})", command="socket") from None
        return chan

    def _open_local(self, user: socket.socket, kernel_end: socket.socket, proto: int) -> _Socket:
        """Open a socket on the in-process kernel through a local channel."""
        kernel = self._kernel
        assert kernel is not None
        entry = _LocalSocket(user, proto, kernel.call(LocalChannel, kernel))
        fd = kernel_end.detach()
        try:
            fbsd, reason = kernel.call(entry.channel.handle, wire.OP_OPEN, bytes((proto,)), [fd])
        except BaseException:
            socket.close(fd)
            raise
        if fbsd:
            kernel.call(entry.channel.close)
            raise _error(fbsd, "socket", detail=reason.decode("utf-8", "replace"))
        entry.maxdgram = wire.parse_opened(reason)
        entry.inbox = entry.channel.pcb.inbox if proto == NG_DATA else None
        return entry

    def _open_daemon(self, user: socket.socket, kernel_end: socket.socket, proto: int) -> _Socket:
        """Open a socket on the daemon's kernel: a new channel carries the kernel's end to it."""
        chan = self._channel()
        entry = _DaemonSocket(user, chan, proto, self.timeout)
        try:
            with entry.lock:
                try:
                    wire.send_fds(chan, bytes((wire.OP_OPEN, proto)), [kernel_end.fileno()])
                except OSError as exc:
                    raise _channel_error(exc, chan, "socket", None) from None
                kernel_end.close()
                entry.maxdgram = wire.parse_opened(entry.await_status("socket"))
        except BaseException:
            chan.close()
            raise
        return entry

    def _get(self, fd: int, command: str) -> _Socket:
        entry = self._sockets.get(fd)
        if entry is None:
            raise NetgraphError.from_host(errno.EBADF, "not an emulated netgraph socket", command=command)
        return entry

    def socket(self, proto: int) -> int:
        """socket(PF_NETGRAPH, SOCK_DGRAM, proto): NG_CONTROL makes a socket node."""
        command = "socket"
        if proto not in (NG_CONTROL, NG_DATA):
            raise _error(Errno.EPROTONOSUPPORT, command, detail=f"protocol {proto}")
        user, kernel_end = wire.seqpacket_pair()
        try:
            if self.socket_path is None:
                entry = self._open_local(user, kernel_end, proto)
            else:
                entry = self._open_daemon(user, kernel_end, proto)
        except BaseException:
            kernel_end.close()
            user.close()
            raise
        fd = user.fileno()
        with self._lock:
            stale = [self._sockets.pop(fd)] if fd in self._sockets else []
            self._sockets[fd] = entry
            if len(self._sockets) >= self._sweep_at:
                stale += self._sweep()
        for entry in stale:
            entry.abandon()
        return fd

    def _sweep(self) -> List[_Socket]:
        """Forget the sockets the user closed with os.close() (their channels would leak).

        Runs when the table has doubled since the last sweep, so its cost stays
        proportional to the sockets made.
        """
        gone = [fd for fd, entry in self._sockets.items() if entry.closed_behind_our_back()]
        stale = [self._sockets.pop(fd) for fd in gone]
        self._sweep_at = max(_SWEEP_FIRST, 2 * len(self._sockets))
        return stale

    def bind(self, fd: int, name: str) -> None:
        """Name the node of a control socket."""
        self._get(fd, "bind").request(wire.OP_BIND, _sg_data(name, "bind"), "bind", name)

    def connect(self, fd: int, path: str) -> None:
        """Attach a data socket to the socket node at ``path``."""
        self._get(fd, "connect").request(wire.OP_CONNECT, _sg_data(path, "connect"), "connect", path)

    def sendto(self, fd: int, data: Buffer, addr: Optional[str]) -> int:
        """Send one datagram: a control message to a path, or a packet to one of our hooks."""
        entry = self._get(fd, "sendto")
        payload = bytes(data)
        sg, prefix = _addresses.get(addr) or _address(addr)
        if entry.proto == NG_CONTROL:
            entry.request(wire.OP_SEND, prefix + payload, "sendto", addr)
            return len(payload)
        entry.refresh()
        _check_data_send(entry, addr, len(payload))
        if entry.deliver(sg, payload):
            return len(payload)
        try:
            entry.sock.send(prefix + payload, socket.MSG_DONTWAIT)  # the descriptor's framing
        except BlockingIOError:
            raise _error(Errno.ENOBUFS, "sendto", addr, "the receiving queue is full") from None
        except OSError as exc:
            raise NetgraphError.from_host(exc.errno or errno.EPIPE, path=addr, command="sendto") from None
        return len(payload)

    def recvfrom(self, fd: int, bufsize: int) -> Tuple[bytes, str]:
        """One datagram (cut to ``bufsize``) and its source; EOF (node gone) is ``(b"", "")``."""
        if bufsize < 0:
            raise NetgraphError.from_host(errno.EINVAL, f"buffer size {bufsize}", command="recvfrom")
        return self._get(fd, "recvfrom").recvfrom(bufsize)

    def daemon_gone(self, fd: int) -> Optional[str]:
        """The daemon's path when ``fd`` is one of its sockets and it has gone, else None."""
        entry = self._sockets.get(fd)
        if entry is None or not entry.daemon_gone():
            return None
        return self.socket_path

    def getsockname(self, fd: int) -> bytes:
        """The 16-byte ``sockaddr_ng`` of the socket's node."""
        return self._get(fd, "getsockname").request(wire.OP_SOCKNAME, b"", "getsockname")

    def close(self, fd: int) -> None:
        """Close a socket; the kernel has detached it (and maybe shut the node) on return."""
        with self._lock:
            entry = self._sockets.pop(fd, None)
        if entry is None:
            try:
                os.close(fd)
            except OSError as exc:
                raise NetgraphError.from_host(exc.errno or errno.EBADF, command="close") from None
            return
        try:
            entry.request(wire.OP_CLOSE, b"", "close")
        except OSError:
            pass  # the kernel side is gone already
        entry.sock.close()
        entry.release()


_SWEEP_FIRST = 64
_addresses: Dict[Optional[str], Tuple[bytes, bytes]] = {None: (b"", b"\0")}  # see _address
_ADDRESSES_MAX = 4096


def _address(addr: Optional[str]) -> Tuple[bytes, bytes]:
    """``(sg_data, send-request prefix)`` of a sendto() address, remembered for the next send."""
    sg = _sg_data(addr, "sendto") if addr is not None else b""
    if len(_addresses) >= _ADDRESSES_MAX:
        _addresses.clear()
        _addresses[None] = (b"", b"\0")
    entry = _addresses[addr] = (sg, bytes((len(sg),)) + sg)
    return entry


def _rcvtimeo(sock: socket.socket) -> float:
    """The descriptor's SO_RCVTIMEO in seconds (0: none)."""
    seconds, micro = _TIMEVAL.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _TIMEVAL.size))
    return float(seconds + micro / 1e6)


def _unread(fd: int) -> bool:
    """Whether the descriptor's peer has not read everything sent on it yet (SIOCOUTQ > 0)."""
    count = bytearray(_INT.size)  # filled in place: no result object to unpack
    fcntl.ioctl(fd, termios.TIOCOUTQ, count, True)
    return count != _NOTHING


def _sg_data(addr: str, command: str) -> bytes:
    """``sg_data`` as libnetgraph builds it: the string and its NUL."""
    try:
        raw = addr.encode("latin-1") + b"\0"
    except UnicodeEncodeError:
        raise _error(Errno.EINVAL, command, addr, "not latin-1") from None
    if b"\0" in raw[:-1] or len(raw) > 253:
        raise _error(Errno.EINVAL, command, addr, "bad address")
    return raw


def _check_data_send(entry: _Socket, hook: Optional[str], size: int) -> None:
    """Raise ng_socket's refusal of a data send (:func:`~pyngraph.emulator.transport.send_refusal`)."""
    refusal = wire.send_refusal(entry.flags, entry.hooks, hook, size, entry.maxdgram)
    if refusal is not None:
        raise _error(refusal[0], "sendto", hook, refusal[1])


_transports: Dict[Optional[str], EmulatedTransport] = {}
_transports_lock = threading.Lock()


def resolve(socket_path: Optional[str] = None, inprocess: bool = False) -> Tuple[Optional[str], bool]:
    """``(daemon socket or None for the in-process kernel, start the daemon when absent?)``.

    ``inprocess``/``socket_path="inprocess"``, then ``socket_path``, then
    ``PYNGRAPH_EMULATOR`` ("inprocess" or a path), else this user's daemon.
    """
    if inprocess or socket_path == INPROCESS:
        return None, False
    if socket_path:
        return socket_path, False
    env = os.environ.get(ENV_SOCKET)
    if env == INPROCESS:
        return None, False
    if env:
        return env, False
    return default_socket(), True


def transport_for(socket_path: Optional[str] = None, inprocess: bool = False,
                  timeout: Optional[float] = None) -> EmulatedTransport:
    """The process's transport to one kernel (its sockets live as long as the process).

    ``timeout``: seconds every wait for the daemon may take, for the sockets
    made from now on (default: ``PYNGRAPH_EMULATOR_TIMEOUT`` or 30).
    """
    key, autostart = resolve(socket_path, inprocess)
    with _transports_lock:
        transport = _transports.get(key)
        if transport is None:
            transport = _transports[key] = EmulatedTransport(key, autostart, timeout=timeout)
        elif timeout is not None:
            transport.timeout = _timeout_of(timeout)
        return transport


def create_backend(socket_path: Optional[str] = None, inprocess: bool = False,
                   timeout: Optional[float] = None) -> PyLibNetgraph:
    """The "emulated" backend: Python libnetgraph over the process's :class:`EmulatedTransport`.

    ``socket_path`` names a daemon; ``inprocess=True`` gives the process's own
    kernel; neither: as :func:`resolve` says.  ``timeout`` bounds every wait for a daemon.
    """
    return PyLibNetgraph(transport_for(socket_path, inprocess, timeout))
