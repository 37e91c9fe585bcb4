"""The blocking control and data channels of a socket node, safe to share between threads.

Control: one thread at a time reads the control socket (the "reader"); what
it reads goes through the :class:`~.router.Router`, then every waiting
thread re-checks its own condition.  Sends hold the same lock, so nobody
consumes the reply of a NGM_HASREPLY message while libnetgraph is still
waiting in ``poll()`` for it to arrive.
"""

from __future__ import annotations

import errno
import os
import select
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, List, Optional, Tuple, TypeVar, Union

from ..backend.protocol import Backend
from ..errors import NetgraphError
from .failures import closed, daemon_gone, rename, timed_out
from .ops import Claim, Send
from .router import Received, Router

T = TypeVar("T")

#: Room for the largest packet a ksocket forwards (IP_MAXPACKET).
MAX_PACKET = 65536


def send_data(backend: Backend, ds: int, hook: Optional[str], data: bytes) -> None:
    """NgSendData, its failure named after our hook."""
    try:
        backend.NgSendData(ds, hook, data)
    except NetgraphError as exc:
        detail = f"our socket node has no hook {hook!r}" if exc.errno == errno.EHOSTUNREACH and hook else None
        raise rename(exc, "send", hook, detail=detail) from exc


class Waker:
    """A pipe whose read end wakes a ``select()`` when the channel closes under it."""

    def __init__(self) -> None:
        self._fds: Optional[Tuple[int, int]] = os.pipe()

    def fileno(self) -> int:
        assert self._fds is not None
        return self._fds[0]

    def beside(self, fd: int) -> List[Union[int, "Waker"]]:
        """What a ``select()`` this waker interrupts watches: ``fd`` and the waker."""
        return [fd, self]

    def wake(self) -> None:
        if self._fds is not None:
            os.write(self._fds[1], b"x")

    def close(self) -> None:
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)
            self._fds = None


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + max(timeout, 0.0)


def _remaining(deadline: Optional[float]) -> Optional[float]:
    return None if deadline is None else max(deadline - time.monotonic(), 0.0)


class ControlChannel:
    """The control socket: sends, token-matched replies, claims and the events queue."""

    def __init__(self, cs: int, backend: Backend) -> None:
        self.fd = cs
        self.backend = backend  # the backend that made the socket, which serves it
        self.router = Router()
        self._cond = threading.Condition()
        self._reading = False
        self._error: Optional[OSError] = None
        self._waker = Waker()  # close() interrupts the reader's select()

    # -- steps -----------------------------------------------------------------------

    def send(self, step: Send) -> Any:
        """Perform a :class:`Send`: the token, or the matched ``(reply, sender)``."""
        box: List[Received] = []
        with self._cond:
            self._check(step.command, step.path)
            token = self.backend.NgSendMsg(self.fd, step.path, step.cookie, step.cmd, step.args)
            if not step.reply:
                return token
            self.router.expect(token, box.append)
        try:
            return self.wait(lambda: box[0] if box else None, step.timeout, step.command, step.path)
        finally:
            with self._cond:
                self.router.forget(token)

    def claim(self, step: Claim) -> Any:
        """Perform a :class:`Claim`: the first matching event, waiting up to its timeout."""
        box: List[Any] = []
        with self._cond:
            handle = self.router.claim(step.match, box.append, last=step.last)
        try:
            return self.wait(lambda: box[0] if box else None, step.timeout, step.command, step.path)
        finally:
            with self._cond:
                self.router.unclaim(handle)

    # -- waiting ---------------------------------------------------------------------

    def wait(self, take: Callable[[], Optional[T]], timeout: Optional[float], command: str,
             path: Optional[str]) -> T:
        """Read and route messages until ``take()`` returns something (or the timeout passes)."""
        deadline = _deadline(timeout)
        last_look = False
        with self._cond:
            while True:
                found = take()
                if found is not None:
                    return found
                self._check(command, path)
                remaining = _remaining(deadline)
                if last_look or (remaining == 0.0 and self._reading):
                    raise timed_out(command, path, timeout)
                if self._reading:
                    self._cond.wait(remaining)
                    continue
                self._reading = True
                try:
                    self._read(remaining)
                finally:
                    self._reading = False
                    self._cond.notify_all()
                    if self._closed:
                        self._waker.close()
                last_look = remaining == 0.0

    def _read(self, timeout: Optional[float]) -> None:
        """Called with the lock held: wait (lock released) until readable, then route all input."""
        error: Optional[BaseException] = None
        self._cond.release()
        try:
            ready = self.fd in select.select(self._waker.beside(self.fd), [], [], timeout)[0]
        except (OSError, ValueError) as exc:  # closed under us
            ready, error = False, exc
        finally:
            self._cond.acquire()
        if error is not None:
            self._fail(error)
        while ready and self._error is None:
            try:
                msg, path = self.backend.NgAllocRecvMsg(self.fd)
            except OSError as exc:  # at end of file: the node shut down, or the daemon has gone
                gone = daemon_gone(self.backend, self.fd, "recv", None) if exc.errno == errno.ENOTCONN else None
                self._fail(gone or exc)
                return
            self.router.route(msg, path)
            try:
                ready = bool(select.select([self.fd], [], [], 0)[0])
            except (OSError, ValueError) as exc:
                self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:  # the first failure stands (a close() explains what follows it)
            self._error = exc if isinstance(exc, OSError) else closed("recv")

    def _check(self, command: str, path: Optional[str]) -> None:
        if self._error is not None:
            raise rename(self._error, command, path) from self._error

    @property
    def _closed(self) -> bool:
        return isinstance(self._error, NetgraphError) and self._error.command == "close"

    def close(self) -> None:
        """Mark the channel closed; waiting threads (the reader too) fail with ENOTCONN."""
        with self._cond:
            self._error = closed("close")
            self._waker.wake()
            self._cond.notify_all()
            if not self._reading:  # else the reader closes the waker when it leaves
                self._waker.close()


class DataChannel:
    """The data socket: packets out of our hooks and in, optionally filtered by hook."""

    def __init__(self, ds: int, backend: Backend) -> None:
        self.fd = ds
        self.backend = backend
        self._lock = threading.Lock()
        self._kept: Deque[Tuple[str, bytes]] = deque()
        self._closed = False
        self._waker = Waker()

    def send(self, hook: Optional[str], data: bytes) -> None:
        """Send ``data`` out of our hook ``hook`` (None: the node's only hook)."""
        if self._closed:
            raise closed("send", hook)
        send_data(self.backend, self.fd, hook, data)

    def recv(self, timeout: Optional[float], hook: Optional[str]) -> Tuple[str, bytes]:
        """The next packet ``(hook, data)`` (from ``hook`` only, if given); b"" is a ksocket's EOF."""
        deadline = _deadline(timeout)
        if not self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            raise timed_out("recv", hook, timeout)
        try:
            for item in self._kept:
                if hook is None or item[0] == hook:
                    self._kept.remove(item)
                    return item
            while True:
                if self._closed:
                    raise closed("recv", hook)
                try:
                    ready = select.select(self._waker.beside(self.fd), [], [], _remaining(deadline))[0]
                except (OSError, ValueError) as exc:
                    raise closed("recv", hook) from exc
                if self._closed:  # woken by close()
                    raise closed("recv", hook)
                if not ready:
                    raise timed_out("recv", hook, timeout)
                try:
                    data, arrived = self.backend.NgRecvData(self.fd, MAX_PACKET)
                except NetgraphError as exc:
                    raise (closed("recv", hook) if self._closed else rename(exc, "recv", hook)) from exc
                if not arrived:
                    self._closed = True
                    raise daemon_gone(self.backend, self.fd, "recv", hook) or closed("recv", hook)
                if hook is None or arrived == hook:
                    return arrived, data
                self._kept.append((arrived, data))
        finally:
            if self._closed:
                self._waker.close()
            self._lock.release()

    def close(self) -> None:
        """Mark the channel closed; a thread in :meth:`recv` fails with ENOTCONN."""
        self._closed = True
        self._waker.wake()
        if self._lock.acquire(blocking=False):  # else the reader closes the waker when it leaves
            self._waker.close()
            self._lock.release()


__all__ = ["ControlChannel", "DataChannel", "MAX_PACKET", "Waker", "send_data"]
