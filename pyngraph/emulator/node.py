"""The node-type base class, hooks, tags, and the kernel services node code uses.

A node type is one module in ``pyngraph/emulator/nodes/`` defining one
subclass of :class:`Node` and exporting it as ``NODE_TYPE``; the class names
its declaration (:mod:`pyngraph.abi.nodetypes`), from which come
``type_name``, ``cookie``, ``cmdlist`` and the hook names the kernel lets
:meth:`Node.newhook` see (docs/NODETYPES.md walks through ``hub``)::

    class HubNode(Node):
        declaration = ng_hub.TYPE

        def rcvmsg(self, item): return run_command(self, _MESSAGES, item)
        def rcvdata(self, hook, data, tags): ...

The kernel creates one instance per node; its attributes are the node's
private data.  netgraph's type methods are the methods below; every one is
optional (the defaults do what FreeBSD does when a type leaves it NULL).

**Threading.** Every method, and every callback registered through the
services below, runs inside the kernel: on the kernel's loop thread, or on a
caller's thread that holds the kernel lock while the loop thread waits (an
in-process request runs on the caller's thread, :meth:`EventLoop.call`).  One
thing runs in the kernel at a time, so node code needs no locks; it must
never block (use :meth:`Kernel.watch_fd` for descriptors).

**Errors.** A method refuses by raising ``NetgraphError.from_fbsd(Errno.X)``
or by returning the FreeBSD errno number; ``0``/``None`` is success.  The
value reaches the original sender (the ``sendto()`` result of a socket node
user) exactly as netgraph's handler return value does.

**Services** (methods on :class:`Node`, only from inside the kernel):

* ``send_data(hook, data, tags=())`` — data out of one of our hooks to the
  peer (``NG_FWD_ITEM_HOOK``/``NG_SEND_DATA``); returns the peer's errno.
* ``respond(item, data=b"")`` — the reply to the message ``item`` carried
  (``NG_RESPOND_MSG``), queued to its return address.
* ``send_msg(dest_id, msg)`` — any message to a node ID, queued, with our ID
  as return address (asynchronous ksocket replies, echo's reflection).
* ``forward_msg(hook, item)`` — pass a message item on through a hook,
  keeping its return address (tee's flow messages).
* ``queue_call(fn, *args)`` — run ``fn(*args)`` later as a queued item on this
  node (``ng_send_fn`` with queueing); dropped if the node has gone.
* ``rmnode_self()`` / ``rmhook_self(hook)`` — remove this node / one hook.
* ``self.kernel.make_node(type_name)`` — create a node (ksocket's accept clones).
* ``self.kernel.watch_fd(fd, on_readable, on_writable)`` /
  ``self.kernel.unwatch_fd(fd)`` — call back when a real descriptor is ready.
* ``self.kernel.pause_source()`` / ``resume_source(token)`` — backpressure:
  stop reading the descriptor whose callback is running until a full
  receiver drains (see the socket type).
"""

from __future__ import annotations

from typing import (
    TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Mapping, NamedTuple, Optional, Sequence, TypeVar, Union,
)

from ..abi.constants import Errno
from ..abi.message import NgMesg
from ..abi.nodetype import NgType
from ..ascii.cmdlists import CmdList, cmdlist
from ..errors import NetgraphError

if TYPE_CHECKING:
    from .kernel import Kernel


def fbsd_error(errno: int, detail: str = "", *, path: Optional[str] = None,
               command: Optional[str] = None) -> NetgraphError:
    """Shorthand for ``NetgraphError.from_fbsd``."""
    return NetgraphError.from_fbsd(errno, detail or None, path=path, command=command)


def check(result: Any) -> None:
    """Raise for a node method's non-zero errno result."""
    if result:
        raise fbsd_error(int(result))


class Tag(NamedTuple):
    """One mbuf tag carried with a packet between emulated nodes."""

    cookie: int
    type: int
    payload: bytes


Tags = Sequence[Tag]
Result = Union[int, None]


class Hook:
    """One end of a link; ``peer`` is the other end (None once broken)."""

    __slots__ = ("name", "node", "peer", "private", "valid", "force_queue")

    def __init__(self, node: "Node", name: str) -> None:
        self.name = name
        self.node = node
        self.peer: Optional[Hook] = None
        self.private: Any = None  # per-hook data of the node type (NG_HOOK_SET_PRIVATE)
        self.valid = True
        self.force_queue = False  # NG_HOOK_FORCE_QUEUE: data to this hook is queued

    def __repr__(self) -> str:
        return f"<hook {self.name!r} of node [{self.node.id:x}]>"


class MsgItem(NamedTuple):
    """A control message in flight: ``msg``, its return address and the hook it came in on."""

    msg: NgMesg
    retaddr: int
    lasthook: Optional[Hook] = None


NodeT = TypeVar("NodeT", bound="Node")


def run_command(node: NodeT, table: Mapping[int, Callable[[NodeT, MsgItem], Result]], item: MsgItem) -> Result:
    """A node type's rcvmsg switch: the handler ``table`` has for the command, EINVAL for any other.

    A message of another type's cookie is EINVAL too (each type's ``default:``).
    """
    if item.msg.typecookie != node.cookie:
        raise fbsd_error(Errno.EINVAL, f"{node.type_name}: unknown cookie {item.msg.typecookie}")
    handler = table.get(item.msg.cmd)
    if handler is None:
        raise fbsd_error(Errno.EINVAL, f"{node.type_name}: unknown command {item.msg.cmd}")
    return handler(node, item)


def argument(node: "Node", item: MsgItem, size: int) -> bytes:
    """The message's argument, which must be exactly ``size`` bytes (EINVAL otherwise)."""
    arg = bytes(item.msg.data)
    if len(arg) != size:
        raise fbsd_error(Errno.EINVAL, f"{node.type_name}: argument of {len(arg)} bytes, {size} expected")
    return arg


class Node:
    """Base of every node type; an instance is one node (and its private data)."""

    declaration: ClassVar[NgType]
    """The type's declaration; ``type_name``, ``cookie`` and ``cmdlist`` come from it."""
    type_name: ClassVar[str] = ""
    cookie: ClassVar[int] = 0
    cmdlist: ClassVar[CmdList] = CmdList("")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("declaration")
        if declared is not None:
            cls.type_name, cls.cookie, cls.cmdlist = declared.name, declared.cookie, cmdlist(declared)

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        self.kernel = kernel
        self.id = node_id
        self.name = ""
        self.hooks: Dict[str, Hook] = {}  # insertion order: oldest first
        self.valid = True
        self.closing = False

    # --- netgraph's type methods (override as needed) ------------------------------

    def constructor(self) -> Result:
        """A node was made by MKPEER or :meth:`Kernel.make_node`; refuse to veto it."""
        return None

    def rcvmsg(self, item: MsgItem) -> Result:
        """A control message that the base does not handle (no handler: dropped, success)."""
        return None

    def newhook(self, hook: Hook, name: str) -> Result:
        """A hook is about to be added (it is not yet in ``self.hooks``); veto by erroring."""
        return None

    def connect(self, hook: Hook) -> Result:
        """Both ends of a new link exist; an error destroys the hook."""
        return None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        """A packet arrived on ``hook`` (no method: freed)."""
        return None

    def disconnect(self, hook: Hook) -> None:
        """``hook`` has been removed (``numhooks`` already excludes it)."""

    def close(self) -> None:
        """First step of removal, before any hook goes (tee splices here)."""

    def shutdown(self) -> None:
        """Last step of removal: free private resources (close descriptors)."""

    # --- bookkeeping --------------------------------------------------------------

    @property
    def numhooks(self) -> int:
        return len(self.hooks)

    def hooks_newest_first(self) -> List[Hook]:
        """The hooks in FreeBSD's list order (new hooks go to the head)."""
        return list(reversed(self.hooks.values()))

    @property
    def path(self) -> str:
        """The node's absolute address as netgraph prints it: ``[1a]:``."""
        return f"[{self.id:x}]:"

    def __repr__(self) -> str:
        return f"<{self.type_name} node [{self.id:x}] {self.name!r}>"

    # --- kernel services ----------------------------------------------------------

    def send_data(self, hook: Hook, data: bytes, tags: Tags = ()) -> int:
        """Send a packet out of ``hook``; the peer's errno (ENETDOWN if the link is gone)."""
        return self.kernel.send_data(hook, data, tags)

    def respond(self, item: MsgItem, data: bytes = b"") -> int:
        """Queue the reply to ``item.msg`` (same token/cookie/cmd/cmdstr, NGF_RESP)."""
        return self.kernel.queue_msg(item.retaddr, item.msg.reply(data), self.id)

    def send_msg(self, dest_id: int, msg: NgMesg) -> int:
        """Queue ``msg`` to node ``dest_id`` with us as return address (EINVAL: no such node)."""
        return self.kernel.queue_msg(dest_id, msg, self.id)

    def forward_msg(self, hook: Hook, item: MsgItem) -> int:
        """Pass a message item on through ``hook`` to its peer, keeping its return address."""
        return self.kernel.forward_msg(hook, item)

    def queue_call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` later inside the kernel, if this node is still valid."""
        self.kernel.queue_call(self, fn, *args)

    def rmnode_self(self) -> None:
        """Remove this node: invalid at once, the removal itself runs queued."""
        self.kernel.rmnode_self(self)

    def rmhook_self(self, hook: Hook) -> None:
        """Destroy one of our hooks (the peer is told, its disconnect runs)."""
        self.kernel.destroy_hook(hook)


def errno_of(exc: BaseException) -> int:
    """The FreeBSD errno a node method's exception stands for."""
    if isinstance(exc, NetgraphError) and exc.fbsd_errno is not None:
        return int(exc.fbsd_errno)
    return int(Errno.EINVAL)

