"""pyngraph on asyncio: the :mod:`pyngraph.api` objects, their methods awaitable.

::

    async def main():
        async with AioSockNode() as sock:
            ks = await sock.ksocket("inet", "stream", "tcp", hook="ks")
            await ks.connect(("127.0.0.1", 8080), timeout=5)
            await ks.send(b"GET / HTTP/1.0\\r\\n\\r\\n")
            print(await ks.recv(timeout=5))

    asyncio.run(main())

The methods are those of the blocking API, written once over the operations
of :mod:`pyngraph.api.ops` (:mod:`pyngraph.api.runner`); here a runner drives
them with futures.  The socket node's descriptors are watched with
``loop.add_reader``; no thread is started.  Plain calls stay plain:
``sock.send``, ``sock.reply_to``, ``add_handler``.  Handlers run during
``await sock.dispatch()``; what they return is awaited.  Sending is a direct
libnetgraph call: as in C, a NGM_HASREPLY message waits until the control
socket has input.
"""

from __future__ import annotations

import asyncio
import errno
import inspect
import select
from collections import deque
from typing import Any, Awaitable, Callable, Deque, Optional, Set, Tuple, TypeVar

from .abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
from .abi.args import NodeInfo
from .api.channels import MAX_PACKET, send_data
from .api.events import AcceptEvent
from .api.failures import closed, daemon_gone, rename, timed_out
from .api.ksocket import Connection, KSocketOps
from .api.netif import EIfaceOps, EtherOps, IfaceOps
from .api.noderef import NodeOps, PathOps
from .api.ops import Call, Claim, Op, RecvData, Send, SendData, Step
from .api.router import Router
from .api.runner import AsyncClosing, Asynchronous, drive_async
from .api.socknode import SockNodeOps
from .backend import get_backend
from .errors import NetgraphError

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


class AioPathRef(Asynchronous, PathOps["AioNodeRef", "AioKSocket"]):
    """The node at ``path``, seen from an :class:`AioSockNode`; see :class:`pyngraph.api.PathRef`."""

    sock: "AioSockNode"


class AioNodeRef(AioPathRef, NodeOps["AioNodeRef", "AioKSocket"]):
    """The node at ``path``, seen from an :class:`AioSockNode`; see :class:`pyngraph.api.NodeRef`."""


class AioKSocket(AsyncClosing, KSocketOps["AioNodeRef", "AioKSocket", "AioAccepted"], AioPathRef):
    """A ksocket node (by ID), its methods awaitable; see :class:`pyngraph.api.KSocket`."""

    @classmethod
    async def attach(cls, sock: "AioSockNode", path: str) -> "AioKSocket":
        """The ksocket at ``path``; refused (EINVAL) when that node is of another type."""
        return await sock.ksocket_at(path)

    def _accepted(self, clone: "AioKSocket", event: AcceptEvent, hook: str) -> "AioAccepted":
        return AioAccepted(clone, event.address, hook, event)


class AioAccepted(AsyncClosing, Connection[AioKSocket]):
    """An accepted connection (see :class:`pyngraph.api.Accepted`); ``async with`` shuts it down."""

    def close(self) -> Awaitable[None]:
        """Shut the connection's node down."""
        return self.ksocket.close()


class AioIface(IfaceOps["AioNodeRef", "AioKSocket"], AioNodeRef):
    """An ng_iface node; see :class:`pyngraph.api.Iface`."""

    @classmethod
    async def make(cls, sock: "AioSockNode", *, hook: str = "inet", family_hook: str = "inet",
                   path: str = ".") -> "AioIface":
        """A new interface hooked by its ``family_hook`` (inet, inet6) to ``path``'s ``hook``."""
        return await sock.run(cls.making(sock, path, hook, family_hook))


class AioEIface(EIfaceOps["AioNodeRef", "AioKSocket"], AioNodeRef):
    """An ng_eiface node; see :class:`pyngraph.api.EIface`."""

    @classmethod
    async def make(cls, sock: "AioSockNode", *, hook: str = "ether", path: str = ".") -> "AioEIface":
        """A new Ethernet interface hooked by ``ether`` to ``path``'s ``hook``."""
        return await sock.run(cls.making(sock, path, hook, "ether"))


class AioEther(EtherOps["AioNodeRef", "AioKSocket"], AioNodeRef):
    """The ng_ether node of an Ethernet interface; see :class:`pyngraph.api.Ether`."""


class _AioData:
    """The data socket on the loop: packets out (plain calls) and in (awaited, by hook)."""

    def __init__(self, node: "AioSockNode", ds: int) -> None:
        self.node, self.fd = node, ds
        self._waiters: Deque[Tuple[Optional[str], "asyncio.Future[Tuple[str, bytes]]"]] = deque()
        self._kept: Deque[Tuple[str, bytes]] = deque()

    def send(self, hook: Optional[str], data: bytes) -> None:
        """Send a packet out of our hook ``hook`` (never blocks: a full queue is ENOBUFS)."""
        self.node._check("send", hook)
        send_data(self.node.backend, self.fd, hook, data)

    async def recv(self, timeout: Optional[float], hook: Optional[str]) -> Tuple[str, bytes]:
        for item in self._kept:
            if hook is None or item[0] == hook:
                self._kept.remove(item)
                return item
        self.node._check("recv", hook)
        fut: "asyncio.Future[Tuple[str, bytes]]" = self.node._future()
        waiter = (hook, fut)
        if not self._waiters:
            self.node._loop.add_reader(self.fd, self._readable)
        self._waiters.append(waiter)
        try:
            return await _wait(fut, timeout, "recv", hook)
        finally:
            self._waiters.remove(waiter)
            self.node._pending.discard(fut)
            if not self._waiters and not self.node.closed:
                self.node._loop.remove_reader(self.fd)

    def _readable(self) -> None:
        try:
            data, hook = self.node.backend.NgRecvData(self.fd, MAX_PACKET)
        except OSError as exc:
            self.node._fail(exc)
            return
        if not hook:  # the node is gone (or the daemon with it)
            self.node._fail(daemon_gone(self.node.backend, self.fd, "recv", None) or closed("recv"))
            return
        for want, fut in self._waiters:
            if (want is None or want == hook) and not fut.done():
                fut.set_result((hook, data))
                return
        self._kept.append((hook, data))


class AioSockNode(Asynchronous, SockNodeOps[AioNodeRef, AioKSocket]):
    """A socket node on the running event loop (create it inside a coroutine); see :class:`pyngraph.api.SockNode`."""

    def __init__(self, name: Optional[str] = None, *, data: bool = True) -> None:
        self._loop = asyncio.get_running_loop()
        self.backend = get_backend()
        try:
            cs, ds = self.backend.NgMkSockNode(name, data)
        except NetgraphError as exc:
            raise rename(exc, "socket node", f"{name}:" if name else None) from exc
        self.cs: Optional[int] = cs
        self._data = _AioData(self, ds) if ds is not None else None
        self._router = Router()
        self._error: Optional[OSError] = None
        self._handlers = []
        self._pending: Set["asyncio.Future[Any]"] = set()  # replies, claims and packets awaited
        try:
            self.id = self._own_id(cs)
        except NetgraphError:
            self.close()
            raise
        self._loop.add_reader(cs, self._on_control)

    def _own_id(self, cs: int) -> int:
        """Our node's ID, asked before the loop watches the socket (nobody else can answer yet)."""
        token = self.backend.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)  # waits for the reply
        while True:
            msg, path = self.backend.NgAllocRecvMsg(cs)
            if msg.is_response and msg.token == token:
                return NodeInfo.decode(msg.data).id
            self._router.route(msg, path)

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
        cs, self.cs = self.cs, None
        if cs is None:
            return
        self._fail(closed("close"))
        for fd in (self._data.fd if self._data else None, cs):
            if fd is not None:
                self._loop.remove_reader(fd)
                self.backend.close(fd)

    def _fail(self, error: OSError) -> None:
        """Stop reading; every pending and later wait fails with ``error`` (the first failure stands)."""
        if self._error is None:
            self._error = error
        for fd in (self.cs, self._data.fd if self._data else None):
            if fd is not None:
                self._loop.remove_reader(fd)
        for fut in list(self._pending):
            if not fut.done():
                fut.set_exception(self._error)

    def _check(self, command: str, path: Optional[str]) -> None:
        if self._error is not None:
            raise rename(self._error, command, path) from self._error

    def _future(self) -> "asyncio.Future[Any]":
        fut: "asyncio.Future[Any]" = self._loop.create_future()
        self._pending.add(fut)
        return fut

    def _on_control(self) -> None:
        cs = self.cs
        while cs is not None and self._error is None and _readable(cs):
            try:
                msg, path = self.backend.NgAllocRecvMsg(cs)
            except OSError as exc:  # at end of file: the node shut down, or the daemon has gone
                gone = daemon_gone(self.backend, cs, "recv", None) if exc.errno == errno.ENOTCONN else None
                self._fail(gone or exc)
                return
            self._router.route(msg, path)

    # -- the asyncio runner ----------------------------------------------------------

    async def run(self, op: Op[_R]) -> _R:
        """Drive an operation of :mod:`pyngraph.api.ops` to its result."""
        return await drive_async(op, self._perform)

    _run = run

    async def _perform(self, step: Step) -> Any:
        if isinstance(step, Send):
            return await self._send(step)
        if isinstance(step, Claim):
            return await self._claim(step)
        if isinstance(step, RecvData):
            return await self._data_channel("recv").recv(step.timeout, step.hook)
        if isinstance(step, SendData):
            return self._data_channel("send").send(step.hook, step.data)
        return await self._call(step)

    async def _send(self, step: Send) -> Any:
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

    async def _claim(self, step: Claim) -> Any:
        fut = self._future()
        handle = self._router.claim(step.match, _settle(fut), last=step.last)
        try:
            if not fut.done():
                self._check(step.command, step.path)
            return await _wait(fut, step.timeout, step.command, step.path)
        finally:
            self._router.unclaim(handle)
            self._pending.discard(fut)

    @staticmethod
    async def _call(step: Call) -> None:
        result = step.handler(step.event)
        if inspect.isawaitable(result):
            await result

    def _data_channel(self, command: str) -> _AioData:
        if self._data is None:
            raise closed(command, None, "this socket node has no data socket (data=False)")
        return self._data

    def node(self, path: str) -> AioNodeRef:
        """A reference to the node at ``path``."""
        return AioNodeRef(self, path)

    def ksocket_ref(self, node_id: int, hook: Optional[str] = None, *, bound: bool = False) -> AioKSocket:
        """The ksocket node ``node_id``; ``hook`` is our hook to it, if any."""
        return AioKSocket(self, node_id, hook, bound=bound)


__all__ = ["AioAccepted", "AioEIface", "AioEther", "AioIface", "AioKSocket", "AioNodeRef", "AioPathRef", "AioSockNode"]
