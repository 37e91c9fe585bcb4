"""Node type ``socket`` (ng_socket): the user's endpoint, a control and a data socket.

A :class:`Pcb` is the kernel end of one user socket (ng_socket's ``ngpcb``);
its descriptor is framed as :mod:`..transport` describes.  Control messages
the node receives are passed up to the control socket with the sender's
``"[id]:"`` address; packets arriving on a hook go up the data socket with the
hook's name.  Both sockets have FreeBSD's receive space (:mod:`..sockbuf`):
a datagram that does not fit is dropped with ENOBUFS (``ngs_rcvdata``,
``ngs_rcvmsg``), counted in the socket's ``drops`` and logged at DEBUG; no
reader holds back anyone else.  With the kernel's ``lossless`` option (not
FreeBSD) a full data socket instead holds packets in a bounded backlog and
pauses whatever produced them until the user reads.  A data socket whose
user is in the kernel's process keeps its packets in an :class:`~..inbox.Inbox`
the user takes them from, not in the descriptor.
"""

from __future__ import annotations

import logging
import socket
from collections import deque
from typing import TYPE_CHECKING, Callable, Deque, Dict, Optional, Tuple

from ...abi.constants import NG_NODESIZ, NG_TYPESIZ, NGM_GENERIC_COOKIE, NGM_MKPEER, AF_NETGRAPH, Errno
from ...abi.nodetypes.ng_socket import (
    NG_CONTROL, NG_DATA, NGM_SOCK_CMD_LINGER, NGM_SOCK_CMD_NOLINGER, NGM_SOCKET_COOKIE,
)
from ...abi.nodetypes import ng_socket
from ...abi.schema import text
from ...abi.message import NgMesg
from ..flow import FlowControl
from ..inbox import Inbox
from ..kernel import Kernel, check, fbsd_error
from ..node import Hook, MsgItem, Node, Result, Tags, run_command
from ..path import resolve
from ..sockbuf import SIZEOF_SOCKADDR_NG, SockBuf
from ..transport import UPD_ATTACHED, UPD_CONNECTED, UPD_GONE, frame, send_refusal, update

if TYPE_CHECKING:
    from ..channel import Channel

log = logging.getLogger("pyngraph.emulator.socket")

BACKLOG_MAX = 4096  # the lossless option: packets held for a full data socket
_READ_BATCH = 64  # datagrams read from one data socket per wake-up


class SocketNode(Node):
    """The socket node: hooks of any name, messages and data passed up to the user."""

    declaration = ng_socket.TYPE

    def __init__(self, kernel: Kernel, node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.control: Optional[ControlPcb] = None
        self.data: Optional[DataPcb] = None
        self.nolinger = False
        self._prefixes: Dict[Hook, bytes] = {}  # each hook's name framed for the data socket

    def constructor(self) -> Result:
        # Only socket(2) makes socket nodes; MKPEER of "socket" is refused.
        raise fbsd_error(Errno.EINVAL, "socket nodes are made by socket(2), not mkpeer")

    def connect(self, hook: Hook) -> Result:
        self._hooks_changed()
        return None

    def disconnect(self, hook: Hook) -> None:
        self._prefixes.pop(hook, None)
        self._hooks_changed()
        if self.nolinger and not self.hooks and self.valid:
            self.rmnode_self()

    def _hooks_changed(self) -> None:
        if self.data is not None:
            self.data.connected = len(self.hooks) == 1
            self.data.push_update()

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        if self.control is None:
            raise fbsd_error(Errno.EINVAL, "socket node has no control socket")
        if msg.typecookie == NGM_SOCKET_COOKIE:
            return run_command(self, _MESSAGES, item)
        return self.control.pass_up(f"[{item.retaddr:x}]:".encode(), msg.encode())

    def _msg_linger(self, item: MsgItem) -> Result:
        """NOLINGER: the node goes when its last hook does; LINGER: it stays."""
        self.nolinger = item.msg.cmd == NGM_SOCK_CMD_NOLINGER
        return None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        pcb = self.data
        if pcb is None:
            return None  # no data socket: discarded
        if pcb.inbox is not None:  # sg_len: the name, its NUL and the 2-byte header
            return pcb.deliver_local(hook.name, data, len(hook.name) + 3)
        prefix = self._prefixes.get(hook)
        if prefix is None:  # the framed hook name, once per hook
            prefix = self._prefixes[hook] = frame(hook.name.encode("latin-1"), b"")
        # sg_len of ngs_rcvdata's address: the name, its NUL and the 2-byte header (prefix: u8 + name)
        return pcb.deliver(prefix + data, len(prefix) + 2, len(data))

    def shutdown(self) -> None:
        for pcb in (self.control, self.data):
            if pcb is not None:
                pcb.node_gone()
        self.control = self.data = None

    def sockaddr(self) -> bytes:
        """getsockname() (``ng_getsockaddr``): FreeBSD 14's whole ``struct sockaddr_ng``.

        34 bytes: ``sg_len`` 34, AF_NETGRAPH, then ``sg_data[32]`` holding the
        name (or ``"[id]"``), NUL-padded.
        """
        text = (self.name or f"[{self.id:x}]").encode("latin-1")
        return bytes((SIZEOF_SOCKADDR_NG, AF_NETGRAPH)) + text.ljust(SIZEOF_SOCKADDR_NG - 2, b"\0")


class Pcb:
    """The kernel end of one user socket and the channel that controls it."""

    kind = 0

    def __init__(self, kernel: Kernel, sock: socket.socket, channel: "Channel") -> None:
        sock.setblocking(False)
        self.kernel = kernel
        self.sock: Optional[socket.socket] = sock
        self.channel = channel
        self.node: Optional[SocketNode] = None
        self.gone = False  # the node shut down under us (EPIPE)
        self.maxdgram = kernel.maxdgram  # soreserve at attach: net.graph.maxdgram of the day
        kernel.watch_fd(sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        raise NotImplementedError

    def _check_node(self, command: str) -> SocketNode:
        if self.node is None:
            raise fbsd_error(Errno.EPIPE if self.gone else Errno.ENOTCONN, command=command)
        return self.node

    def bind(self, sg_data: bytes) -> None:
        raise fbsd_error(Errno.EOPNOTSUPP, command="bind")

    def connect(self, sg_data: bytes) -> None:
        raise fbsd_error(Errno.EINVAL, command="connect")

    def send(self, addr: bytes, msg: bytes) -> None:
        raise fbsd_error(Errno.EOPNOTSUPP, command="sendto")

    def sockname(self) -> bytes:
        if self.node is None:
            raise fbsd_error(Errno.EINVAL, command="getsockname")
        return self.node.sockaddr()

    def _unref(self) -> None:
        """This socket no longer holds the node; the last one going shuts it down."""
        node, self.node = self.node, None
        if node is None:
            return
        if node.control is self:
            node.control = None
        if node.data is self:
            node.data = None
        if node.control is None and node.data is None:
            self.kernel.rmnode_self(node)

    def node_gone(self) -> None:
        """The node shut down: the user reads what is queued, then EOF; sends fail."""
        self.node = None
        self.gone = True
        self._close_descriptor()

    def detach(self) -> None:
        """The user closed the socket."""
        self._unref()
        self._close_descriptor()

    def _close_descriptor(self) -> None:
        if self.sock is not None:
            self.kernel.unwatch_fd(self.sock.fileno())
            self.sock.close()
            self.sock = None


class ControlPcb(Pcb):
    """A control socket: binds the node's name, sends messages, receives what is passed up."""

    kind = NG_CONTROL

    def __init__(self, kernel: Kernel, sock: socket.socket, channel: "Channel") -> None:
        super().__init__(kernel, sock, channel)
        self.books = SockBuf(sock, kernel.recvspace, pages=False)  # m_devget: no page clusters

    def _on_readable(self) -> None:
        # Users never write to the descriptor itself: readable means closed.
        assert self.sock is not None
        try:
            if self.sock.recv(1):
                return
        except BlockingIOError:
            return
        except OSError:
            pass
        self.channel.close()

    def bind(self, sg_data: bytes) -> None:
        node = self._check_node("bind")
        sg_len = 2 + len(sg_data)
        if not 4 <= sg_len <= NG_NODESIZ + 2 or sg_data[0] == 0 or sg_data[sg_len - 3] != 0:
            raise fbsd_error(Errno.EINVAL, "bad sockaddr_ng for bind", command="bind")
        name = sg_data[: sg_data.index(0)].decode("latin-1")
        self.kernel.name_node(node, name)

    def send(self, addr: bytes, raw: bytes) -> None:
        """sendto() on the control socket: deliver a message to the path in ``addr``."""
        node = self.node
        if node is None:
            raise fbsd_error(Errno.EPIPE, command="sendto")
        if not addr:
            raise fbsd_error(Errno.EDESTADDRREQ, command="sendto")
        if 2 + len(addr) > NG_NODESIZ + 2:
            raise fbsd_error(Errno.EINVAL, "path longer than 31 characters", command="sendto")
        end = addr.find(b"\0")
        path = (addr if end < 0 else addr[:end]).decode("latin-1")
        msg = NgMesg.decode(raw)
        if msg.typecookie == NGM_GENERIC_COOKIE and msg.cmd == NGM_MKPEER and len(msg.data) >= NG_TYPESIZ:
            type_name = text(msg.data[:NG_TYPESIZ])
            if type_name not in self.kernel.types:
                # FreeBSD tries kldload("ng_<type>") first; no such module: ENOENT.
                raise fbsd_error(Errno.ENOENT, f"no node type {type_name!r}", path=path, command="mkpeer")
        target, lasthook = resolve(self.kernel, node, path)
        if node.data is not None:
            node.data.flush_from_user()  # data sent before this message goes first ...
        self.kernel.drain()  # ... and so does what is queued (a ksocket's hook queues its data)
        check(self.kernel.deliver_msg(target, MsgItem(msg, node.id, lasthook)))

    def pass_up(self, addr: bytes, raw: bytes) -> int:
        """``ngs_rcvmsg``: append the message with its 34-byte source address, or ENOBUFS."""
        sock = self.sock
        if sock is None:
            return Errno.EINVAL
        cost = self.books.admit(SIZEOF_SOCKADDR_NG, len(raw))
        if cost is None:
            log.debug("control socket of [%x]: %d-byte message from %s dropped: receive space full (ENOBUFS)",
                      self.node.id if self.node else 0, len(raw), addr.decode("latin-1"))
            return Errno.ENOBUFS
        data = frame(addr, raw)
        try:
            sock.send(data)
        except OSError as exc:  # the Linux socket is full before FreeBSD's space: dropped too
            self.books.release(cost)
            self.books.drops += 1
            log.debug("control socket: message dropped: %s", exc)
            return Errno.ENOBUFS if isinstance(exc, BlockingIOError) else Errno.EINVAL
        self.books.sent(len(data), cost)
        return 0


class DataPcb(Pcb):
    """A data socket: packets to and from the node's hooks."""

    kind = NG_DATA

    def __init__(self, kernel: Kernel, sock: socket.socket, channel: "Channel") -> None:
        super().__init__(kernel, sock, channel)
        self.connected = False  # SS_ISCONNECTED: set and cleared only by hook events
        self.books = SockBuf(sock, kernel.recvspace, pages=True)
        self._backlog: Deque[Tuple[bytes, Optional[Tuple[int, int]]]] = deque()  # (frame, its books cost)
        # the backlog's packets; lossless: producers paused until it drains
        self._flow = FlowControl(BACKLOG_MAX, high=0, pause=kernel.pause_source, resume=kernel.resume_source)
        self._close_when_drained = False
        # a user in the kernel's process takes the packets from here (the descriptor: a doorbell)
        self.inbox = Inbox(sock, self.books, kernel.pause_source, kernel.resume_source) if channel.local else None

    def _on_readable(self, batch: int = _READ_BATCH) -> None:
        kernel = self.kernel
        source = kernel.current_source
        rxbuf = kernel.rxbuf
        view = memoryview(rxbuf)
        for _ in range(batch):
            sock = self.sock
            if sock is None:
                return
            try:
                n = sock.recv_into(rxbuf)
            except BlockingIOError:
                return
            except OSError:
                n = 0
            if not n:
                self.channel.close()
                return
            end = min(1 + rxbuf[0], n)  # unframe, copying each part once
            error = self.from_user(bytes(view[1:end]), bytes(view[end:n]))
            if error:  # the user's send has returned: its errno can only be logged (counted where refused)
                log.debug("%s: a packet the user wrote was refused: FreeBSD errno %d",
                          self.node.path if self.node else "?", error)
            if source is not None and source.paused:
                return

    def flush_from_user(self) -> None:
        """Forward every packet the user has sent so far (unless a full receiver holds them back).

        Called before a control message of the same socket node is delivered:
        FreeBSD queues data and messages on a node in the order they were sent.
        """
        sock = self.sock
        if sock is None:
            return
        kernel = self.kernel
        watch = kernel.watch_of(sock.fileno())
        if watch is None or watch.paused:
            return
        saved, kernel.current_source = kernel.current_source, watch
        try:
            self._on_readable(batch=1 << 30)  # until the descriptor is empty or the source pauses
        finally:
            kernel.current_source = saved

    def from_user(self, addr: bytes, payload: bytes) -> int:
        """A packet the user sent: the checks were made user-side; re-check, then forward.

        Returns the errno of the delivery (``ngd_send``: what the hook's peer
        returned when it ran directly, e.g. ENOBUFS from a full socket node).
        """
        node = self.node
        if node is None:
            return 0
        if not addr:
            name = None  # send(): no address at all
        else:
            end = addr.find(b"\0")
            name = (addr if end < 0 else addr[:end]).decode("latin-1")
        refusal = send_refusal(self.flags(), node.hooks, name, len(payload), self.maxdgram)
        if refusal is not None:  # the client library refuses these; a raw write is dropped
            log.debug("%s: dropped a %d-byte packet written past the library (%s)",
                      node.path, len(payload), refusal[1])
            return 0
        hook = node.hooks[name] if name else next(iter(node.hooks.values()))
        return self.kernel.send_user_data(hook, payload)

    def connect(self, sg_data: bytes) -> None:
        """Attach to the socket node at an absolute path (EISCONN, EINVAL, EADDRINUSE)."""
        if self.node is not None or self.gone:
            raise fbsd_error(Errno.EISCONN, command="connect")
        end = sg_data.find(b"\0")
        path = (sg_data if end < 0 else sg_data[:end]).decode("latin-1")
        node, _ = resolve(self.kernel, None, path)
        if not isinstance(node, SocketNode):
            raise fbsd_error(Errno.EINVAL, "not a socket node", path=path, command="connect")
        if node.data is not None:
            raise fbsd_error(Errno.EADDRINUSE, "node has a data socket", path=path, command="connect")
        node.data = self
        self.node = node
        self.push_update()

    def flags(self) -> int:
        """The socket's state as the client sees it (UPD_* bits)."""
        return ((UPD_ATTACHED if self.node is not None else 0) | (UPD_GONE if self.gone else 0)
                | (UPD_CONNECTED if self.connected else 0))

    def push_update(self) -> None:
        node = self.node
        self.channel.push(update(self.flags(), node.hooks if node is not None else ()))

    def deliver(self, data: bytes, sa_len: int, length: int) -> int:
        """``ngs_rcvdata``: append one framed packet, or refuse it with ENOBUFS when it does not fit.

        Linux's socket may fill before FreeBSD's space does: the packet then
        waits in a backlog (still counted in the space) until the user reads.
        """
        sock = self.sock
        if sock is None:
            return 0
        if self.kernel.lossless:
            return self._deliver_lossless(sock, data)
        cost = self.books.admit(sa_len, length)
        if cost is None:
            return self._dropped(length)
        if not self._backlog:
            try:
                sock.send(data)
            except BlockingIOError:
                self.kernel.watch_fd(sock.fileno(), self._on_readable, self._on_writable)
            except OSError:
                self.books.release(cost)
                return 0  # the user closed it; its EOF is being handled
            else:
                self.books.sent(len(data), cost)
                return 0
        self._backlog.append((data, cost))
        self._flow.add(1, hold_back=False)
        return 0

    def deliver_local(self, hook: str, data: bytes, sa_len: int) -> int:
        """:meth:`deliver` to the :class:`~..inbox.Inbox` of a user in the kernel's process."""
        inbox = self.inbox
        assert inbox is not None
        if self.kernel.lossless:
            if not inbox.flow.admit(len(data)):
                self.books.drops += 1
                return Errno.ENOBUFS
            inbox.put((data, hook), None)
            return 0
        cost = self.books.admit(sa_len, len(data))
        if cost is None:
            return self._dropped(len(data))
        if not inbox.put((data, hook), cost):
            self.books.release(cost)
        return 0

    def _dropped(self, length: int) -> int:
        """A packet that does not fit the receive space: ENOBUFS (counted by the books, logged at DEBUG)."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug("data socket of %s: %d-byte packet dropped: receive space full (ENOBUFS, %d so far)",
                      self.node.path if self.node else "?", length, self.books.drops)
        return Errno.ENOBUFS

    def _deliver_lossless(self, sock: socket.socket, data: bytes) -> int:
        """The ``lossless`` option: a full socket holds the packet and pauses its source."""
        if not self._backlog:
            try:
                sock.send(data)
                return 0
            except BlockingIOError:
                self.kernel.watch_fd(sock.fileno(), self._on_readable, self._on_writable)
            except OSError:
                return 0
        elif not self._flow.admit(1):
            self.books.drops += 1
            return Errno.ENOBUFS
        self._backlog.append((data, None))
        self._flow.add(1)
        return 0

    def _on_writable(self) -> None:
        sock = self.sock
        assert sock is not None
        backlog = self._backlog
        while backlog:
            data, cost = backlog[0]
            try:
                sock.send(data)
            except BlockingIOError:
                return
            except OSError:
                backlog.clear()
                self._flow.clear()
                break
            backlog.popleft()
            self._flow.remove(1)  # resumes the producers once the backlog is empty
            if cost is not None:
                self.books.sent(len(data), cost)
        self.kernel.watch_fd(sock.fileno(), self._on_readable)
        if self._close_when_drained:
            self._close_descriptor()

    def node_gone(self) -> None:
        self.connected = False
        self.node = None
        self.gone = True
        self.push_update()
        self._flow.resume_all()  # nothing arrives any more: the producers need not wait for this reader
        if self._backlog:
            self._close_when_drained = True  # let the user read what was accepted
        else:
            self._close_descriptor()

    def detach(self) -> None:
        if self.inbox is not None:
            self.inbox.clear()
        super().detach()

    def _close_descriptor(self) -> None:
        self._backlog.clear()
        self._flow.clear()
        if self.inbox is not None:
            self.inbox.close()  # the user takes what waits there, then sees EOF
        super()._close_descriptor()


def attach(kernel: Kernel, proto: int, sock: socket.socket, channel: "Channel") -> Pcb:
    """socket(PF_NETGRAPH, SOCK_DGRAM, proto): NG_CONTROL makes a new socket node."""
    if proto == NG_CONTROL:
        node = kernel.make_node_common(SocketNode.type_name)
        assert isinstance(node, SocketNode)
        pcb = ControlPcb(kernel, sock, channel)
        node.control = pcb
        pcb.node = node
        return pcb
    if proto == NG_DATA:
        data = DataPcb(kernel, sock, channel)
        data.push_update()
        return data
    sock.close()
    raise fbsd_error(Errno.EPROTONOSUPPORT, f"protocol {proto}", command="socket")



# ngs_rcvmsg's switch: each NGM_SOCK_CMD_* command and its handler
_MESSAGES: Dict[int, Callable[[SocketNode, MsgItem], Result]] = {
    NGM_SOCK_CMD_NOLINGER: SocketNode._msg_linger,
    NGM_SOCK_CMD_LINGER: SocketNode._msg_linger,
}

NODE_TYPE = SocketNode

__all__ = ["NODE_TYPE", "ControlPcb", "DataPcb", "SocketNode", "attach"]
