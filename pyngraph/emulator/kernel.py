"""The emulated netgraph kernel: nodes, IDs, names, hooks, the item queue, one thread.

Everything here runs under the kernel lock (:attr:`Kernel.lock`): on the
kernel thread (:meth:`Kernel.run`), or on a user's thread that enters the
kernel directly (:meth:`Kernel.call`, the in-process transport), as
FreeBSD's netgraph runs in the context of the thread that calls it.  The
thread-safe entry points are :meth:`Kernel.start`, :meth:`Kernel.stop`,
:meth:`Kernel.request_stop`, :meth:`Kernel.call` and :meth:`Kernel.accept_channel`.  The thread waits in
one epoll loop for client channels, watched descriptors (ksocket's real
sockets) and wake-ups, and holds the lock only while it handles them; between
events it drains the item queue.

Delivery follows netgraph: data goes directly to the peer's ``rcvdata``
(queued when the peer hook forces queueing or the call stack is deep);
messages between nodes are queued; a message from a socket node's user is
applied at once and its errno returned (:meth:`deliver_msg`).
"""

from __future__ import annotations

import logging
import select
import selectors
import socket
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple, Type

from ..abi.constants import NG_NODESIZ, NGM_GENERIC_COOKIE, NGF_RESP, Errno
from ..errors import NetgraphError
from .node import Hook, MsgItem, Node, Tags, errno_of
from .sockbuf import env_options

get_ident = threading.get_ident

log = logging.getLogger("pyngraph.emulator")

_ID_MASK = 0xFFFFFFFF
_MAX_DEPTH = 32  # direct data calls nested deeper than this are queued (netgraph's stack check)
# Direct data calls under one outermost call; then nested ones are queued (fan-out loops).
# A node's own fan-out (depth 1, as ng_hub's into many hooks) stays direct, as on FreeBSD:
# it is linear; only nesting multiplies.
_DIRECT_BUDGET = 256
_MAX_QUEUED_DATA = 4096  # net.graph.maxdata: queued packets; beyond it a packet is dropped (ENOBUFS)
_RXBUF = 65536 + 512  # > transport.MAX_FRAME: any datagram a user or ksocket sends
_DRAIN_LIMIT = 100_000  # items one drain may run; bounds livelocked loops (echo <-> echo)
_SLICE = 0.0002  # seconds of queued work the loop runs before it looks at the descriptors again

Callback = Callable[[], Any]


class _Poller:
    """The descriptors the loop waits for: epoll where there is one, else ``selectors``.

    :meth:`set` takes ``selectors.EVENT_READ``/``EVENT_WRITE`` masks.
    """

    def __init__(self) -> None:
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._selector = None if self._epoll is not None else selectors.DefaultSelector()
        self.events: Dict[int, int] = {}
        if self._epoll is not None:  # an error or hang-up wakes both kinds of callback
            self.READABLE = select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP
            self.WRITABLE = select.EPOLLOUT | select.EPOLLERR | select.EPOLLHUP
        else:
            self.READABLE, self.WRITABLE = selectors.EVENT_READ, selectors.EVENT_WRITE

    @staticmethod
    def _native(events: int) -> int:
        return ((select.EPOLLIN if events & selectors.EVENT_READ else 0)
                | (select.EPOLLOUT if events & selectors.EVENT_WRITE else 0))

    def set(self, fd: int, events: int) -> None:
        """Wait for ``events`` on ``fd`` (0: not at all)."""
        old = self.events.get(fd, 0)
        if events == old:
            return
        if self._epoll is not None:
            try:
                if not events:
                    self._epoll.unregister(fd)
                elif old:
                    self._epoll.modify(fd, self._native(events))
                else:
                    self._epoll.register(fd, self._native(events))
            except FileNotFoundError:  # closed behind our back (epoll forgot it): start afresh
                if events:
                    self._epoll.register(fd, self._native(events))
            except FileExistsError:
                self._epoll.modify(fd, self._native(events))
        else:
            assert self._selector is not None
            if not events:
                self._selector.unregister(fd)
            elif old:
                self._selector.modify(fd, events)
            else:
                self._selector.register(fd, events)
        if events:
            self.events[fd] = events
        else:
            del self.events[fd]

    def forget(self, fd: int) -> None:
        """Stop waiting for ``fd`` (which may already be closed)."""
        if self.events.pop(fd, 0):
            try:
                if self._epoll is not None:
                    self._epoll.unregister(fd)
                else:
                    assert self._selector is not None
                    self._selector.unregister(fd)
            except (KeyError, ValueError, OSError):
                pass

    def poll(self, timeout: Optional[float]) -> List[Tuple[int, int]]:
        """Wait up to ``timeout`` seconds (None: no limit); ``(fd, native mask)`` pairs.

        Test the masks with :data:`READABLE`/:data:`WRITABLE` of the poller.
        """
        if self._epoll is None:
            assert self._selector is not None
            return [(key.fd, mask) for key, mask in self._selector.select(timeout)]
        return self._epoll.poll(-1 if timeout is None else timeout)

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        else:
            assert self._selector is not None
            self._selector.close()


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


class Watch:
    """A descriptor in the kernel's event loop and its callbacks."""

    __slots__ = ("fd", "on_readable", "on_writable", "paused")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.on_readable: Optional[Callback] = None
        self.on_writable: Optional[Callback] = None
        self.paused = 0  # > 0: reading suspended by backpressure

    def events(self) -> int:
        mask = 0
        if self.on_readable is not None and not self.paused:
            mask |= selectors.EVENT_READ
        if self.on_writable is not None:
            mask |= selectors.EVENT_WRITE
        return mask


def fbsd_error(errno: int, detail: str = "", *, path: Optional[str] = None,
               command: Optional[str] = None) -> NetgraphError:
    """Shorthand for ``NetgraphError.from_fbsd``."""
    return NetgraphError.from_fbsd(errno, detail or None, path=path, command=command)


def check(result: Any) -> None:
    """Raise for a node method's non-zero errno result."""
    if result:
        raise fbsd_error(int(result))


class Kernel:
    """One netgraph: its nodes, names, types and the thread that runs them."""

    def __init__(self) -> None:
        self.nodes: Dict[int, Node] = {}
        self.names: Dict[str, Node] = {}
        self.types: Dict[str, Type[Node]] = {}
        self.channels: Set[Any] = set()  # open client channels (transport.ServerChannel)
        self.current_source: Optional[Watch] = None
        self.refusal: Optional[NetgraphError] = None  # the error of the last message refused (its reason)
        self._last_id = 0
        self._queue = Lanes()
        self._depth = 0
        self._direct = 0  # direct data calls since the outermost one began
        self._queued_data = 0  # packets waiting in the queue
        self._poller = _Poller()
        self._watches: Dict[int, Watch] = {}
        self.lock = threading.RLock()  # held by whichever thread runs kernel code
        self._holder: Optional[int] = None  # that thread, while it holds the lock
        self._inbox: Deque[Callback] = deque()
        self._inbox_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread: Optional[threading.Thread] = None
        self._ident: Optional[int] = None  # the thread inside run()
        self._stopping = False
        self._retired: Set[int] = set()  # fds unwatched since the last poll (their numbers may be reused)
        self.errors = 0  # exceptions caught where none should be (bugs); see bug()
        self.rxbuf = bytearray(_RXBUF)  # the kernel thread's receive buffer (one datagram)
        # net.graph.recvspace and net.graph.maxdgram of new socket nodes' sockets; lossless (not
        # FreeBSD): a full data socket pauses its producers instead of dropping
        # (PYNGRAPH_RECVSPACE, PYNGRAPH_MAXDGRAM, PYNGRAPH_LOSSLESS)
        self.recvspace, self.maxdgram, self.lossless = env_options()
        self.watch_fd(self._wake_r.fileno(), self._on_wake)
        from .nodes import register_all

        register_all(self)

    # --- thread, loop and thread-safe entry points -----------------------------------

    def start(self) -> None:
        """Start the kernel thread (daemon thread named ``pyngraph-kernel``)."""
        self._thread = threading.Thread(target=self.run, name="pyngraph-kernel", daemon=True)
        self._thread.start()
        self._ident = self._thread.ident

    def stop(self) -> None:
        """Shut every node down, stop the thread and release every descriptor."""
        if self._thread is not None and self._thread.is_alive():
            self.call(self._shutdown_all)
            self.request_stop()
            self._thread.join()
            self._ident = None
        else:
            self._shutdown_all()
        self._poller.close()
        self._wake_r.close()
        self._wake_w.close()

    def request_stop(self) -> None:
        """Make :meth:`run` return soon (safe from a signal handler)."""
        self._stopping = True
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    def _shutdown_all(self) -> None:
        for node in list(self.nodes.values()):
            self.rmnode(node)
        self.drain()
        for channel in list(self.channels):
            channel.close()

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` inside the kernel and return its result (thread-safe).

        From another thread, ``fn`` runs on the calling thread under the kernel
        lock, the kernel thread being idle meanwhile; the work it queued is
        drained before the call returns.
        """
        ident = get_ident()
        if ident == self._ident or ident == self._holder or self._ident is None:
            return fn(*args)
        with self.lock:
            self._holder = ident
            try:
                return fn(*args)
            finally:
                try:
                    if self._queue:  # what the call queued runs before it returns, or raises
                        self.drain()
                finally:
                    self._holder = None
                    if self._queue:  # the drain stopped at its limit: the thread goes on
                        self._wake()

    def accept_channel(self, sock: socket.socket) -> None:
        """Adopt a client channel (thread-safe): one per user socket (see transport)."""
        from .transport import ServerChannel

        self._post(lambda: ServerChannel(self, sock))

    def _post(self, job: Callback) -> None:
        with self._inbox_lock:
            self._inbox.append(job)
        self._wake()

    def _wake(self) -> None:
        try:
            self._wake_w.send(b"\0")
        except BlockingIOError:
            pass  # a wake-up is already pending

    def _on_wake(self) -> None:
        try:
            self._wake_r.recv(4096)
        except BlockingIOError:
            pass
        with self._inbox_lock:
            jobs = list(self._inbox)
            self._inbox.clear()
        for job in jobs:
            try:
                job()
            except Exception:  # the jobs after it still run (a Kernel.call() waits on one)
                self.bug("posted job %r failed", job)

    def run(self) -> None:
        """The kernel thread: wait for descriptors, run their callbacks, drain the queue.

        The kernel lock is held from the end of each wait to the start of the next.
        """
        poll = self._poller.poll
        readable, writable = self._poller.READABLE, self._poller.WRITABLE
        watches = self._watches
        lock = self.lock
        self._ident = get_ident()
        while not self._stopping:
            ready = poll(0 if self._queue else None)
            with lock:
                retired = self._retired
                for fd, mask in ready:
                    watch = watches.get(fd)
                    if watch is None or fd in retired:  # unwatched since the poll: maybe reused
                        continue
                    if mask & writable and watch.on_writable is not None:
                        self._dispatch(watch, watch.on_writable)
                    if (mask & readable and watch.on_readable is not None
                            and not watch.paused and watches.get(fd) is watch):
                        self._dispatch(watch, watch.on_readable)
                retired.clear()  # level-triggered: a real event comes again on the next poll
                if self._queue:
                    self._run_slice()

    def bug(self, what: str, *args: Any) -> None:
        """Count and log an exception caught where none should occur (a bug, not bad input)."""
        self.errors += 1
        log.exception("emulated kernel: " + what, *args)

    def _dispatch(self, watch: Watch, callback: Callback) -> None:
        self.current_source = watch
        try:
            callback()
        except Exception:
            self.bug("callback for fd %d failed", watch.fd)
        finally:
            self.current_source = None

    # --- descriptors ----------------------------------------------------------------

    def watch_fd(self, fd: int, on_readable: Optional[Callback] = None,
                 on_writable: Optional[Callback] = None) -> None:
        """Call ``on_readable()``/``on_writable()`` on the kernel thread while ``fd`` is ready.

        Calling again replaces both callbacks (pass None to stop one kind).
        The callbacks must not block; the descriptor stays the caller's to close
        (call :meth:`unwatch_fd` first).
        """
        watch = self._watches.get(fd)
        if watch is None:
            watch = self._watches[fd] = Watch(fd)
        watch.on_readable, watch.on_writable = on_readable, on_writable
        self._update(watch)

    def unwatch_fd(self, fd: int) -> None:
        """Forget ``fd`` (no error if it was not watched)."""
        watch = self._watches.pop(fd, None)
        if watch is not None:
            watch.on_readable = watch.on_writable = None
            self._poller.forget(fd)
            self._retired.add(fd)

    def watch_of(self, fd: int) -> Optional[Watch]:
        """The :class:`Watch` of a watched descriptor (None: not watched)."""
        return self._watches.get(fd)

    def _update(self, watch: Watch) -> None:
        if self._watches.get(watch.fd) is watch:
            self._poller.set(watch.fd, watch.events())

    def pause_source(self) -> Optional[Watch]:
        """Stop reading the descriptor whose callback produced the current work.

        Returns a token for :meth:`resume_source` (None when the work has no
        such source).  A full receiver uses this so that senders are held back
        instead of packets being dropped.
        """
        watch = self.current_source
        if watch is not None:
            watch.paused += 1
            self._update(watch)
        return watch

    def resume_source(self, watch: Watch) -> None:
        """Undo one :meth:`pause_source`."""
        watch.paused -= 1
        self._update(watch)

    # --- the item queue ---------------------------------------------------------------

    def queue_call(self, node: Optional[Node], fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)``; dropped if ``node`` is given and no longer valid when it runs."""
        source = self.current_source
        self._queue.append((node, fn, args, source), self.lane_of(source))

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

    def _run_slice(self) -> None:
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
                self._queued_data -= 1
            return
        self.current_source = source
        try:
            fn(*args)
        except Exception:
            self.bug("queued item %r failed", fn)

    # --- types and nodes ----------------------------------------------------------------

    def register_type(self, cls: Type[Node]) -> None:
        """Install a node type (EEXIST if the name is taken)."""
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
        from .path import decode_id

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
        """Add hook ``name`` on ``node`` (EEXIST; the type's newhook may veto)."""
        if name in node.hooks:
            raise fbsd_error(Errno.EEXIST, f"node {node.path} already has a hook {name!r}")
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
            if self._queued_data >= _MAX_QUEUED_DATA:
                return Errno.ENOBUFS  # as FreeBSD when its data items run out
            self._queued_data += 1
            self.queue_call(peer.node, self._rcvdata_queued, peer, data, tags)
            return 0
        self._direct += 1
        return self._rcvdata(peer, data, tags)

    def _rcvdata_queued(self, hook: Hook, data: bytes, tags: Tags) -> int:
        self._queued_data -= 1
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
                result = _generic_msg()(self, node, item)
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


def _generic_msg() -> Callable[..., Any]:
    """generic.generic_msg, imported on first use (generic imports this module)."""
    global _generic
    if _generic is None:
        from .generic import generic_msg

        _generic = generic_msg
    return _generic


_generic: Optional[Callable[..., Any]] = None
_default: Optional[Kernel] = None
_default_lock = threading.Lock()


def default_kernel() -> Kernel:
    """The process's in-process kernel, started on first use and stopped at exit."""
    global _default
    with _default_lock:
        if _default is None:
            import atexit

            _default = Kernel()
            _default.start()
            atexit.register(_stop_default)
        return _default


def _stop_default() -> None:
    global _default
    with _default_lock:
        kernel, _default = _default, None
    if kernel is not None:
        kernel.stop()

