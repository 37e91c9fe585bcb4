"""Where a received control message goes: its request, a waiting claim, or the events queue.

libnetgraph reads "the next datagram" and takes it for the answer.  The
router does not: a response goes to the request that carries its token;
anything else becomes an :class:`~.events.Event`, handed to the first waiting
claim that wants it (a ksocket ``connect`` waiting for its completion) or
queued for the events iterator and callbacks.  It does no I/O and is shared
by the blocking and the asyncio socket nodes.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Deque, Dict, List, Optional, Tuple

from ..abi.message import NgMesg
from .events import Event, classify

Received = Tuple[NgMesg, str]
Match = Callable[[Event], bool]


class _Claim:
    __slots__ = ("match", "deliver")

    def __init__(self, match: Match, deliver: Callable[[Event], None]) -> None:
        self.match = match
        self.deliver = deliver


class Router:
    """Replies by token, claims by predicate, the rest queued as events."""

    def __init__(self) -> None:
        self._expected: Dict[int, Callable[[Received], None]] = {}
        self._claims: List[_Claim] = []
        self._last: List[_Claim] = []  # claims served after every other one (events readers)
        self.events: Deque[Event] = deque()

    def expect(self, token: int, deliver: Callable[[Received], None]) -> None:
        """Hand the response carrying ``token`` to ``deliver``."""
        self._expected[token] = deliver

    def forget(self, token: int) -> None:
        """Nobody waits for ``token`` any more: a late reply becomes an event."""
        self._expected.pop(token, None)

    def claim(self, match: Match, deliver: Callable[[Event], None], *, last: bool = False) -> object:
        """Hand the first event ``match`` accepts (queued already, or to come) to ``deliver``;
        with ``last``, only an event to come that no other claim wants."""
        for event in self.events:
            if match(event):
                self.events.remove(event)
                deliver(event)
                return None
        handle = _Claim(match, deliver)
        (self._last if last else self._claims).append(handle)
        return handle

    def unclaim(self, handle: object) -> None:
        """Withdraw a claim (it timed out or was cancelled)."""
        for claims in (self._claims, self._last):
            if handle in claims:
                claims.remove(handle)

    def route(self, msg: NgMesg, path: str) -> Optional[Event]:
        """Deliver one received message; returns the event when it was queued."""
        if msg.is_response:
            deliver = self._expected.pop(msg.token, None)
            if deliver is not None:
                deliver((msg, path))
                return None
        event = classify(msg, path)
        for claims in (self._claims, self._last):
            for claim in claims:
                if claim.match(event):
                    claims.remove(claim)
                    claim.deliver(event)
                    return None
        self.events.append(event)
        return event


__all__ = ["Match", "Received", "Router"]
