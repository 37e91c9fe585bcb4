"""Node type ``ksocket`` (ng_ksocket): one hook, one real Linux socket under it.

The first hook's name (``family/type/protocol``) opens the socket; packets
from the hook are sent on it and what the socket receives goes out of the
hook.  The eight ksocket messages act on the socket with FreeBSD's checks,
errors and replies, message for message.  Every Linux
call goes through :mod:`pyngraph.emulator.linux`; sockets are non-blocking
and watched by the kernel's event loop.

Where Linux and FreeBSD differ underneath, the node keeps FreeBSD's face:

* stream sockets never report or perform a partial write: a packet is taken
  whole into an outgoing buffer that is always flushed completely (a packet
  that would push it past ``OUTQ_MAX`` is dropped with ENOBUFS); only with
  the kernel's ``lossless`` option is the producer paused while it is not empty;
* what the socket receives goes out of the hook as ``ng_ksocket_incoming2``
  sends it: a peer that refuses it (a full socket node: ENOBUFS) loses it,
  stream bytes included, as on FreeBSD.  With the kernel's ``lossless``
  option (not FreeBSD) a refused stream chunk is held and the reading
  paused until the peer takes it.

Drops are logged at DEBUG on the ``pyngraph.emulator.ksocket`` logger.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import struct
import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Optional

from ...abi.args import AcceptReply, Sockopt
from ...abi.constants import (
    AF_INET, AF_LOCAL, NG_KSOCKET_MAX_OPTLEN, NG_KSOCKET_TAG_SOCKADDR, NGF_RESP, NGM_KSOCKET_ACCEPT, NGM_KSOCKET_BIND,
    NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME, NGM_KSOCKET_GETOPT,
    NGM_KSOCKET_GETPEERNAME, NGM_KSOCKET_LISTEN, NGM_KSOCKET_SETOPT, Errno,
)
from ...abi.hookname import parse_hookname
from ...abi.message import NgMesg
from ...abi.sockaddr import SIZEOF_SOCKADDR_IN
from ...abi.translate import family_from_host
from ...ascii import CMDLISTS
from ...errors import NetgraphError
from .. import linux
from ..flow import FlowControl
from ..kernel import fbsd_error
from ..node import Hook, MsgItem, Node, Result, Tag, Tags

if TYPE_CHECKING:
    from ..kernel import Kernel

log = logging.getLogger("pyngraph.emulator.ksocket")

IP_MAXPACKET = 65535  # the most one receive takes
_ACCEPT_BATCH = 8  # connections one wake-up of a listening socket accepts
SOMAXCONN = 128  # kern.ipc.soacceptqueue: the largest listen queue (solisten_proto)
OUTQ_MAX = 4 << 20  # bytes a stream socket's outgoing buffer may hold
_SADATA_OFFSET = 2  # offsetof(struct sockaddr, sa_data)
_U32 = struct.Struct("=I")
_I32 = struct.Struct("=i")
_SIN = struct.Struct("!BBH4s8x").pack  # an AF_INET sockaddr: sa_len, family, port, address, zeros
_TAGS_MAX = 256  # source-address tags cached per node
_READ_BATCH = 8  # receives per readable event: a flood into one socket starves no other
_MSG_TRUNC = int(socket.MSG_TRUNC)  # a plain int: the enum's "&" costs a microsecond per datagram
_STREAMS = (socket.SOCK_STREAM, socket.SOCK_SEQPACKET)
_local = threading.local()  # each thread's receive buffer (node code of one kernel runs on one thread at a time)


def _receive_buffer() -> memoryview:
    try:
        return _local.buffer  # type: ignore[no-any-return]
    except AttributeError:
        _local.buffer = memoryview(bytearray(IP_MAXPACKET))
        return _local.buffer  # type: ignore[no-any-return]

# ng_ksocket's private flags
KSF_CONNECTING = 0x01
KSF_ACCEPTING = 0x02
KSF_EOFSEEN = 0x04
KSF_CLONED = 0x08
KSF_EMBRYONIC = 0x10

def sockaddr_tag(node_id: int, sa: bytes) -> Tag:
    """The source-address tag ksocket puts on what an unconnected socket receives."""
    return Tag(NGM_KSOCKET_COOKIE, NG_KSOCKET_TAG_SOCKADDR, _U32.pack(node_id) + sa)


class KsocketNode(Node):
    """A ksocket node: its socket, its one hook, and FreeBSD's state flags."""

    type_name = "ksocket"
    cookie = NGM_KSOCKET_COOKIE
    cmdlist = CMDLISTS["ksocket"]

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.sock: Optional[socket.socket] = None
        self.hook: Optional[Hook] = None
        self.flags = 0
        self.connected = False  # the socket has a peer (CONNECT done, or accepted)
        self.listening = False
        self.parent: Optional[KsocketNode] = None  # the listening node, while embryonic
        self.embryos: List[KsocketNode] = []
        self.qlimit = 0  # the listen queue's limit (sol_qlimit), set by LISTEN
        self.overflows = 0  # connections reset because the listen queue was full
        self.replies_lost = 0  # ACCEPT replies the requester could not take
        self.response_token = 0  # token and requester of the owed CONNECT/ACCEPT reply
        self.response_addr = 0
        self._outq: Deque[bytes] = deque()  # stream data taken but not yet written
        self._held: Optional[bytes] = None  # a received stream chunk the peer refused
        # the outgoing buffer's bytes; lossless: producers paused until it drains
        self._outflow = FlowControl(OUTQ_MAX, high=0, pause=self.kernel.pause_source,
                                    resume=self.kernel.resume_source)
        self._fd = -1
        self._family = 0  # the socket's FreeBSD family and kind, read once on attach
        self._stream = False  # SOCK_STREAM
        self._connection = False  # SOCK_STREAM or SOCK_SEQPACKET
        self._tags: Dict[Any, Tags] = {}  # source address -> its tag (unconnected datagram sockets)
        self.drops = 0  # packets dropped at this node (each also logged at DEBUG)

    # --- hooks ---------------------------------------------------------------------

    def newhook(self, hook: Hook, name: str) -> Result:
        if self.hook is not None or self.hooks:
            raise fbsd_error(Errno.EISCONN, f"ksocket node {self.path} already has a hook")
        if self.flags & KSF_CLONED:
            if self.flags & KSF_EMBRYONIC and self.parent is not None:
                self.parent.embryos.remove(self)
            self.parent = None
            self.flags &= ~KSF_EMBRYONIC
        else:
            self._attach_socket(linux.open_socket(parse_hookname(name)))
        self.hook = hook
        hook.force_queue = True  # HK_QUEUE: no recursion through routing loops
        return None

    def connect(self, hook: Hook) -> Result:
        self._rewatch()  # a clone reads what arrived before it was hooked
        return None

    def disconnect(self, hook: Hook) -> None:
        if hook is self.hook:
            self.hook = None
        if self.valid:
            self.rmnode_self()

    def shutdown(self) -> None:
        self._close_socket()
        if self.parent is not None:
            if self in self.parent.embryos:
                self.parent.embryos.remove(self)
            self.parent = None
        embryos, self.embryos = self.embryos, []
        for embryo in embryos:
            embryo.parent = None
            self.kernel.rmnode(embryo)

    # --- the socket and its watch ------------------------------------------------------

    def _attach_socket(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self._fd = sock.fileno()
        self._family = family_from_host(sock.family)
        kind = sock.type
        self._stream = kind == socket.SOCK_STREAM
        self._connection = kind in _STREAMS

    def _close_socket(self) -> None:
        sock, self.sock = self.sock, None
        if sock is not None:
            self.kernel.unwatch_fd(self._fd)
            sock.close()
        self._outq.clear()
        self._outflow.clear()
        self._held = None

    def _reading(self) -> bool:
        """Whether the socket's readable events matter now.

        Stream-like sockets are read only once connected (an idle or
        connecting one polls as hung up) and no more after EOF; a node
        without a hook leaves data in the socket (an embryo).
        """
        if self.hook is None:
            return False
        if self.listening:
            return True
        if self._connection_oriented():
            return self.connected and not self.flags & KSF_EOFSEEN
        return True

    def _connection_oriented(self) -> bool:
        return self.sock is not None and self._connection

    def _rewatch(self) -> None:
        if self.sock is None:
            return
        writing = bool(self.flags & KSF_CONNECTING or self._outq or self._held is not None)
        readable = self._on_readable if self._reading() else None
        writable = self._on_writable if writing else None
        if readable is None and writable is None:
            self.kernel.unwatch_fd(self._fd)
        else:
            self.kernel.watch_fd(self._fd, readable, writable)

    def _on_writable(self) -> None:
        if self.flags & KSF_CONNECTING:
            self._connect_done()
        if self._outq:
            self._flush()
        if self._held is not None:
            self._on_readable()
        self._rewatch()

    def _on_readable(self) -> None:
        if self.sock is None or self.hook is None:
            return
        if self.listening:
            self._accept_all()
        else:
            self._incoming()

    # --- control messages ----------------------------------------------------------------

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        if msg.typecookie != NGM_KSOCKET_COOKIE:
            raise fbsd_error(Errno.EINVAL, f"ksocket node {self.path}: cookie {msg.typecookie} not handled")
        handler = _MESSAGES.get(msg.cmd)
        if handler is None:
            raise fbsd_error(Errno.EINVAL, f"ksocket node {self.path}: unknown command {msg.cmd}")
        return handler(self, item, msg.data)

    def _need_socket(self) -> socket.socket:
        if self.sock is None:
            raise fbsd_error(Errno.ENXIO, "no socket yet: the node has no hook")
        return self.sock

    def _sockaddr_arg(self, data: bytes) -> bytes:
        if len(data) < _SADATA_OFFSET or len(data) < data[0]:
            raise fbsd_error(Errno.EINVAL, f"sockaddr argument of {len(data)} bytes")
        return data

    def _msg_bind(self, item: MsgItem, data: bytes) -> Result:
        sa = self._sockaddr_arg(data)
        sock = self._need_socket()
        address = linux.to_host_address(sa, sock, "bind", self._family)
        try:
            sock.bind(address)
        except OSError as exc:
            raise linux.host_error(exc, f"bind to {address!r}") from None
        return None

    def _msg_listen(self, item: MsgItem, data: bytes) -> Result:
        if len(data) != _I32.size:
            raise fbsd_error(Errno.EINVAL, f"listen argument of {len(data)} bytes, expected 4")
        sock = self._need_socket()
        (backlog,) = _I32.unpack(data)
        if self._family == AF_LOCAL and linux.local_name_missing(sock):
            # uipc_listen: no vnode; Linux would autobind an abstract name instead
            raise fbsd_error(Errno.EINVAL if self.connected else Errno.EDESTADDRREQ, "listen: not bound")
        try:
            sock.listen(backlog)
        except OSError as exc:
            raise linux.host_error(exc, f"listen({backlog})") from None
        self.qlimit = backlog if 0 <= backlog <= SOMAXCONN else SOMAXCONN
        self.listening = True  # from now on connections are accepted as they come
        self._rewatch()
        return None

    def _msg_accept(self, item: MsgItem, data: bytes) -> Result:
        if data:
            raise fbsd_error(Errno.EINVAL, f"accept takes no argument, got {len(data)} bytes")
        sock = self._need_socket()
        if not linux.is_listening(sock):
            raise fbsd_error(Errno.EINVAL, "the socket is not listening")
        if self.flags & KSF_ACCEPTING:
            raise fbsd_error(Errno.EALREADY, "an accept is already pending")
        self._accept_one()
        # FreeBSD stores the requester only after the accept routine ran (bug-compatible).
        self.response_token, self.response_addr = item.msg.token, item.retaddr
        return None

    def _msg_connect(self, item: MsgItem, data: bytes) -> Result:
        sa = self._sockaddr_arg(data)
        sock = self._need_socket()
        if self.flags & KSF_CONNECTING:
            raise fbsd_error(Errno.EALREADY, "a connect is already in progress")
        if self.listening:
            raise fbsd_error(Errno.EOPNOTSUPP, "the socket is listening")
        if self.connected and self._connection_oriented():
            raise fbsd_error(Errno.EISCONN, "the socket is already connected")
        address = linux.to_host_address(sa, sock, "connect", self._family)
        linux.check_connect(sa, sock, self._family, "connect")
        try:
            sock.connect(address)
        except BlockingIOError as exc:
            if exc.errno != errno.EINPROGRESS:  # a local listener's queue is full
                raise fbsd_error(Errno.ECONNREFUSED, f"connect to {address!r}: {exc}") from None
        except OSError as exc:
            raise linux.host_error(exc, f"connect to {address!r}") from None
        else:
            self.connected = True
            self._rewatch()
            return None
        self.flags |= KSF_CONNECTING
        self.response_token, self.response_addr = item.msg.token, item.retaddr
        self._rewatch()
        raise fbsd_error(Errno.EINPROGRESS, f"connect to {address!r}: the reply follows")

    def _msg_getname(self, item: MsgItem, data: bytes) -> Result:
        return self._name_reply(item, data, peer=False)

    def _msg_getpeername(self, item: MsgItem, data: bytes) -> Result:
        return self._name_reply(item, data, peer=True)

    def _name_reply(self, item: MsgItem, data: bytes, peer: bool) -> Result:
        if data:
            raise fbsd_error(Errno.EINVAL, f"no argument expected, got {len(data)} bytes")
        sock = self._need_socket()
        try:
            address = sock.getpeername() if peer else sock.getsockname()
        except OSError as exc:
            raise linux.host_error(exc, "getpeername" if peer else "getsockname") from None
        return self.respond(item, linux.from_host_address(sock, address, self._family))

    def _msg_setopt(self, item: MsgItem, data: bytes) -> Result:
        if len(data) < 8:
            raise fbsd_error(Errno.EINVAL, f"sockopt argument of {len(data)} bytes, need 8")
        opt = Sockopt.decode(data)
        linux.set_option(self._need_socket(), opt.level, opt.name, opt.value)
        return None

    def _msg_getopt(self, item: MsgItem, data: bytes) -> Result:
        if len(data) != 8:
            raise fbsd_error(Errno.EINVAL, f"sockopt argument of {len(data)} bytes, expected 8")
        opt = Sockopt.decode(data)
        value = linux.get_option(self._need_socket(), opt.level, opt.name, NG_KSOCKET_MAX_OPTLEN)
        return self.respond(item, Sockopt(0, 0, value).encode())  # FreeBSD leaves level/name zero

    # --- asynchronous connect -----------------------------------------------------------

    def _connect_done(self) -> None:
        """The connect finished (writable): one CONNECT reply to the saved requester."""
        assert self.sock is not None
        error = linux.pending_error(self.sock)
        self.flags &= ~KSF_CONNECTING
        reply = NgMesg(NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, _I32.pack(error), NGF_RESP,
                       self.response_token, "NGM_KSOCKET_CONNECT")
        if self.send_msg(self.response_addr, reply):
            log.debug("%s: CONNECT reply lost: requester [%x] is gone", self.path, self.response_addr)
        if error:
            self._eof()  # a failed connect leaves the socket unable to receive
        else:
            self.connected = True

    # --- accept ---------------------------------------------------------------------------

    def _accept_all(self) -> None:
        """The listen upcall: one accept routine per connection that arrived.

        At most ``_ACCEPT_BATCH`` per wake-up: the loop comes back while more
        wait, so a flood of connections never holds the kernel.  Embryos whose
        peer has gone are reaped first.
        """
        for embryo in list(self.embryos):
            if embryo.sock is not None and _peer_gone(embryo.sock):
                self.kernel.rmnode(embryo)
        for _ in range(_ACCEPT_BATCH):
            if self.sock is None or not self._accept_one(eager=True):
                return

    def _accept_one(self, eager: bool = False) -> bool:
        """The accept routine: take one connection, make its clone, reply from the clone.

        With nothing pending an ACCEPT request becomes pending (KSF_ACCEPTING);
        the upcall runs only for real connections, so it never sets the flag.
        """
        assert self.sock is not None
        try:
            conn, address = self.sock.accept()
        except BlockingIOError:
            if not eager:
                self.flags |= KSF_ACCEPTING
            return False
        except OSError as exc:
            self.flags &= ~KSF_ACCEPTING
            if not eager:  # ACCEPT returns the error and does not store its requester
                raise linux.host_error(exc, "accept") from None
            log.debug("%s: accept failed: %s", self.path, exc)
            if exc.errno in (errno.EMFILE, errno.ENFILE):
                _shed_connection(self.sock)  # else the listener stays readable: a busy loop
            return False
        self.flags &= ~KSF_ACCEPTING
        if eager and self._queue_full():  # a connection arriving at a full queue (an ACCEPT takes one)
            self.overflows += 1
            log.debug("%s: listen queue full (%d waiting): connection reset (%d so far)",
                      self.path, len(self.embryos), self.overflows)
            _reset(conn)
            return True
        try:
            peer = linux.from_host_address(conn, address)
            clone = self.kernel.make_node(self.type_name, self)
        except (NetgraphError, OSError) as exc:
            log.debug("%s: accepted connection dropped: %s", self.path, exc)
            conn.close()
            return True
        assert isinstance(clone, KsocketNode)
        clone._attach_socket(conn)
        clone.connected = True
        clone.flags = KSF_CLONED | KSF_EMBRYONIC
        clone.parent = self
        self.embryos.append(clone)
        reply = NgMesg(NGM_KSOCKET_ACCEPT, NGM_KSOCKET_COOKIE, AcceptReply(clone.id, peer).encode(),
                       NGF_RESP, self.response_token, "NGM_KSOCKET_ACCEPT")
        clone.queue_call(self._deliver_accept_reply, clone, reply, self.response_addr)
        return True

    def _deliver_accept_reply(self, clone: "KsocketNode", reply: NgMesg, requester: int) -> None:
        """The queued ACCEPT reply, from the clone; one the requester cannot take is counted."""
        target = self.kernel.node_by_id(requester)
        error = Errno.EINVAL if target is None else self.kernel.deliver_msg(target, MsgItem(reply, clone.id))
        if error:
            self.replies_lost += 1
            log.warning("%s: ACCEPT reply for clone %s lost (%s at requester [%x]); %d lost so far",
                        self.path, clone.path, _errname(error), requester, self.replies_lost)

    def _queue_full(self) -> bool:
        """Whether the listen queue is over its limit (``sonewconn``: more than 3/2 of qlimit).

        Embryos (accepted, not yet hooked) stand for FreeBSD's queued connections.
        """
        return len(self.embryos) > 3 * self.qlimit // 2

    # --- socket -> hook ---------------------------------------------------------------------

    def _incoming(self) -> None:
        """Read what the socket has and send it out of the hook, while the peer takes it."""
        sock, hook = self.sock, self.hook
        assert sock is not None and hook is not None
        source = self.kernel.current_source
        if self._held is not None:
            if not self._forward_chunk(self._held):
                return
            self._held = None
            self._rewatch()
        stream, connection = self._stream, self._connection
        buffer = _receive_buffer()
        buffers = [buffer]
        for _ in range(_READ_BATCH):  # then the other descriptors get their turn (level-triggered)
            if self.sock is None or self.hook is None:
                return
            if source is not None and source.paused:
                return  # the receiver is full; it resumes us when it drains
            try:
                if stream:
                    nbytes, msg_flags, address = sock.recv_into(buffer), 0, None
                else:
                    nbytes, _, msg_flags, address = sock.recvmsg_into(buffers)
            except BlockingIOError:
                return
            except OSError as exc:
                if connection:
                    log.debug("%s: receive failed (%s): end of stream", self.path, exc)
                    self._eof()
                else:
                    log.debug("%s: receive error ignored: %s", self.path, exc)
                return
            if msg_flags & _MSG_TRUNC:
                self.drops += 1
                log.debug("%s: dropped a datagram larger than %d bytes", self.path, IP_MAXPACKET)
                return
            if not nbytes:
                if connection:
                    self._eof()
                else:
                    self.drops += 1
                    log.debug("%s: dropped a zero-length datagram", self.path)
                return
            data = bytes(buffer[:nbytes])
            if stream:
                if not self._forward_chunk(data):
                    return
                continue
            tags: Tags = ()
            if not self.connected and address is not None:  # the source only when unconnected
                tags = self._tags.get(address) or self._source_tags(sock, address)
            error = self.send_data(hook, data, tags)
            if error:
                self.drops += 1
                log.debug("%s: datagram of %d bytes dropped by the peer: %s",
                          self.path, len(data), _errname(error))

    def _source_tags(self, sock: socket.socket, address: Any) -> Tags:
        """The source-address tag of a datagram from ``address`` (cached per node)."""
        try:
            if self._family == AF_INET:  # (host, port): the sockaddr packed directly
                host, port = address
                sa = _SIN(SIZEOF_SOCKADDR_IN, AF_INET, port, socket.inet_aton(host))
            else:
                sa = linux.from_host_address(sock, address, self._family)
        except (NetgraphError, OSError, ValueError, TypeError, struct.error) as exc:
            log.debug("%s: source address %r not tagged: %s", self.path, address, exc)
            return ()
        tags: Tags = (sockaddr_tag(self.id, sa),)
        try:
            if len(self._tags) >= _TAGS_MAX:
                self._tags.clear()
            self._tags[address] = tags
        except TypeError:  # an unhashable address (none from Linux): not cached
            pass
        return tags

    def _forward_chunk(self, data: bytes) -> bool:
        """Send stream bytes out of the hook; refused, they are lost (held and retried if lossless)."""
        assert self.hook is not None
        error = self.send_data(self.hook, data)
        if error == Errno.ENOBUFS and self.kernel.lossless:
            self._held = data
            self._rewatch()  # retried on the next writable event
            return False
        if error:
            self.drops += 1
            log.debug("%s: %d stream bytes dropped by the peer: %s", self.path, len(data), _errname(error))
        return True

    def _eof(self) -> None:
        """The socket can receive no more: one zero-length packet, once."""
        if self.flags & KSF_EOFSEEN:
            return
        self.flags |= KSF_EOFSEEN
        if self.hook is not None:
            self.send_data(self.hook, b"")
        self._rewatch()

    # --- hook -> socket ------------------------------------------------------------------------

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        sock = self.sock
        if sock is None:
            return Errno.ENXIO
        address = None
        if tags:
            dest = self._destination(tags)
            try:
                address = None if dest is None else linux.to_host_address(dest, sock, "send", self._family)
            except NetgraphError as exc:
                return self._drop(data, f"bad destination: {exc}", int(exc.fbsd_errno or Errno.EINVAL))
            if address is not None and self.connected:
                return self._drop(data, "destination given on a connected socket", Errno.EISCONN)
        if self._stream:
            if not self.connected:
                return self._drop(data, "stream socket not connected", Errno.ENOTCONN)
            return self._send_stream(sock, data)
        try:
            if address is None:
                sock.send(data)
            else:
                sock.sendto(data, address)
        except OSError as exc:
            return self._drop(data, str(exc), linux.fbsd_errno_of(exc.errno or 0))
        return None

    def _destination(self, tags: Tags) -> Optional[bytes]:
        """The sockaddr of the first ksocket tag, if this node (or node 0) stamped it."""
        for tag in tags:
            if tag.cookie == NGM_KSOCKET_COOKIE and tag.type == NG_KSOCKET_TAG_SOCKADDR:
                payload = tag.payload
                if len(payload) < 4 + _SADATA_OFFSET:
                    return None
                (stamp,) = _U32.unpack_from(payload)
                if stamp not in (0, self.id):
                    return None
                sa = payload[4:]
                return sa if sa[0] <= len(sa) else None
        return None

    def _drop(self, data: bytes, why: str, error: int) -> int:
        self.drops += 1
        log.debug("%s: dropped %d bytes to the socket: %s", self.path, len(data), why)
        return error

    def _send_stream(self, sock: socket.socket, data: bytes) -> int:
        """Write a whole packet or take it whole into the outgoing buffer."""
        if self._outq:
            if not self._outflow.admit(len(data)):
                return self._drop(data, "outgoing buffer full", Errno.ENOBUFS)
            self._queue_out(data)
            return 0
        try:
            sent = sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError as exc:
            return self._drop(data, str(exc), linux.fbsd_errno_of(exc.errno or 0))
        if sent < len(data):
            self._queue_out(data[sent:])
            self._rewatch()
        return 0

    def _queue_out(self, data: bytes) -> None:
        self._outq.append(data)
        # lossless: the producer waits; else a slow peer holds up nobody and past OUTQ_MAX we drop
        self._outflow.add(len(data), hold_back=self.kernel.lossless)

    def _flush(self) -> None:
        sock = self.sock
        assert sock is not None
        outq = self._outq
        while outq:
            try:
                sent = sock.send(outq[0])
            except BlockingIOError:
                return
            except OSError as exc:
                log.debug("%s: %d buffered bytes dropped: %s", self.path, self._outflow.size, exc)
                outq.clear()
                self._outflow.clear()
                return
            self._outflow.remove(sent)  # resumes the producers once all is written
            if sent < len(outq[0]):
                outq[0] = outq[0][sent:]
                return
            outq.popleft()


def _spare() -> List[int]:
    try:
        return [os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)]
    except OSError:
        return []


_SPARE = _spare()  # one descriptor kept in reserve to shed connections when out of them


def _shed_connection(listener: socket.socket) -> None:
    """Out of descriptors: reset one pending connection using the spare descriptor."""
    if not _SPARE:
        return
    os.close(_SPARE.pop())
    try:
        conn, _ = listener.accept()
    except OSError:
        pass
    else:
        _reset(conn)
    _SPARE.extend(_spare())


def _reset(conn: socket.socket) -> None:
    """Close a connection with a reset (what FreeBSD sends when the listen queue is full)."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _peer_gone(sock: socket.socket) -> bool:
    """Whether a connection's peer closed (or reset) with nothing left unread."""
    poller = select.poll()
    poller.register(sock, select.POLLRDHUP)
    if not poller.poll(0):
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def _errname(number: int) -> str:
    try:
        return Errno(number).name
    except ValueError:
        return f"errno {number}"


# ng_ksocket_rcvmsg's switch: each NGM_KSOCKET_* command and its handler
_MESSAGES: Dict[int, Callable[[KsocketNode, MsgItem, bytes], Result]] = {
    NGM_KSOCKET_BIND: KsocketNode._msg_bind,
    NGM_KSOCKET_LISTEN: KsocketNode._msg_listen,
    NGM_KSOCKET_ACCEPT: KsocketNode._msg_accept,
    NGM_KSOCKET_CONNECT: KsocketNode._msg_connect,
    NGM_KSOCKET_GETNAME: KsocketNode._msg_getname,
    NGM_KSOCKET_GETPEERNAME: KsocketNode._msg_getpeername,
    NGM_KSOCKET_SETOPT: KsocketNode._msg_setopt,
    NGM_KSOCKET_GETOPT: KsocketNode._msg_getopt,
}

NODE_TYPE = KsocketNode

__all__ = ["NODE_TYPE", "KsocketNode", "sockaddr_tag", "IP_MAXPACKET", "OUTQ_MAX"]
