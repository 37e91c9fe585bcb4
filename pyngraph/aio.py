"""pyngraph on asyncio: the :mod:`pyngraph.api` objects with coroutine methods.

::

    async def main():
        async with AioSockNode() as sock:
            ks = await sock.ksocket("inet", "stream", "tcp", hook="ks")
            await ks.connect(("127.0.0.1", 8080), timeout=5)
            await ks.send(b"GET / HTTP/1.0\\r\\n\\r\\n")
            print(await ks.recv(timeout=5))

    asyncio.run(main())

The socket node's descriptors are watched with ``loop.add_reader``; no
thread is started.  The operations are those of :mod:`pyngraph.api.ops`,
driven here by futures.  Event handlers (:meth:`AioSockNode.add_handler`)
run on the loop as events arrive; a coroutine function handler is
scheduled as a task.  Sending is a direct libnetgraph call: as in C, a
NGM_HASREPLY message waits until the control socket has input.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import select
from collections import deque
from dataclasses import dataclass
from typing import Any, AsyncIterator, Callable, Deque, List, Optional, Set, Tuple, Type, TypeVar, Union

from .abi.args import HookList, NodeInfo, TypeInfo
from .abi.constants import Errno
from .abi.message import NgMesg
from .api import ops
from .api.channels import MAX_PACKET
from .api.events import AcceptEvent, Event
from .api.failures import closed, daemon_gone, detail_of, invalid, rename, timed_out
from .api.ksocket import Accepts, Binding, FamilySpec, ProtoSpec, TypeSpec, encode_address, hookname
from .api.noderef import id_path, join_path
from .api.replies import Reply
from .api.router import Router
from .api.sockopt import Value, decode_value, resolve_option
from .backend import get_backend
from .errors import NetgraphError, TimedOutError

Handler = Callable[[Event], Any]
_R = TypeVar("_R")


async def _wait(fut: "asyncio.Future[_R]", timeout: Optional[float], command: str, path: Optional[str]) -> _R:
    try:
        return await asyncio.wait_for(fut, timeout)
    except asyncio.TimeoutError:
        raise timed_out(command, path, timeout) from None


def _settle(fut: "asyncio.Future[_R]") -> Callable[[_R], None]:
    """A callback giving ``fut`` its result, unless it is already done (cancelled or timed out)."""
    def deliver(item: _R) -> None:
        if not fut.done():
            fut.set_result(item)
    return deliver


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


class AioSockNode:
    """A socket node on the running event loop (create it inside a coroutine)."""

    def __init__(self, name: Optional[str] = None, *, data: bool = True) -> None:
        self._loop = asyncio.get_running_loop()
        self.backend = get_backend()  # the node's sockets are served by the backend that made them
        try:
            cs, ds = self.backend.NgMkSockNode(name, data)
        except NetgraphError as exc:
            raise rename(exc, "socket node", f"{name}:" if name else None) from exc
        self.cs: Optional[int] = cs
        self.ds: Optional[int] = ds
        self._router = Router()
        self._error: Optional[OSError] = None
        self._event_waiters: List["asyncio.Future[None]"] = []
        self._handlers: List[Tuple[Handler, Tuple[Type[Event], ...]]] = []
        self._data_waiters: Deque[Tuple[Optional[str], "asyncio.Future[Tuple[str, bytes]]"]] = deque()
        self._kept: Deque[Tuple[str, bytes]] = deque()
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self._pending: Set["asyncio.Future[Any]"] = set()  # replies and claims awaited
        self._loop.add_reader(cs, self._on_control)

    async def __aenter__(self) -> "AioSockNode":
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()

    def fileno(self) -> int:
        if self.cs is None:
            raise closed("fileno")
        return self.cs

    @property
    def closed(self) -> bool:
        return self.cs is None

    def close(self) -> None:
        """Close both sockets (the node and its ksocket peers shut down); pending waits fail."""
        cs, ds, self.cs, self.ds = self.cs, self.ds, None, None
        if cs is None:
            return
        self._loop.remove_reader(cs)
        if ds is not None:
            self._loop.remove_reader(ds)
        self._fail(closed("close"))
        for fd in (ds, cs):
            if fd is not None:
                self.backend.close(fd)

    def _fail(self, error: OSError) -> None:
        self._error = error
        for fut in self._event_waiters:
            if not fut.done():
                fut.set_result(None)
        for fut in [f for _, f in self._data_waiters] + list(self._pending):
            if not fut.done():
                fut.set_exception(error)
        self._data_waiters.clear()

    # -- the control socket ----------------------------------------------------------

    def _on_control(self) -> None:
        cs = self.cs
        while cs is not None and self._error is None and _readable(cs):
            try:
                msg, path = self.backend.NgAllocRecvMsg(cs)
            except OSError as exc:  # at end of file: the node shut down, or the daemon has gone
                self._loop.remove_reader(cs)
                gone = daemon_gone(self.backend, cs, "recv", None) if exc.errno == errno.ENOTCONN else None
                self._fail(gone or exc)
                return
            event = self._router.route(msg, path)
            if event is not None:
                self._deliver(event)

    def _deliver(self, event: Event) -> None:
        handlers = [h for h, kinds in self._handlers if isinstance(event, kinds)]
        if handlers:
            self._router.events.remove(event)
            for handler in handlers:
                result = handler(event)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            return
        waiters, self._event_waiters = self._event_waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    def _check(self, command: str, path: Optional[str]) -> None:
        if self._error is not None:
            raise rename(self._error, command, path) from self._error

    async def _send(self, step: ops.Send) -> Any:
        self._check(step.command, step.path)
        token = self.backend.NgSendMsg(self.fileno(), step.path, step.cookie, step.cmd, step.args)
        if not step.reply:
            return token
        fut = self._future()
        self._router.expect(token, _settle(fut))
        try:
            return await _wait(fut, step.timeout, step.command, step.path)
        finally:
            self._router.forget(token)
            self._pending.discard(fut)

    async def _claim(self, step: ops.Claim) -> Any:
        self._check(step.command, step.path)
        fut = self._future()
        handle = self._router.claim(step.match, _settle(fut))
        try:
            return await _wait(fut, step.timeout, step.command, step.path)
        finally:
            self._router.unclaim(handle)
            self._pending.discard(fut)

    def _future(self) -> "asyncio.Future[Any]":
        fut: "asyncio.Future[Any]" = self._loop.create_future()
        self._pending.add(fut)
        return fut

    async def run(self, op: ops.Op[ops.T]) -> ops.T:
        """Drive an operation of :mod:`pyngraph.api.ops` to its result."""
        result: Any
        try:
            step = next(op)
            while True:
                try:
                    if isinstance(step, ops.Send):
                        result = await self._send(step)
                    else:
                        result = await self._claim(step)
                except NetgraphError as exc:
                    step = op.throw(exc)
                else:
                    step = op.send(result)
        except StopIteration as stop:
            value: ops.T = stop.value
            return value

    # -- nodes -----------------------------------------------------------------------

    def node(self, path: str) -> "AioNodeRef":
        return AioNodeRef(self, path)

    async def info(self, path: str = ".") -> NodeInfo:
        return await self.run(ops.info(path))

    async def hooks(self, path: str = ".") -> HookList:
        return await self.run(ops.hooks(path))

    async def list_nodes(self) -> List[NodeInfo]:
        return await self.run(ops.list_nodes(".", named_only=False))

    async def list_names(self) -> List[NodeInfo]:
        return await self.run(ops.list_nodes(".", named_only=True))

    async def list_types(self) -> List[TypeInfo]:
        return await self.run(ops.list_types("."))

    async def mkpeer(self, path: str, node_type: str, ourhook: str, peerhook: str) -> "AioNodeRef":
        await self.run(ops.mkpeer(path, node_type, ourhook, peerhook))
        return AioNodeRef(self, join_path(path, ourhook))

    async def connect(self, path: str, peer: Union[str, "AioPathRef"], ourhook: str, peerhook: str) -> None:
        if isinstance(peer, AioPathRef):
            await self.run(ops.connect_by_id(path, peer.path, ourhook, peerhook))
        else:
            await self.run(ops.connect(path, peer, ourhook, peerhook))

    async def name(self, path: str, name: str) -> None:
        await self.run(ops.name(path, name))

    async def rmhook(self, path: str, hook: str) -> None:
        await self.run(ops.rmhook(path, hook))

    async def shutdown(self, path: str) -> None:
        await self.run(ops.shutdown(path))

    async def status(self, path: str, *, timeout: Optional[float] = None) -> str:
        return await self.run(ops.status(path, timeout))

    async def msg(self, path: str, text: str, *, reply: Optional[bool] = None,
                  timeout: Optional[float] = None) -> Optional[Reply]:
        return await self.run(ops.ascii_msg(path, text, reply, timeout))

    async def send_msg(self, path: str, cookie: int, cmd: int, args: bytes = b"", *, reply: bool = False,
                       timeout: Optional[float] = None) -> Any:
        command = f"cookie {cookie} cmd {cmd}"
        if reply:
            return await self.run(ops.request(path, cookie, cmd, args, command=command, timeout=timeout))
        return await self.run(ops.send(path, cookie, cmd, args, command=command))

    def reply_to(self, event: Event, args: bytes = b"") -> None:
        """Answer a message another node sent us (e.g. a ``textstatus`` request)."""
        try:
            self.backend.NgSendReplyMsg(self.fileno(), event.path, event.msg, args)
        except NetgraphError as exc:
            raise rename(exc, "reply", event.path) from exc

    async def decode(self, msg: NgMesg, path: str) -> Reply:
        """Any received message as a :class:`Reply` (text converted by its sender)."""
        return await self.run(ops.decode_reply(msg, path))

    async def ksocket(self, family: FamilySpec = "inet", socktype: TypeSpec = "dgram", proto: ProtoSpec = None,
                      *, hook: str = "ks", path: str = ".") -> "AioKSocket":
        peerhook = hookname(family, socktype, proto)
        node = await (await self.mkpeer(path, "ksocket", hook, peerhook)).info()
        return AioKSocket(self, node.id, hook if path in (".", ".:") else None)

    # -- data ------------------------------------------------------------------------

    def _data_fd(self, command: str, hook: Optional[str]) -> int:
        if self.ds is None:
            raise closed(command, hook) if self.closed else \
                closed(command, hook, "this socket node has no data socket (data=False)")
        return self.ds

    def send(self, hook: Optional[str], data: bytes) -> None:
        """Send a packet out of our hook ``hook`` (never blocks: a full queue is ENOBUFS)."""
        ds = self._data_fd("send", hook)
        try:
            self.backend.NgSendData(ds, hook, data)
        except NetgraphError as exc:
            raise rename(exc, "send", hook) from exc

    async def recv(self, timeout: Optional[float] = None, *, hook: Optional[str] = None) -> Tuple[str, bytes]:
        """The next packet ``(hook, data)`` (only from ``hook``, if given)."""
        for item in self._kept:
            if hook is None or item[0] == hook:
                self._kept.remove(item)
                return item
        ds = self._data_fd("recv", hook)
        fut: "asyncio.Future[Tuple[str, bytes]]" = self._loop.create_future()
        waiter = (hook, fut)
        if not self._data_waiters:
            self._loop.add_reader(ds, self._on_data)
        self._data_waiters.append(waiter)
        try:
            return await _wait(fut, timeout, "recv", hook)
        finally:
            if waiter in self._data_waiters:
                self._data_waiters.remove(waiter)
            if not self._data_waiters and self.ds is not None:
                self._loop.remove_reader(self.ds)

    def _on_data(self) -> None:
        assert self.ds is not None
        try:
            data, hook = self.backend.NgRecvData(self.ds, MAX_PACKET)
        except OSError as exc:
            self._loop.remove_reader(self.ds)
            self._fail(exc)
            return
        if not hook:  # the node is gone (or the daemon with it)
            self._loop.remove_reader(self.ds)
            self._fail(daemon_gone(self.backend, self.ds, "recv", None) or closed("recv"))
            return
        for want, fut in self._data_waiters:
            if (want is None or want == hook) and not fut.done():
                fut.set_result((hook, data))
                return
        self._kept.append((hook, data))

    # -- events ----------------------------------------------------------------------

    async def next_event(self, timeout: Optional[float] = None) -> Event:
        """The next queued event; TimedOutError after ``timeout`` seconds."""
        deadline = None if timeout is None else self._loop.time() + timeout
        while True:
            event = self._router.take_event()
            if event is not None:
                return event
            self._check("event", ".")
            fut: "asyncio.Future[None]" = self._loop.create_future()
            self._event_waiters.append(fut)
            remaining = None if deadline is None else max(deadline - self._loop.time(), 0.0)
            await _wait(fut, remaining, "event", ".")

    async def events(self, timeout: Optional[float] = None) -> AsyncIterator[Event]:
        """Events as they arrive; ends after ``timeout`` seconds without one (never, if None)."""
        while True:
            try:
                yield await self.next_event(timeout)
            except TimedOutError:
                return

    def add_handler(self, handler: Handler, *kinds: Type[Event]) -> Handler:
        """Call ``handler(event)`` on the loop for each arriving event of ``kinds`` (all if none)."""
        self._handlers.append((handler, kinds or (Event,)))
        for event in list(self._router.events):
            if isinstance(event, kinds or (Event,)):
                self._deliver(event)
        return handler

    def remove_handler(self, handler: Handler) -> None:
        self._handlers = [(h, k) for h, k in self._handlers if h != handler]


@dataclass
class AioAccepted:
    """An accepted connection (see :class:`pyngraph.api.Accepted`); ``async with`` shuts it down."""

    ksocket: "AioKSocket"
    peer: Any
    hook: str
    event: AcceptEvent

    async def __aenter__(self) -> "AioAccepted":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ksocket.close()


class AioPathRef:
    """The node at ``path``, seen from an :class:`AioSockNode`: every generic message but CONNECT."""

    def __init__(self, sock: AioSockNode, path: str) -> None:
        self.sock = sock
        self.path = path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    async def info(self) -> NodeInfo:
        return await self.sock.info(self.path)

    async def hooks(self) -> HookList:
        return await self.sock.hooks(self.path)

    async def resolve(self) -> "AioNodeRef":
        return AioNodeRef(self.sock, id_path((await self.info()).id))

    async def mkpeer(self, node_type: str, ourhook: str, peerhook: str) -> "AioNodeRef":
        return await self.sock.mkpeer(self.path, node_type, ourhook, peerhook)

    async def name(self, name: str) -> None:
        await self.sock.name(self.path, name)

    async def rmhook(self, hook: str) -> None:
        await self.sock.rmhook(self.path, hook)

    async def shutdown(self) -> None:
        await self.sock.shutdown(self.path)

    async def status(self, timeout: Optional[float] = None) -> str:
        return await self.sock.status(self.path, timeout=timeout)

    async def msg(self, text: str, *, reply: Optional[bool] = None, timeout: Optional[float] = None) -> Optional[Reply]:
        return await self.sock.msg(self.path, text, reply=reply, timeout=timeout)

    async def send_msg(self, cookie: int, cmd: int, args: bytes = b"", *, reply: bool = False,
                       timeout: Optional[float] = None) -> Any:
        return await self.sock.send_msg(self.path, cookie, cmd, args, reply=reply, timeout=timeout)

    async def ksocket(self) -> "AioKSocket":
        return await AioKSocket.attach(self.sock, self.path)


class AioNodeRef(AioPathRef):
    """The node at ``path``, seen from an :class:`AioSockNode`; see :class:`pyngraph.api.NodeRef`."""

    async def connect(self, peer: Union[str, AioPathRef], ourhook: str, peerhook: str) -> None:
        await self.sock.connect(self.path, peer, ourhook, peerhook)


class AioKSocket(AioPathRef):
    """A ksocket node (by ID) with coroutine methods; see :class:`pyngraph.api.KSocket`."""

    def __init__(self, sock: AioSockNode, node_id: int, hook: Optional[str] = None, *,
                 bound: bool = False) -> None:
        super().__init__(sock, id_path(node_id))
        self.id = node_id
        self.hook = hook
        self._binding = Binding(bound)
        self._accepts = Accepts()

    @property
    def node(self) -> AioNodeRef:
        """This node as an :class:`AioNodeRef`, for NGM_CONNECT."""
        return AioNodeRef(self.sock, self.path)

    @classmethod
    async def attach(cls, sock: AioSockNode, path: str) -> "AioKSocket":
        """The ksocket at ``path``; refused (EINVAL) when that node is of another type."""
        node = await sock.run(ops.check_ksocket(path, "ksocket"))
        return cls(sock, node.id)

    async def __aenter__(self) -> "AioKSocket":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self.shutdown()
        except NetgraphError as exc:
            if exc.fbsd_errno != Errno.ENOENT:
                raise

    async def bind(self, address: Any) -> None:
        await self.sock.run(ops.ks_bind(self.path, encode_address(address, "bind", self.path)))
        self._binding.bound = True

    async def listen(self, backlog: int = 128) -> None:
        await self.sock.run(ops.ks_listen(self.path, backlog))
        await self._request_accepts()

    async def _request_accepts(self) -> None:
        if not self._accepts.armed:
            self._accepts.add(await self.sock.run(ops.ks_accept_request(self.path)))

    async def connect(self, address: Any, timeout: Optional[float] = None) -> None:  # the ksocket message
        await self.sock.run(ops.ks_connect(self.path, self.id, encode_address(address, "connect", self.path), timeout))
        self._binding.bound = True

    async def accept_event(self, timeout: Optional[float] = None) -> AcceptEvent:
        await self._request_accepts()
        event: AcceptEvent = await self.sock.run(ops.ks_accept_wait(self.path, self._accepts.mine, timeout))
        self._accepts.armed = False
        return event

    async def accept(self, hook: Optional[str] = None, *, to: Optional[AioPathRef] = None,
                     timeout: Optional[float] = None) -> "AioAccepted":
        """The next accepted connection, hooked to ``to`` (default: our socket node) as ``hook``."""
        return await self._hook_clone(await self.accept_event(timeout), hook, to)

    async def connections(self, hook_prefix: str = "conn", *, to: Optional[AioPathRef] = None,
                          timeout: Optional[float] = None) -> AsyncIterator["AioAccepted"]:
        """Accepted connections as they come; ends after ``timeout`` seconds without one."""
        while True:
            try:
                event = await self.accept_event(timeout)
            except TimedOutError:
                return
            yield await self._hook_clone(event, f"{hook_prefix}{event.clone_id:x}", to)

    async def _hook_clone(self, event: AcceptEvent, hook: Optional[str], to: Optional[AioPathRef]) -> "AioAccepted":
        hook = hook or f"conn{event.clone_id:x}"
        await self.sock.run(ops.connect_by_id(to.path if to is not None else ".", id_path(event.clone_id), hook, hook))
        clone = AioKSocket(self.sock, event.clone_id, hook if to is None else None, bound=True)
        return AioAccepted(clone, event.address, hook, event)

    async def getname(self) -> Any:
        return (await self.sock.run(ops.ks_getname(self.path, peer=False))).address

    async def getpeername(self) -> Any:
        return (await self.sock.run(ops.ks_getname(self.path, peer=True))).address

    async def setopt(self, option: Any, value: Value) -> None:
        level, name, raw = self._binding.option(option, value, self.path)
        await self.sock.run(ops.ks_setopt(self.path, level, name, raw))

    async def getopt(self, option: Any, *, raw: bool = False) -> Any:
        try:
            opt = resolve_option(option)
        except NetgraphError as exc:
            raise rename(exc, "getopt", self.path, detail=detail_of(exc)) from exc
        value = await self.sock.run(ops.ks_getopt(self.path, opt.level, opt.name))
        return value if raw else decode_value(opt, value)

    async def send(self, data: bytes) -> None:
        self.sock.send(self._our_hook("send"), data)

    async def recv(self, timeout: Optional[float] = None) -> bytes:
        return (await self.sock.recv(timeout, hook=self._our_hook("recv")))[1]

    def _our_hook(self, command: str) -> str:
        if self.hook is None:
            raise invalid("this ksocket is not hooked to our socket node", command, self.path)
        return self.hook


__all__ = ["AioAccepted", "AioKSocket", "AioNodeRef", "AioPathRef", "AioSockNode"]
