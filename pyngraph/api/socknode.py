"""The socket node: our own node in the graph, and the handle for everything else.

::

    with SockNode() as sock:                         # control + data socket
        ks = sock.ksocket("inet", "dgram", "udp", hook="ks")
        ks.bind(("127.0.0.1", 0))
        print(sock.msg("ks", "getname").text)        # inet/127.0.0.1:40000

Paths are relative to this node (``"ks"``), or absolute (``"foo:"``,
``"[1a]:"``).  Closing the node (or leaving the ``with`` block) closes both
descriptors: the node shuts down, and so do the ksockets hooked to it.

:class:`SockNodeOps` is what a socket node does, written once for both APIs;
:class:`SockNode` runs it blocking (the asyncio runner is
:class:`pyngraph.aio.AioSockNode`).
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generic, List, Optional, Protocol, Tuple, Type, Union

from ..abi.args import HookList, NodeInfo, TypeInfo
from ..abi.message import NgMesg
from ..backend import get_backend
from ..backend.freebsd.sockaddr import parse as parse_sockaddr
from ..backend.protocol import Backend
from ..errors import NetgraphError, TimedOutError
from . import ops
from .channels import ControlChannel, DataChannel
from .events import Event
from .failures import closed, rename
from .ksocket import FamilySpec, KSocket, ProtoSpec, TypeSpec, hookname
from .noderef import KS, NR, NodeRef, PathOps, join_path
from .ops import Call, Claim, Op, RecvData, Send, SendData, Step, T
from .replies import Reply
from .runner import Blocking, drive, iteration, operation

Handler = Callable[[Event], object]


class DataSender(Protocol):
    def send(self, hook: Optional[str], data: bytes) -> None: ...


class SockNodeOps(Generic[NR, KS]):
    """What a socket node does, written once for both APIs; paths are relative to this node.

    Replies are matched to their request by token; everything else received on
    the control socket is an event (see :meth:`events`, :meth:`add_handler`).
    """

    backend: Backend  # the backend that made the node's sockets, which serves them
    _handlers: List[Tuple[Handler, Tuple[Type[Event], ...]]]

    # -- what each API supplies ------------------------------------------------------------

    def _run(self, op: Op[Any]) -> Any:
        raise NotImplementedError

    def _data_channel(self, command: str) -> DataSender:
        raise NotImplementedError

    def fileno(self) -> int:
        raise NotImplementedError

    @property
    def closed(self) -> bool:
        raise NotImplementedError

    def node(self, path: str) -> NR:
        """A reference to the node at ``path``."""
        raise NotImplementedError

    def ksocket_ref(self, node_id: int, hook: Optional[str] = None, *, bound: bool = False) -> KS:
        """The ksocket node ``node_id``; ``hook`` is our hook to it, if any."""
        raise NotImplementedError

    # -- our node ----------------------------------------------------------------------------

    @property
    def sockaddr(self) -> bytes:
        """getsockname() of our control socket: the raw ``sockaddr_ng`` (34 bytes, as in C)."""
        if self.closed:
            raise closed("getsockname")
        try:
            return bytes(self.backend.getsockname(self.fileno()))
        except NetgraphError as exc:
            raise rename(exc, "getsockname", ".") from exc

    @property
    def sockname(self) -> str:
        """Our node's name as getsockname() reports it: the name, or ``"[id]"`` when unnamed."""
        return parse_sockaddr(self.sockaddr)

    # -- nodes -------------------------------------------------------------------------

    @operation
    def info(self, path: str = ".") -> Op[NodeInfo]:
        """NODEINFO of the node at ``path``."""
        return ops.info(path)

    @operation
    def hooks(self, path: str = ".") -> Op[HookList]:
        """LISTHOOKS of the node at ``path``."""
        return ops.hooks(path)

    @operation
    def list_nodes(self) -> Op[List[NodeInfo]]:
        """Every node in the graph (LISTNODES)."""
        return ops.list_nodes(".", named_only=False)

    @operation
    def list_names(self) -> Op[List[NodeInfo]]:
        """Every named node (LISTNAMES)."""
        return ops.list_nodes(".", named_only=True)

    @operation
    def list_types(self) -> Op[List[TypeInfo]]:
        """The installed node types and their node counts (LISTTYPES)."""
        return ops.list_types(".")

    def mkpeer_op(self, path: str, node_type: str, ourhook: str, peerhook: str) -> Op[NR]:
        """Create a ``node_type`` node linked to ``path``'s ``ourhook`` by its ``peerhook``."""
        yield from ops.mkpeer(path, node_type, ourhook, peerhook)
        return self.node(join_path(path, ourhook))

    mkpeer = operation(mkpeer_op)

    def connect_op(self, path: str, peer: Union[str, PathOps[Any, Any]], ourhook: str, peerhook: str) -> Op[None]:
        """Link ``path``'s ``ourhook`` to ``peer``'s ``peerhook``.

        A string ``peer`` is resolved from the node at ``path``, as netgraph
        does; a reference (:class:`NodeRef`, :class:`KSocket` ...) is the node it refers to.
        """
        if isinstance(peer, PathOps):
            return ops.connect_by_id(path, peer.path, ourhook, peerhook)
        return ops.connect(path, peer, ourhook, peerhook)

    connect = operation(connect_op)

    @operation
    def name(self, path: str, name: str) -> Op[None]:
        """Name the node at ``path``."""
        return ops.name(path, name)

    @operation
    def rmhook(self, path: str, hook: str) -> Op[None]:
        """Remove hook ``hook`` of the node at ``path``."""
        return ops.rmhook(path, hook)

    @operation
    def shutdown(self, path: str) -> Op[None]:
        """Shut the node at ``path`` down."""
        return ops.shutdown(path)

    @operation
    def status(self, path: str, *, timeout: Optional[float] = None) -> Op[str]:
        """TEXT_STATUS of the node at ``path``.

        Like libnetgraph this waits until the control socket has input; a
        socket node whose user never answers makes it wait for ever.
        """
        return ops.status(path, timeout)

    @operation
    def msg(self, path: str, text: str, *, reply: Optional[bool] = None,
            timeout: Optional[float] = None) -> Op[Optional[Reply]]:
        """Send ``"command args"`` in ASCII to ``path``; the decoded :class:`Reply` or None.

        The target node converts the text (and the reply back to text), so
        this works for every node type.  ``reply`` forces waiting (or not);
        by default a reply is awaited when the command has one.
        """
        return ops.ascii_msg(path, text, reply, timeout)

    @operation
    def send_msg(self, path: str, cookie: int, cmd: int, args: bytes = b"", *, reply: bool = False,
                 timeout: Optional[float] = None) -> Op[Any]:
        """Send a binary message: its token, or with ``reply`` the matching reply (NgMesg)."""
        return ops.binary_msg(path, cookie, cmd, args, reply, timeout)

    def reply_to(self, event: Event, args: bytes = b"") -> None:
        """Answer a message another node sent us (e.g. a ``textstatus`` request)."""
        try:
            self.backend.NgSendReplyMsg(self.fileno(), event.path, event.msg, args)
        except NetgraphError as exc:
            raise rename(exc, "reply", event.path) from exc

    @operation
    def decode(self, msg: NgMesg, path: str) -> Op[Reply]:
        """Any received message as a :class:`Reply` (text converted by its sender)."""
        return ops.decode_reply(msg, path)

    # -- ksockets ----------------------------------------------------------------------------

    @operation
    def ksocket(self, family: FamilySpec = "inet", socktype: TypeSpec = "dgram", proto: ProtoSpec = None,
                *, hook: str = "ks", path: str = ".") -> Op[KS]:
        """Create a ksocket node on ``path``'s hook ``hook`` (default: ours, so data flows here).

        ``family``/``socktype``/``proto`` are names (``"inet6"``, ``"stream"``,
        ``"tcp"``) or :class:`~pyngraph.abi.Family` / ``SockType`` / ``Proto``
        members; ``family`` may also be a whole hook name ``"inet/dgram/udp"``.
        """
        peerhook = hookname(family, socktype, proto)
        yield from ops.mkpeer(path, "ksocket", hook, peerhook)
        node = yield from ops.info(join_path(path, hook))
        return self.ksocket_ref(node.id, hook if path in (".", ".:") else None)

    def attach_op(self, path: str) -> Op[KS]:
        """The node at ``path`` as a :class:`KSocket` (refused if it is not a ksocket node)."""
        node = yield from ops.check_ksocket(path, "ksocket")
        return self.ksocket_ref(node.id)

    ksocket_at = operation(attach_op)

    # -- data -----------------------------------------------------------------------------

    def send(self, hook: Optional[str], data: bytes) -> None:
        """Send a packet out of our hook ``hook`` (None: our only hook)."""
        self._data_channel("send").send(hook, data)

    @operation
    def recv(self, timeout: Optional[float] = None, *, hook: Optional[str] = None) -> Op[Tuple[str, bytes]]:
        """The next packet ``(hook, data)`` (only from ``hook``, if given); TimedOutError after ``timeout``."""
        return ops.recv_data(hook, timeout)

    # -- events ----------------------------------------------------------------------------

    @operation
    def next_event(self, timeout: Optional[float] = None) -> Op[Event]:
        """The next event (oldest first); TimedOutError after ``timeout`` seconds."""
        return ops.next_event(timeout)

    @iteration
    def events(self, timeout: Optional[float] = None) -> Op[Optional[Event]]:
        """Events as they arrive; ends after ``timeout`` seconds without one (never, if None)."""
        try:
            return (yield from ops.next_event(timeout))
        except TimedOutError:
            return None

    def add_handler(self, handler: Handler, *kinds: Type[Event]) -> Handler:
        """Call ``handler(event)`` for events of ``kinds`` (all events if none) during :meth:`dispatch`.

        On asyncio, what a handler returns is awaited (a coroutine function may be a handler).
        """
        self._handlers.append((handler, kinds or (Event,)))
        return handler

    def remove_handler(self, handler: Handler) -> None:
        """Stop calling ``handler``."""
        self._handlers = [(h, k) for h, k in self._handlers if h != handler]

    @operation
    def dispatch(self, timeout: Optional[float] = 0.0) -> Op[int]:
        """Run the handlers for queued events, waiting up to ``timeout`` for a first one.

        Events no handler wants stay queued for :meth:`events`.  Returns how
        many events were handled.
        """
        def wanted(event: Event) -> bool:
            return any(isinstance(event, kinds) for _, kinds in self._handlers)

        handled = 0
        wait: Optional[float] = timeout
        while True:
            try:
                event = yield from ops.next_event(wait, wanted, "dispatch")
            except TimedOutError:
                return handled
            for handler, kinds in list(self._handlers):
                if isinstance(event, kinds):
                    yield Call(handler, event)
            handled += 1
            wait = 0.0


class Descriptor:
    """One of the node's sockets, for ``select``/``selectors``: has ``fileno()``, knows its backend."""

    def __init__(self, fd: Optional[int], backend: Backend) -> None:
        self.fd = fd
        self.backend = backend

    def fileno(self) -> int:
        if self.fd is None:
            raise closed("fileno")
        return self.fd


class SockNode(Blocking, SockNodeOps[NodeRef, KSocket]):
    """A socket node with its control and (unless ``data=False``) data socket; blocking calls.

    Safe to share between threads.  Replies are matched to their request by
    token; everything else received on the control socket is an event (see
    :meth:`events`, :meth:`add_handler`).
    """

    def __init__(self, name: Optional[str] = None, *, data: bool = True) -> None:
        self.backend = get_backend()
        try:
            cs, ds = self.backend.NgMkSockNode(name, data)
        except NetgraphError as exc:
            raise rename(exc, "socket node", f"{name}:" if name else None) from exc
        self.control = Descriptor(cs, self.backend)
        self.data = Descriptor(ds, self.backend)
        self._control = ControlChannel(cs, self.backend)
        self._data = DataChannel(ds, self.backend) if ds is not None else None
        self._handlers = []
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
            self._id = self.run(ops.info(".")).id
        return self._id

    # -- the blocking runner ---------------------------------------------------------------

    def run(self, op: Op[T]) -> T:
        """Drive an operation of :mod:`.ops` to its result, blocking."""
        return drive(op, self._perform)

    _run = run

    def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return self._control.send(step)
        if isinstance(step, Claim):
            return self._control.claim(step)
        if isinstance(step, RecvData):
            return self._data_channel("recv").recv(step.timeout, step.hook)
        if isinstance(step, SendData):
            return self._data_channel("send").send(step.hook, step.data)
        return step.handler(step.event)

    def _data_channel(self, command: str) -> DataChannel:
        if self._data is None:
            raise closed(command, None, "this socket node has no data socket (data=False)")
        return self._data

    def node(self, path: str) -> NodeRef:
        """A reference to the node at ``path``."""
        return NodeRef(self, path)

    def ksocket_ref(self, node_id: int, hook: Optional[str] = None, *, bound: bool = False) -> KSocket:
        """The ksocket node ``node_id``; ``hook`` is our hook to it, if any."""
        return KSocket(self, node_id, hook, bound=bound)


__all__ = ["DataSender", "Descriptor", "Handler", "SockNode", "SockNodeOps"]
