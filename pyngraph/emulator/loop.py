"""The emulated kernel's event loop: one thread waiting on ``selectors`` for its descriptors.

:class:`EventLoop` owns the kernel thread, the kernel lock and the
descriptors it waits for (:meth:`~EventLoop.watch_fd`).  Other threads reach
it in two ways: :meth:`~EventLoop.call` runs a function on the calling
thread under the lock (the in-process transport), and
:meth:`~EventLoop.call_soon_threadsafe` hands a job to the loop thread
through a wake-up socket.  A descriptor's reading can be held back
(:meth:`~EventLoop.pause_source`) while a full receiver drains, the
backpressure :mod:`.flow` applies.

A reader in the kernel's process that waits for its descriptor runs the
loop itself (:meth:`~EventLoop.serve_until`): the descriptors' callbacks then
run on its thread, and the loop thread keeps away from the descriptors while
such a reader is inside and for :data:`LINGER` seconds after it returned
with a packet (it is expected back soon), so one packet never needs two
threads and the hand-over of the GIL between them.  A reader that found
nothing hands the descriptors back at once: it is going to wait elsewhere
(in ``select()``, say), and what arrives then is the loop thread's.

The loop knows nothing of netgraph: the kernel (a subclass) says whether it
has queued work (:meth:`~EventLoop.pending`), runs a share of it between
waits (:meth:`~EventLoop.run_slice`) and drains it after a call
(:meth:`~EventLoop.drain`).
"""

from __future__ import annotations

import logging
import math
import select as select_module
import selectors
import socket
import threading
import time
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

log = logging.getLogger("pyngraph.emulator")

get_ident = threading.get_ident

monotonic = time.monotonic

Callback = Callable[[], Any]
Ready = List[Tuple[selectors.SelectorKey, int]]

LINGER = 0.0005  # seconds the loop thread stays away after a reader returned with a packet
_POLLIN = select_module.POLLIN


class Watch:
    """A descriptor in the loop and its callbacks."""

    __slots__ = ("fd", "on_readable", "on_writable", "paused", "registered")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.on_readable: Optional[Callback] = None
        self.on_writable: Optional[Callback] = None
        self.paused = 0  # > 0: reading suspended by backpressure
        self.registered = 0  # the events the selector waits for

    def events(self) -> int:
        mask = 0
        if self.on_readable is not None and not self.paused:
            mask |= selectors.EVENT_READ
        if self.on_writable is not None:
            mask |= selectors.EVENT_WRITE
        return mask


class EventLoop:
    """The thread, the lock and the descriptors of one emulated kernel."""

    def __init__(self) -> None:
        self.current_source: Optional[Watch] = None  # the descriptor whose callback runs
        self.errors = 0  # exceptions caught where none should be (bugs); see bug()
        self.lock = threading.RLock()  # held by whichever thread runs kernel code
        self._holder: Optional[int] = None  # that thread, while it holds the lock in call()
        self._selector = selectors.DefaultSelector()
        self._watches: Dict[int, Watch] = {}
        self._inbox: Deque[Callback] = deque()
        self._inbox_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread: Optional[threading.Thread] = None
        self._ident: Optional[int] = None  # the thread inside run()
        self._stopping = False
        # readers inside serve_until(), and until when the loop thread keeps away from the
        # descriptors (0: it does not; inf: while a reader is inside)
        self._readers = 0
        self._led_until = 0.0
        self._resume = threading.Event()  # wakes the loop thread that keeps away
        self.watch_fd(self._wake_r.fileno(), self._on_wake)

    # --- what the kernel provides ----------------------------------------------------

    def pending(self) -> bool:
        """Whether queued work waits (the loop then does not sleep)."""
        return False

    def run_slice(self) -> None:
        """Run a share of the queued work between two waits."""

    def drain(self, everything: bool = False) -> None:
        """Run the queued work a call left before it returns."""

    def shutdown(self) -> None:
        """Release what the kernel holds, before the loop closes (under the lock)."""

    # --- the thread and the thread-safe entry points ---------------------------------

    def start(self) -> None:
        """Start the loop thread (daemon thread named ``pyngraph-kernel``)."""
        self._thread = threading.Thread(target=self.run, name="pyngraph-kernel", daemon=True)
        self._thread.start()
        self._ident = self._thread.ident

    def stop(self) -> None:
        """:meth:`shutdown`, stop the thread and release every descriptor."""
        if self._thread is not None and self._thread.is_alive():
            self.call(self.shutdown)
            self.request_stop()
            self._thread.join()
            self._ident = None
        else:
            self.shutdown()
        with self.lock:  # a reader may be serving the loop (serve_until)
            self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def request_stop(self) -> None:
        """Make :meth:`run` return soon (safe from a signal handler)."""
        self._stopping = True
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` inside the kernel and return its result (thread-safe).

        From another thread, ``fn`` runs on the calling thread under the
        lock, the loop thread being idle meanwhile; the work it queued is
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
                    if self.pending():  # what the call queued runs before it returns, or raises
                        self.drain()
                finally:
                    self._holder = None
                    if self.pending():  # the drain stopped at its limit: the thread goes on
                        self._wake()

    def call_soon_threadsafe(self, job: Callback) -> None:
        """Run ``job()`` on the loop thread soon (from any thread)."""
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
            except Exception:  # the jobs after it still run
                self.bug("posted job %r failed", job)

    def run(self) -> None:
        """The loop thread: wait for descriptors, run their callbacks, run queued work.

        The lock is held from the end of each wait to the start of the next.
        While a reader serves the loop (:meth:`serve_until`) the thread waits
        instead, and leaves what is ready to that reader.
        """
        select = self._selector.select
        lock = self.lock
        self._ident = get_ident()
        while not self._stopping:
            if self._led_until and self._keep_away():
                continue
            ready = select(0 if self.pending() else None)
            with lock:
                if self._led_until:
                    continue  # a reader took over meanwhile: what is ready is its to run
                self._run_ready(ready)
                if self.pending():
                    self.run_slice()

    def _keep_away(self) -> bool:
        """Wait while a reader serves the loop; False once the loop thread is to wait for descriptors."""
        resume = self._resume
        resume.clear()
        led_until = self._led_until
        if not led_until:
            return False
        now = monotonic()
        if led_until <= now:
            with self.lock:
                if self._led_until == led_until:
                    self._led_until = 0.0
            return True
        resume.wait(LINGER if led_until == math.inf else led_until - now)
        return True

    def _run_ready(self, ready: Ready) -> None:
        """Run the callbacks of what ``select()`` found ready (under the lock).

        A callback runs only while its :class:`Watch` is still the one
        watching the descriptor (its number may have been reused since the wait).
        """
        watches = self._watches
        read, write = selectors.EVENT_READ, selectors.EVENT_WRITE
        for key, mask in ready:
            watch: Watch = key.data
            if watches.get(watch.fd) is not watch:
                continue
            if mask & write and watch.on_writable is not None:
                self._dispatch(watch, watch.on_writable)
            if (mask & read and watch.on_readable is not None
                    and not watch.paused and watches.get(watch.fd) is watch):
                self._dispatch(watch, watch.on_readable)

    def hold_off(self) -> None:
        """A reader that took a datagram: the loop thread keeps away :data:`LINGER` seconds more.

        The reader runs the loop itself when its descriptor runs dry
        (:meth:`serve_until`), so what it reads never needs the loop thread.
        """
        if self._led_until != math.inf:
            self._led_until = monotonic() + LINGER

    def reader_poll(self, fd: int) -> Callable[[int], List[Tuple[int, int]]]:
        """``poll()`` of a reader's descriptor ``fd`` and of this loop's descriptors (for :meth:`serve_until`)."""
        poller = select_module.poll()
        poller.register(fd, _POLLIN)
        poller.register(self._selector.fileno(), _POLLIN)
        return poller.poll

    def serve_until(self, fd: int, timeout: float, poll: Optional[Callable[[int], List[Tuple[int, int]]]] = None
                    ) -> bool:
        """Run the loop on the calling thread until ``fd`` is readable; whether it is.

        For a reader in the kernel's process waiting for its descriptor: what
        is ready runs here, under the lock, at least once (``timeout`` 0: only
        that), then the thread waits for ``fd`` or a watched descriptor, up to
        ``timeout`` seconds (``poll``: :meth:`reader_poll` of ``fd``, made if
        not given).  Meanwhile the loop thread keeps away, and for
        :data:`LINGER` seconds after a return with ``fd`` readable.
        """
        ident = get_ident()
        if self._ident is None or self._stopping or ident == self._ident or ident == self._holder:
            return bool(select_module.select([fd], [], [], timeout)[0])  # no loop thread to relieve
        if poll is None:
            poll = self.reader_poll(fd)
        lock, select = self.lock, self._selector.select
        end = monotonic() + timeout
        readable = False
        lock.acquire()
        try:
            self._readers += 1
            self._led_until = math.inf
            while not self._stopping:
                self._holder = ident
                try:
                    self._run_ready(select(0))
                    if self.pending():
                        self.run_slice()
                finally:
                    self._holder = None
                left = end - monotonic()
                if self.pending() or left <= 0:
                    events = poll(0)
                else:
                    lock.release()
                    try:
                        events = poll(math.ceil(left * 1000))
                    finally:
                        lock.acquire()
                for ready_fd, _ in events:
                    if ready_fd == fd:
                        readable = True
                        return True
                if left <= 0:
                    return False
            return False
        finally:
            self._readers -= 1
            if not self._readers:
                # with a packet the reader is back soon; without, it waits elsewhere: the loop thread's turn
                self._led_until = monotonic() + LINGER if readable else 0.0
            lock.release()
            if not self._led_until:
                self._resume.set()

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
        """Call ``on_readable()``/``on_writable()`` on the loop thread while ``fd`` is ready.

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
        """Forget ``fd`` (no error if it was not watched; it may already be closed)."""
        watch = self._watches.pop(fd, None)
        if watch is not None:
            watch.on_readable = watch.on_writable = None
            if watch.registered:
                watch.registered = 0
                self._selector.unregister(fd)

    def watch_of(self, fd: int) -> Optional[Watch]:
        """The :class:`Watch` of a watched descriptor (None: not watched)."""
        return self._watches.get(fd)

    def _update(self, watch: Watch) -> None:
        """Make the selector wait for what ``watch`` wants now."""
        if self._watches.get(watch.fd) is not watch:
            return
        events, old = watch.events(), watch.registered
        if events == old:
            return
        selector, fd = self._selector, watch.fd
        if not events:
            selector.unregister(fd)
        elif not old:
            selector.register(fd, events, watch)
        else:
            try:
                selector.modify(fd, events, watch)
            except FileNotFoundError:  # closed behind our back (the selector forgot it): afresh
                selector.register(fd, events, watch)
        watch.registered = events

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
