"""A tool's socket node and the control-message plumbing its commands share.

libnetgraph matches no reply to its request.  The session does: a reply is
the response carrying the request's token; anything else read meanwhile
(late replies, asynchronous ksocket messages, commands addressed to us) is
kept in ``pending`` for the interactive loop to display.
"""

from __future__ import annotations

import collections
import select
import sys
import threading
import time
from typing import Deque, Optional, TextIO, Tuple

from .. import libnetgraph as ng
from ..abi import NgMesg
from ..abi.constants import NGF_RESP
from .common import Diag

# Command results, as ngctl's CMDRTN_*
OK, USAGE, ERROR, QUIT = 0, 1, 2, 3

Received = Tuple[NgMesg, str]


class Session:
    """The control and data sockets of one tool, its stdout and its diagnostics."""

    def __init__(self, cs: int, ds: Optional[int], diag: Diag) -> None:
        self.cs = cs
        self.ds = ds
        self.diag = diag
        self.pending: Deque[Received] = collections.deque()
        self.lock = threading.RLock()  # held by whoever owns the sockets right now

    def data_socket(self) -> int:
        """The data socket (the tools that read or write packets make one)."""
        if self.ds is None:
            raise RuntimeError("this tool's socket node has no data socket")
        return self.ds

    @property
    def out(self) -> TextIO:
        return sys.stdout

    # -- control socket --------------------------------------------------------

    def socket_readable(self, timeout: Optional[float] = 0.0) -> bool:
        """Whether the control socket has a message (within ``timeout`` seconds; None: wait)."""
        ready, _, _ = select.select([self.cs], [], [], timeout)
        return bool(ready)

    def has_message(self) -> bool:
        """Whether a control message is kept or waiting on the socket right now."""
        return bool(self.pending) or self.socket_readable(0)

    def receive(self) -> Received:
        """The next control message: kept ones first, then the socket."""
        if self.pending:
            return self.pending.popleft()
        return ng.NgAllocRecvMsg(self.cs)

    def drain(self) -> None:
        """Keep every control message already queued, so none is taken for a reply."""
        while self.socket_readable(0):
            self.pending.append(ng.NgAllocRecvMsg(self.cs))

    def reply(self, token: int, bufsize: Optional[int] = None, *, commands_end: bool = False,
              timeout: Optional[float] = None) -> Optional[Received]:
        """Wait for the response carrying ``token``; keep whatever else arrives.

        With ``commands_end`` a message that is not a response ends the wait
        with ``None`` (it is kept): that is what a node that passes status or
        config requests up to its user, e.g. a socket node, answers with.
        With ``timeout`` the wait ends with ``None`` after that many seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is not None and not self.socket_readable(max(0.0, deadline - time.monotonic())):
                return None
            msg, path = (ng.NgAllocRecvMsg(self.cs) if bufsize is None else ng.NgRecvMsg(self.cs, bufsize))
            if msg.flags & NGF_RESP and msg.token == token:
                return msg, path
            self.pending.append((msg, path))
            if commands_end and not msg.flags & NGF_RESP:
                return None

    def request(self, path: str, cookie: int, cmd: int, args: bytes = b"") -> NgMesg:
        """Send a message that has a reply and return the reply."""
        token = ng.NgSendMsg(self.cs, path, cookie, cmd, args)
        received = self.reply(token)
        assert received is not None
        return received[0]

    def take(self, token: int) -> Optional[Received]:
        """Remove and return the kept response carrying ``token``, if there is one."""
        for item in self.pending:
            if item[0].flags & NGF_RESP and item[0].token == token:
                self.pending.remove(item)
                return item
        return None
