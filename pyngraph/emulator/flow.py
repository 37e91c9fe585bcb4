"""Flow control of the emulator's queues: a hard limit and high/low water marks.

In the manner of asyncio's ``_FlowControlMixin`` (``Lib/asyncio/transports.py``):
a queue counts what it holds (:attr:`FlowControl.size`, in bytes or packets);
above the high-water mark the producer adding to it is paused, and once the
queue is down to the low-water mark every producer it paused is resumed.
The hard limit is what the queue refuses to take at all (:meth:`FlowControl.admit`).

A producer is whatever ``pause()`` returns a token for (the kernel's
:meth:`~.loop.EventLoop.pause_source`: the descriptor whose callback is
running); ``resume(token)`` undoes one pause.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional


class FlowControl:
    """The limits of one queue and the producers it holds back.

    ``limit``: the most the queue holds (0: no limit).  ``high``: pause the
    producer whenever the size is above it (None: never pause).  ``low``:
    resume every paused producer when the size is down to it.
    """

    __slots__ = ("size", "limit", "high", "low", "_pause", "_resume", "_paused")

    def __init__(self, limit: int = 0, high: Optional[int] = None, low: int = 0,
                 pause: Optional[Callable[[], Any]] = None, resume: Optional[Callable[[Any], None]] = None) -> None:
        if high is not None and (pause is None or resume is None or low > high):
            raise ValueError("a high-water mark needs pause and resume, and low <= high")
        self.size = 0
        self.limit = limit
        self.high = high
        self.low = low
        self._pause = pause
        self._resume = resume
        self._paused: List[Any] = []  # one token per pause, resumed together

    def admit(self, amount: int) -> bool:
        """Whether ``amount`` more fits under the hard limit."""
        return not self.limit or self.size + amount <= self.limit

    def add(self, amount: int, hold_back: bool = True) -> None:
        """Count ``amount`` in; above the high-water mark pause the producer (if ``hold_back``)."""
        self.size += amount
        if hold_back and self.high is not None and self.size > self.high:
            assert self._pause is not None
            token = self._pause()
            if token is not None:
                self._paused.append(token)

    def remove(self, amount: int) -> None:
        """Count ``amount`` out; at the low-water mark resume the paused producers."""
        self.size -= amount
        if self.size <= self.low and self._paused:
            self.resume_all()

    def clear(self) -> None:
        """The queue was emptied (dropped): count nothing and resume everyone."""
        self.size = 0
        self.resume_all()

    def resume_all(self) -> None:
        """Resume every producer paused so far (the queue's reader has gone, or it drained)."""
        paused, self._paused = self._paused, []
        for token in paused:
            assert self._resume is not None
            self._resume(token)
