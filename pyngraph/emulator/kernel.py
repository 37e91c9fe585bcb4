"""The emulated netgraph kernel: nodes, IDs, names, hooks, the item queue, delivery.

Everything here runs under the kernel lock: on the loop thread, or on a
user's thread that enters the kernel directly (:meth:`~.loop.EventLoop.call`,
the in-process transport), as FreeBSD's netgraph runs in the context of the
thread that calls it.  The thread, the lock and the descriptors are the
event loop's (:mod:`.loop`, the base class); between events the loop runs
the item queue kept here.  Node types are installed by whoever makes the
kernel (:mod:`.inprocess`, the daemon).

Delivery follows netgraph: data goes directly to the peer's ``rcvdata``
(queued when the peer hook forces queueing or the call stack is deep; a
user's send that would be queued alone runs at once, :meth:`Kernel.send_user_data`);
messages between nodes are queued; a message from a socket node's user is
applied at once and its errno returned (:meth:`deliver_msg`).
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable, Deque, Dict, Optional, Set, Tuple, Type

from ..abi.constants import NG_NODESIZ, NGM_GENERIC_COOKIE, NGF_RESP, Errno
from ..errors import NetgraphError
from .flow import FlowControl
from .generic import generic_msg
from .loop import EventLoop, Watch, log
from .node import Hook, MsgItem, Node, Tags, check, errno_of, fbsd_error
from .path import decode_id
from .sockbuf import env_options

__all__ = ["Kernel", "Lanes", "Watch", "check", "fbsd_error"]

_ID_MASK = 0xFFFFFFFF
_MAX_DEPTH = 32  # direct data calls nested deeper than this are queued (netgraph's stack check)
# Direct data calls under one outermost call; then nested ones are queued (fan-out loops).
# A node's own fan-out (depth 1, as ng_hub's into many hooks) stays direct, as on FreeBSD:
# it is linear; only nesting multiplies.
_DIRECT_BUDGET = 256
_MAX_QUEUED_DATA = 4096  # net.graph.maxdata: queued packets; beyond it a packet is dropped (ENOBUFS)
# lossless (not FreeBSD): the producer of queued packets is paused above the high mark, resumed at the low
_QUEUED_HIGH, _QUEUED_LOW = _MAX_QUEUED_DATA * 3 // 4, _MAX_QUEUED_DATA // 4
_RXBUF = 65536 + 512  # > transport.MAX_FRAME: any datagram a user or ksocket sends
_DRAIN_LIMIT = 100_000  # items one drain may run; bounds livelocked loops (echo <-> echo)
_SLICE = 0.0002  # seconds of queued work the loop runs before it looks at the descriptors again

Item = Tuple[Optional["Node"], Callable[..., Any], Tuple[Any, ...], Optional["Watch"]]


class Lanes:
    """The item queue: one FIFO per lane, the lanes served in turn.

    A lane is whatever :meth:`Kernel.lane_of` says the work belongs to (the
    daemon: one per client, so one client's storm never queues ahead of
    another's request); the plain kernel has a single lane, a plain FIFO.
    """

    __slots__ = ("_fifos", "_turns", "count")

    def __init__(self) -> None:
        self._fifos: Dict[Any, Deque[Item]] = {}
        self._turns: Deque[Any] = deque()  # lanes with items, the next to serve first
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def append(self, item: Item, lane: Any = None) -> None:
        fifo = self._fifos.get(lane)
        if fifo is None:
            fifo = self._fifos[lane] = deque()
            self._turns.append(lane)
        fifo.append(item)
        self.count += 1

    def pop(self) -> Item:
        """The next item of the lane whose turn it is (the lane then goes to the back)."""
        lane = self._turns[0]
        fifo = self._fifos[lane]
        item = fifo.popleft()
        self.count -= 1
        if fifo:
            self._turns.rotate(-1)
        else:
            self._turns.popleft()
            del self._fifos[lane]
        return item

    def pop_lane(self, lane: Any) -> Optional[Item]:
        """The next item of one lane (None: it has none)."""
        fifo = self._fifos.get(lane)
        if fifo is None:
            return None
        item = fifo.popleft()
        self.count -= 1
        if not fifo:
            del self._fifos[lane]
            self._turns.remove(lane)
        return item


class Kernel(EventLoop):
    """One netgraph: its nodes, names, types and hooks, and the queue of work between them."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: Dict[int, Node] = {}
        self.names: Dict[str, Node] = {}
        self.types: Dict[str, Type[Node]] = {}
        self.channels: Set[Any] = set()  # open client channels (channel.Channel)
        self.refusal: Optional[NetgraphError] = None  # the error of the last message refused (its reason)
        self._last_id = 0
        self._queue = Lanes()
        self._depth = 0
        self._direct = 0  # direct data calls since the outermost one began
        self._queued_data = FlowControl(  # packets waiting in the queue
            _MAX_QUEUED_DATA, high=_QUEUED_HIGH, low=_QUEUED_LOW, pause=self.pause_source, resume=self.resume_source)
        self.queue_drops = 0  # packets refused because the queue was full (each logged at DEBUG)
        self.rxbuf = bytearray(_RXBUF)  # the loop thread's receive buffer (one datagram)
        # net.graph.recvspace and net.graph.maxdgram of new socket nodes' sockets; lossless (not
        # FreeBSD): a full data socket pauses its producers instead of dropping
        # (PYNGRAPH_RECVSPACE, PYNGRAPH_MAXDGRAM, PYNGRAPH_LOSSLESS)
        self.recvspace, self.maxdgram, self.lossless = env_options()

    def shutdown(self) -> None:
        """Remove every node and close every client channel (the kernel stops)."""
        for node in list(self.nodes.values()):
            self.rmnode(node)
        self.drain()
        for channel in list(self.channels):
            channel.close()

    # --- the item queue ---------------------------------------------------------------

    def queue_call(self, node: Optional[Node], fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)``; dropped if ``node`` is given and no longer valid when it runs."""
        source = self.current_source
        self._queue.append((node, fn, args, source), self.lane_of(source))

    def pending(self) -> bool:
        """Whether queued items wait."""
        return bool(self._queue)

    def lane_of(self, source: Optional[Watch]) -> Any:
        """The lane of the queue that work coming from ``source`` waits in (here: one for all)."""
        return None

    def drain(self, everything: bool = False) -> None:
        """Run queued items until none is left (bounded, see ``_DRAIN_LIMIT``).

        Inside a piece of work that has a source (a request, a descriptor's
        callback) only that source's lane is drained, unless ``everything``:
        what the work queued is done, and other lanes' work never delays it.
        """
        source = self.current_source
        lane = None if source is None else self.lane_of(source)
        one_lane = source is not None and not everything
        queue = self._queue
        try:
            for _ in range(_DRAIN_LIMIT):
                if not queue:
                    return
                item = queue.pop_lane(lane) if one_lane else queue.pop()
                if item is None:
                    return
                self._run_item(item)
        finally:
            self.current_source = source

    def run_slice(self) -> None:
        """The loop's share of queued work: lanes in turn, for about ``_SLICE`` seconds."""
        queue = self._queue
        end = time.monotonic() + _SLICE
        try:
            while queue:
                self._run_item(queue.pop())
                if time.monotonic() >= end:
                    return
        finally:
            self.current_source = None

    def _run_item(self, item: Item) -> None:
        node, fn, args, source = item
        if node is not None and not node.valid:
            if fn == self._rcvdata_queued:
                self._queued_data.remove(1)
            return
        self.current_source = source
        try:
            fn(*args)
        except Exception:
            self.bug("queued item %r failed", fn)

    # --- types and nodes ----------------------------------------------------------------

    def register_type(self, cls: Type[Node]) -> None:
        """Install a node type (EINVAL without a declaration, EEXIST if the name is taken)."""
        if getattr(cls, "declaration", None) is None:
            raise fbsd_error(Errno.EINVAL, f"{cls.__name__} declares no node type (declaration = NgType(...))")
        if cls.type_name in self.types:
            raise fbsd_error(Errno.EEXIST, f"type {cls.type_name!r} already installed")
        self.types[cls.type_name] = cls

    def make_node(self, type_name: str, for_node: Optional[Node] = None) -> Node:
        """Create a node of ``type_name`` and run its constructor (ENXIO: no such type).

        ``for_node``: the node on whose behalf the kernel makes it (an accepted
        connection's clone), whose owner then owns it too.
        """
        node = self.make_node_common(type_name, for_node)
        try:
            check(node.constructor())
        except BaseException:
            self._forget(node)
            raise
        return node

    def make_node_common(self, type_name: str, for_node: Optional[Node] = None) -> Node:
        """Create a node without running the type's constructor (ng_socket's attach)."""
        cls = self.types.get(type_name)
        if cls is None:
            raise fbsd_error(Errno.ENXIO, f"no node type {type_name!r}")
        node = cls(self, self._alloc_id())
        self.nodes[node.id] = node
        return node

    def _alloc_id(self) -> int:
        node_id = self._last_id
        while True:
            node_id = (node_id + 1) & _ID_MASK
            if node_id not in (0, _ID_MASK) and node_id not in self.nodes:
                self._last_id = node_id
                return node_id

    def _forget(self, node: Node) -> None:
        node.valid = False
        self.nodes.pop(node.id, None)
        if node.name and self.names.get(node.name) is node:
            del self.names[node.name]

    def check_access(self, node: Node, path: str) -> None:
        """Refuse (EPERM) a user's path that reaches a node the user may not touch; anyone may here."""

    def visible(self, node: Node) -> bool:
        """Whether the user whose request runs may see ``node`` in a list; everyone here."""
        return True

    def node_by_id(self, node_id: int) -> Optional[Node]:
        node = self.nodes.get(node_id)
        return node if node is not None and node.valid else None

    def node_by_name(self, name: str) -> Optional[Node]:
        node = self.names.get(name)
        return node if node is not None and node.valid else None

    def name_node(self, node: Node, name: str) -> None:
        """Give ``node`` a global name (netgraph's rules: EINVAL, EADDRINUSE)."""
        if not name or len(name.encode("latin-1", "replace")) >= NG_NODESIZ or any(c in name for c in ".:\0"):
            raise fbsd_error(Errno.EINVAL, f"bad node name {name!r}")
        if decode_id(name):
            raise fbsd_error(Errno.EINVAL, f"node name {name!r} looks like an ID")
        if self.node_by_name(name) is not None:
            # Also for the node's own name: FreeBSD's ng_name_node (PR 241954).
            raise fbsd_error(Errno.EADDRINUSE, f"name {name!r} in use")
        if node.name and self.names.get(node.name) is node:
            del self.names[node.name]
        node.name = name
        self.names[name] = node

    def rmnode_self(self, node: Node) -> None:
        """Make ``node`` invalid now and queue its removal (``ng_rmnode_self``)."""
        if node.closing or not node.valid:
            return
        node.valid = False
        self.queue_call(None, self.rmnode, node)

    def rmnode(self, node: Node) -> None:
        """Remove a node: close, destroy every hook, shutdown, forget (``ng_rmnode``)."""
        if node.closing:
            return
        node.closing = True
        node.valid = False
        try:
            node.close()
        except Exception:
            self.bug("close of %r failed", node)
        for hook in node.hooks_newest_first():
            self.destroy_hook(hook)
        try:
            node.shutdown()
        except Exception:
            self.bug("shutdown of %r failed", node)
        self._forget(node)

    # --- hooks --------------------------------------------------------------------------

    def add_hook(self, node: Node, name: str) -> Hook:
        """Add hook ``name`` on ``node`` (EEXIST; a name the type does not declare; its newhook may veto)."""
        if name in node.hooks:
            raise fbsd_error(Errno.EEXIST, f"node {node.path} already has a hook {name!r}")
        rules = node.declaration.hooks
        if not rules.accepts(name):
            raise fbsd_error(rules.refusal, f"{node.type_name}: no hook {name!r} ({rules.describe()})")
        hook = Hook(node, name)
        check(node.newhook(hook, name))
        if name in node.hooks:  # the type added one itself: still a duplicate
            raise fbsd_error(Errno.EEXIST, f"node {node.path} already has a hook {name!r}")
        node.hooks[name] = hook
        return hook

    def link(self, hook: Hook, peer: Hook, order: Tuple[Hook, Hook]) -> None:
        """Join two new hooks, then run the types' connect methods in ``order``.

        MKPEER connects the requester's hook first, CONNECT the peer's; an
        error destroys the hook whose connect method refused.
        """
        hook.peer, peer.peer = peer, hook
        for end in order:
            if not end.valid:
                continue
            try:
                check(end.node.connect(end))
            except BaseException:
                self.destroy_hook(end)
                raise

    def destroy_hook(self, hook: Hook) -> None:
        """Break a hook: the peer hook is destroyed by a queued item, this node's disconnect runs."""
        if not hook.valid:
            return
        hook.valid = False
        peer = hook.peer
        if peer is not None:
            hook.peer = peer.peer = None
            self.queue_call(None, self.destroy_hook, peer)
        node = hook.node
        if node.hooks.get(hook.name) is hook:
            del node.hooks[hook.name]
            try:
                node.disconnect(hook)
            except Exception:
                self.bug("disconnect of %r failed", hook)

    def bypass(self, hook1: Hook, hook2: Hook) -> None:
        """Splice the peers of two hooks of one node directly together (``ng_bypass``).

        The peers get no disconnect or connect call; the two hooks then go quietly.
        """
        peer1, peer2 = hook1.peer, hook2.peer
        if peer1 is None or peer2 is None:
            return
        peer1.peer, peer2.peer = peer2, peer1
        hook1.peer = hook2.peer = None
        self.destroy_hook(hook1)
        self.destroy_hook(hook2)

    # --- data and messages ----------------------------------------------------------------

    def send_data(self, hook: Hook, data: bytes, tags: Tags = ()) -> int:
        """Deliver a packet to the peer of ``hook``; its errno (ENETDOWN: no link)."""
        peer = hook.peer
        if not hook.valid or peer is None or not peer.valid or not peer.node.valid:
            return Errno.ENETDOWN
        if self._depth == 0:
            self._direct = 0
        if (peer.force_queue or self._depth >= _MAX_DEPTH
                or (self._direct >= _DIRECT_BUDGET and self._depth > 1)):
            if not self._queued_data.admit(1):
                self.queue_drops += 1
                log.debug("%s: a packet for hook %r dropped: %d queued packets (net.graph.maxdata), ENOBUFS",
                          peer.node.path, peer.name, _MAX_QUEUED_DATA)
                return Errno.ENOBUFS  # as FreeBSD when its data items run out
            self._queued_data.add(1, hold_back=self.lossless)
            self.queue_call(peer.node, self._rcvdata_queued, peer, data, tags)
            return 0
        self._direct += 1
        return self._rcvdata(peer, data, tags)

    def send_user_data(self, hook: Hook, data: bytes) -> int:
        """A user's data send (``ngd_send``): :meth:`send_data`, the last thing the user's request does.

        On a user's thread in :meth:`call` with nothing queued, a packet for a
        queueing hook runs at once: the drain that ends the call would run it
        next.  As for a queued packet, the receiver's errno is not returned.
        """
        peer = hook.peer
        if (self._holder is not None and self._depth == 0 and not self._queue and peer is not None
                and peer.force_queue and hook.valid and peer.valid and peer.node.valid):
            self._rcvdata(peer, data, ())
            return 0
        return self.send_data(hook, data)

    def _rcvdata_queued(self, hook: Hook, data: bytes, tags: Tags) -> int:
        self._queued_data.remove(1)
        return self._rcvdata(hook, data, tags)

    def _rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> int:
        if not hook.valid:
            return Errno.ENETDOWN
        self._depth += 1
        try:
            return int(hook.node.rcvdata(hook, data, tags) or 0)
        except Exception as exc:
            if not isinstance(exc, NetgraphError):
                self.bug("rcvdata of %r failed", hook)
            return errno_of(exc)
        finally:
            self._depth -= 1

    def deliver_msg(self, node: Node, item: MsgItem) -> int:
        """Apply a message to ``node`` now; the handler's FreeBSD errno (0: success)."""
        if not node.valid:
            return Errno.ENOENT
        msg = item.msg
        try:
            if msg.typecookie == NGM_GENERIC_COOKIE and not msg.flags & NGF_RESP:
                result = generic_msg(self, node, item)
            else:
                result = node.rcvmsg(item)
            return int(result) if result else 0
        except Exception as exc:
            if not isinstance(exc, NetgraphError):
                self.bug("message to %r failed", node)
            self.refusal = exc if isinstance(exc, NetgraphError) else None
            return errno_of(exc)

    def queue_msg(self, dest_id: int, msg: Any, retaddr: int, lasthook: Optional[Hook] = None) -> int:
        """Queue a message to node ``dest_id`` (EINVAL and dropped if there is none)."""
        node = self.nodes.get(dest_id)
        if node is None or not node.valid:
            return Errno.EINVAL
        source = self.current_source
        self._queue.append((node, self.deliver_msg, (node, MsgItem(msg, retaddr, lasthook)), source),
                           self.lane_of(source))
        return 0

    def forward_msg(self, hook: Hook, item: MsgItem) -> int:
        """Queue a message item to the peer of ``hook``, keeping its return address."""
        peer = hook.peer
        if not hook.valid or peer is None or not peer.valid or not peer.node.valid:
            return Errno.ENETDOWN
        self.queue_call(peer.node, self.deliver_msg, peer.node, MsgItem(item.msg, item.retaddr, peer))
        return 0
