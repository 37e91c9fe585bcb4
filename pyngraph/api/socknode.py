"""The socket node: our own node in the graph, and the handle for everything else.

::

    with SockNode() as sock:                         # control + data socket
        ks = sock.ksocket("inet", "dgram", "udp", hook="ks")
        ks.bind(("127.0.0.1", 0))
        print(sock.msg("ks", "getname").text)        # inet/127.0.0.1:40000

Paths are relative to this node (``"ks"``), or absolute (``"foo:"``,
``"[1a]:"``).  Closing the node (or leaving the ``with`` block) closes both
descriptors: the node shuts down, and so do the ksockets hooked to it.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterator, List, Optional, Tuple, Type, Union

from ..abi.args import HookList, NodeInfo, TypeInfo
from ..abi.message import NgMesg
from ..backend import get_backend
from ..errors import NetgraphError, TimedOutError
from . import ops
from .channels import ControlChannel, DataChannel
from .events import Event
from .failures import closed, rename
from .ksocket import FamilySpec, KSocket, ProtoSpec, TypeSpec, hookname
from .noderef import NodeRef, PathRef, join_path
from .replies import Reply

Handler = Callable[[Event], Any]


class Descriptor:
    """One of the node's sockets, for ``select``/``selectors``: has ``fileno()``."""

    def __init__(self, fd: Optional[int]) -> None:
        self.fd = fd

    def fileno(self) -> int:
        if self.fd is None:
            raise closed("fileno")
        return self.fd


class SockNode:
    """A socket node with its control and (unless ``data=False``) data socket.

    Safe to share between threads.  Replies are matched to their request by
    token; everything else received on the control socket is an event (see
    :meth:`events`, :meth:`add_handler`).
    """

    def __init__(self, name: Optional[str] = None, *, data: bool = True) -> None:
        self.backend = get_backend()  # the node's sockets are served by the backend that made them
        try:
            cs, ds = self.backend.NgMkSockNode(name, data)
        except NetgraphError as exc:
            raise rename(exc, "socket node", f"{name}:" if name else None) from exc
        self.control = Descriptor(cs)
        self.data = Descriptor(ds)
        self._control = ControlChannel(cs, self.backend)
        self._data = DataChannel(ds, self.backend) if ds is not None else None
        self._handlers: List[Tuple[Handler, Tuple[Type[Event], ...]]] = []
        self._lock = threading.Lock()
        self._id: Optional[int] = None

    # -- life cycle ------------------------------------------------------------------

    def __enter__(self) -> "SockNode":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"fd {self.control.fd}"
        return f"<SockNode {state}>"

    def fileno(self) -> int:
        """The control socket's descriptor (readable when a message or event is waiting)."""
        return self.control.fileno()

    @property
    def closed(self) -> bool:
        return self.control.fd is None

    def close(self) -> None:
        """Close both sockets: the node shuts down, its ksocket peers with it."""
        with self._lock:
            fds = [d.fd for d in (self.data, self.control) if d.fd is not None]
            self.data.fd = self.control.fd = None
        self._control.close()
        if self._data is not None:
            self._data.close()
        for fd in fds:
            self.backend.close(fd)

    @property
    def id(self) -> int:
        """Our node's ID."""
        if self._id is None:
            self._id = self.info().id
        return self._id

    @property
    def sockaddr(self) -> bytes:
        """getsockname() of our control socket: the raw ``sockaddr_ng`` (34 bytes, as in C)."""
        fd = self.control.fd
        if fd is None:
            raise closed("getsockname")
        try:
            return bytes(self.backend.getsockname(fd))
        except NetgraphError as exc:
            raise rename(exc, "getsockname", ".") from exc

    @property
    def sockname(self) -> str:
        """Our node's name as getsockname() reports it: the name, or ``"[id]"`` when unnamed."""
        from ..backend.freebsd.sockaddr import parse

        return parse(self.sockaddr)

    # -- running operations --------------------------------------------------------------

    def run(self, op: ops.Op[ops.T]) -> ops.T:
        """Drive an operation of :mod:`.ops` to its result, blocking."""
        result: Any
        try:
            step = next(op)
            while True:
                try:
                    if isinstance(step, ops.Send):
                        result = self._control.send(step)
                    else:
                        result = self._control.claim(step)
                except NetgraphError as exc:
                    step = op.throw(exc)
                else:
                    step = op.send(result)
        except StopIteration as stop:
            value: ops.T = stop.value
            return value

    # -- nodes -------------------------------------------------------------------------

    def node(self, path: str) -> NodeRef:
        """A reference to the node at ``path``."""
        return NodeRef(self, path)

    def info(self, path: str = ".") -> NodeInfo:
        """NODEINFO of the node at ``path``."""
        return self.run(ops.info(path))

    def hooks(self, path: str = ".") -> HookList:
        """LISTHOOKS of the node at ``path``."""
        return self.run(ops.hooks(path))

    def list_nodes(self) -> List[NodeInfo]:
        """Every node in the graph (LISTNODES)."""
        return self.run(ops.list_nodes(".", named_only=False))

    def list_names(self) -> List[NodeInfo]:
        """Every named node (LISTNAMES)."""
        return self.run(ops.list_nodes(".", named_only=True))

    def list_types(self) -> List[TypeInfo]:
        """The installed node types and their node counts (LISTTYPES)."""
        return self.run(ops.list_types("."))

    def mkpeer(self, path: str, node_type: str, ourhook: str, peerhook: str) -> NodeRef:
        """Create a ``node_type`` node linked to ``path``'s ``ourhook`` by its ``peerhook``."""
        self.run(ops.mkpeer(path, node_type, ourhook, peerhook))
        return NodeRef(self, join_path(path, ourhook))

    def connect(self, path: str, peer: Union[str, PathRef], ourhook: str, peerhook: str) -> None:
        """Link ``path``'s ``ourhook`` to ``peer``'s ``peerhook``.

        A string ``peer`` is resolved from the node at ``path``, as netgraph
        does; a reference (:class:`NodeRef`, :class:`KSocket` ...) is the node it refers to.
        """
        if isinstance(peer, PathRef):
            self.run(ops.connect_by_id(path, peer.path, ourhook, peerhook))
        else:
            self.run(ops.connect(path, peer, ourhook, peerhook))

    def name(self, path: str, name: str) -> None:
        """Name the node at ``path``."""
        self.run(ops.name(path, name))

    def rmhook(self, path: str, hook: str) -> None:
        """Remove hook ``hook`` of the node at ``path``."""
        self.run(ops.rmhook(path, hook))

    def shutdown(self, path: str) -> None:
        """Shut the node at ``path`` down."""
        self.run(ops.shutdown(path))

    def status(self, path: str, *, timeout: Optional[float] = None) -> str:
        """TEXT_STATUS of the node at ``path``.

        Like libnetgraph this waits until the control socket has input; a
        socket node whose user never answers makes it wait for ever.
        """
        return self.run(ops.status(path, timeout))

    def msg(self, path: str, text: str, *, reply: Optional[bool] = None,
            timeout: Optional[float] = None) -> Optional[Reply]:
        """Send ``"command args"`` in ASCII to ``path``; the decoded :class:`Reply` or None.

        The target node converts the text (and the reply back to text), so
        this works for every node type.  ``reply`` forces waiting (or not);
        by default a reply is awaited when the command has one.
        """
        return self.run(ops.ascii_msg(path, text, reply, timeout))

    def send_msg(self, path: str, cookie: int, cmd: int, args: bytes = b"", *, reply: bool = False,
                 timeout: Optional[float] = None) -> Any:
        """Send a binary message: its token, or with ``reply`` the matching reply (NgMesg)."""
        command = f"cookie {cookie} cmd {cmd}"
        if reply:
            return self.run(ops.request(path, cookie, cmd, args, command=command, timeout=timeout))
        return self.run(ops.send(path, cookie, cmd, args, command=command))

    def reply_to(self, event: Event, args: bytes = b"") -> None:
        """Answer a message another node sent us (e.g. a ``textstatus`` request)."""
        try:
            self.backend.NgSendReplyMsg(self.fileno(), event.path, event.msg, args)
        except NetgraphError as exc:
            raise rename(exc, "reply", event.path) from exc

    def decode(self, msg: NgMesg, path: str) -> Reply:
        """Any received message as a :class:`Reply` (text converted by its sender)."""
        return self.run(ops.decode_reply(msg, path))

    # -- ksockets ----------------------------------------------------------------------------

    def ksocket(self, family: FamilySpec = "inet", socktype: TypeSpec = "dgram", proto: ProtoSpec = None,
                *, hook: str = "ks", path: str = ".") -> KSocket:
        """Create a ksocket node on ``path``'s hook ``hook`` (default: ours, so data flows here).

        ``family``/``socktype``/``proto`` are names (``"inet6"``, ``"stream"``,
        ``"tcp"``) or :class:`~pyngraph.abi.Family` / ``SockType`` / ``Proto``
        members; ``family`` may also be a whole hook name ``"inet/dgram/udp"``.
        """
        peerhook = hookname(family, socktype, proto)
        node = self.mkpeer(path, "ksocket", hook, peerhook).info()
        return KSocket(self, node.id, hook if path in (".", ".:") else None)

    def ksocket_at(self, path: str) -> KSocket:
        """The node at ``path`` as a :class:`KSocket` (refused if it is not a ksocket node)."""
        return KSocket.attach(self, path)

    # -- data -----------------------------------------------------------------------------

    def send(self, hook: Optional[str], data: bytes) -> None:
        """Send a packet out of our hook ``hook`` (None: our only hook)."""
        self._data_channel("send").send(hook, data)

    def recv(self, timeout: Optional[float] = None, *, hook: Optional[str] = None) -> Tuple[str, bytes]:
        """The next packet ``(hook, data)`` (only from ``hook``, if given); TimedOutError after ``timeout``."""
        return self._data_channel("recv").recv(timeout, hook)

    def _data_channel(self, command: str) -> DataChannel:
        if self._data is None:
            raise closed(command, None, "this socket node has no data socket (data=False)")
        return self._data

    # -- events ----------------------------------------------------------------------------

    def next_event(self, timeout: Optional[float] = None) -> Event:
        """The next event (oldest first); TimedOutError after ``timeout`` seconds."""
        channel = self._control
        return channel.wait(lambda: channel.router.take_event(), timeout, "event", ".")

    def events(self, timeout: Optional[float] = None) -> Iterator[Event]:
        """Events as they arrive; ends after ``timeout`` seconds without one (never, if None)."""
        while True:
            try:
                yield self.next_event(timeout)
            except TimedOutError:
                return

    def add_handler(self, handler: Handler, *kinds: Type[Event]) -> Handler:
        """Call ``handler(event)`` for events of ``kinds`` (all events if none) during :meth:`dispatch`."""
        self._handlers.append((handler, kinds or (Event,)))
        return handler

    def remove_handler(self, handler: Handler) -> None:
        """Stop calling ``handler``."""
        self._handlers = [(h, k) for h, k in self._handlers if h != handler]

    def dispatch(self, timeout: Optional[float] = 0.0) -> int:
        """Run the handlers for queued events, waiting up to ``timeout`` for a first one.

        Events no handler wants stay queued for :meth:`events`.  Returns how
        many events were handled.
        """
        channel = self._control

        def wanted(event: Event) -> bool:
            return any(isinstance(event, kinds) for _, kinds in self._handlers)

        handled = 0
        wait: Optional[float] = timeout
        while True:
            try:
                event = channel.wait(lambda: channel.router.take_event(wanted), wait, "dispatch", ".")
            except TimedOutError:
                return handled
            for handler, kinds in list(self._handlers):
                if isinstance(event, kinds):
                    handler(event)
            handled += 1
            wait = 0.0


__all__ = ["Descriptor", "SockNode"]
