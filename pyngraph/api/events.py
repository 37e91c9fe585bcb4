"""What arrives on a socket node's control socket without being asked for.

A reply the node waits for is matched by its token and never becomes an
event.  Everything else is turned into one of these dataclasses:

* :class:`ConnectEvent`: a ksocket's non-blocking connect finished (the
  asynchronous ``NGM_KSOCKET_CONNECT`` reply);
* :class:`AcceptEvent`: a listening ksocket accepted a connection (the
  ``NGM_KSOCKET_ACCEPT`` reply, sent by the new clone node);
* :class:`MessageEvent`: any other message (a command sent to our node, e.g.
  a ``textstatus`` passed up, or a reply nobody waits for any more).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from ..abi.nodetypes.ng_ksocket import (
    AcceptReply, NGM_KSOCKET_ACCEPT, NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE,
)
from ..abi.constants import Errno
from ..abi.message import NgMesg
from ..abi.sockaddr import Sockaddr
from ..errors import NetgraphError

_ID_PATH = re.compile(r"^\[([0-9a-fA-F]+)\]:$")


def node_id_of(path: str) -> Optional[int]:
    """The node ID in a sender path ``"[1a]:"`` (None for any other form)."""
    match = _ID_PATH.match(path)
    return int(match.group(1), 16) if match else None


@dataclass(frozen=True)
class Event:
    """A message received on the control socket, and the path of the node that sent it."""

    msg: NgMesg
    path: str

    @property
    def node_id(self) -> Optional[int]:
        """The sender's node ID."""
        return node_id_of(self.path)


@dataclass(frozen=True)
class ConnectEvent(Event):
    """A ksocket's connect completed: ``error`` is None on success, else the OSError."""

    error: Optional[NetgraphError]

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class AcceptEvent(Event):
    """A listening ksocket accepted a connection: the clone node's ID and the peer's address."""

    clone_id: int
    peer: Sockaddr

    @property
    def token(self) -> int:
        """The token of the ACCEPT request this answers."""
        return self.msg.token

    @property
    def address(self) -> Any:
        """The peer address in ``socket`` module shape, e.g. ``("127.0.0.1", 40000)``."""
        return self.peer.address


@dataclass(frozen=True)
class MessageEvent(Event):
    """Any other message: a command addressed to our node or an unclaimed reply."""

    @property
    def is_response(self) -> bool:
        return self.msg.is_response


def _int32(data: bytes) -> Optional[int]:
    return int.from_bytes(data, sys.byteorder, signed=True) if len(data) == 4 else None


def connect_error(errno: int, path: str) -> Optional[NetgraphError]:
    """The error a CONNECT reply's FreeBSD errno stands for (None for 0)."""
    if not errno:
        return None
    try:
        return NetgraphError.from_fbsd(errno, path=path, command="connect")
    except ValueError:
        return NetgraphError.from_fbsd(Errno.EIO, f"unknown FreeBSD errno {errno}", path=path, command="connect")


def classify(msg: NgMesg, path: str) -> Event:
    """The event for a received message that no request was waiting for."""
    if msg.is_response and msg.typecookie == NGM_KSOCKET_COOKIE:
        if msg.cmd == NGM_KSOCKET_CONNECT:
            errno = _int32(msg.data)
            if errno is not None:
                return ConnectEvent(msg, path, connect_error(errno, path))
        elif msg.cmd == NGM_KSOCKET_ACCEPT:
            accepted = _accept(msg.data)
            if accepted is not None:
                return AcceptEvent(msg, path, *accepted)
    return MessageEvent(msg, path)


def _accept(data: bytes) -> Optional[Tuple[int, Sockaddr]]:
    try:
        reply = AcceptReply.decode(data)
        return reply.nodeid, reply.sockaddr()
    except (OSError, ValueError):
        return None


__all__ = ["AcceptEvent", "ConnectEvent", "Event", "MessageEvent", "classify", "node_id_of"]
