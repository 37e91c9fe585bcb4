"""libnetgraph's functions (``netgraph.h``) with Python arguments and results.

Each function forwards to the active backend (:mod:`pyngraph.backend`), so the
same code runs on FreeBSD's kernel and on the emulated one.  Descriptors are
plain ints, selectable; received messages are :class:`~pyngraph.abi.NgMesg`
(``bytes(msg)`` is the exact wire form); failures raise
:class:`~pyngraph.errors.NetgraphError` subclasses with the host errno and a
message naming the command and path.
"""

from __future__ import annotations

from typing import Callable, Literal, Optional, Tuple, Union, overload

from .abi.message import NgMesg
from .backend import get_backend

Buffer = Union[bytes, bytearray, memoryview]
LogFunc = Callable[[str], None]


@overload
def NgMkSockNode(name: Optional[str] = None, data: Literal[True] = True) -> Tuple[int, int]: ...
@overload
def NgMkSockNode(name: Optional[str], data: Literal[False]) -> Tuple[int, None]: ...
@overload
def NgMkSockNode(name: Optional[str] = None, *, data: Literal[False]) -> Tuple[int, None]: ...
@overload
def NgMkSockNode(name: Optional[str] = None, data: bool = True) -> Tuple[int, Optional[int]]: ...


def NgMkSockNode(name: Optional[str] = None, data: bool = True) -> Tuple[int, Optional[int]]:
    """Create a socket node named ``name``: ``(cs, ds)``; ``ds`` is None when ``data`` is false."""
    return get_backend().NgMkSockNode(name, data)


def NgNameNode(cs: int, path: str, name: str) -> None:
    """Give the node at ``path`` the global name ``name``."""
    get_backend().NgNameNode(cs, path, name)


def NgSendMsg(cs: int, path: str, cookie: int, cmd: int, args: Buffer = b"") -> int:
    """Send a binary control message to ``path``; returns its token.

    Returns once the target handled it; for NGM_HASREPLY commands, once the
    control socket has input (normally the reply).
    """
    return get_backend().NgSendMsg(cs, path, cookie, cmd, args)


def NgSendAsciiMsg(cs: int, path: str, text: str) -> int:
    """Send ``"command args"`` in ASCII, converted by the target node; the token of the real message."""
    return get_backend().NgSendAsciiMsg(cs, path, text)


def NgSendReplyMsg(cs: int, path: str, msg: NgMesg, args: Buffer = b"") -> None:
    """Reply to ``msg`` (received from ``path``) with ``args``."""
    get_backend().NgSendReplyMsg(cs, path, msg, args)


def NgRecvMsg(cs: int, bufsize: int) -> Tuple[NgMesg, str]:
    """Receive the next control message (cut to ``bufsize`` bytes) and its sender's path ``"[1a]:"``."""
    return get_backend().NgRecvMsg(cs, bufsize)


def NgAllocRecvMsg(cs: int) -> Tuple[NgMesg, str]:
    """Receive the next control message, whatever its size (up to SO_RCVBUF)."""
    return get_backend().NgAllocRecvMsg(cs)


def NgRecvAsciiMsg(cs: int) -> Tuple[NgMesg, str]:
    """Receive the next message; ``msg.data`` is its argument as ASCII text (bytes, no NUL)."""
    return get_backend().NgRecvAsciiMsg(cs)


def NgAllocRecvAsciiMsg(cs: int) -> Tuple[NgMesg, str]:
    """:func:`NgRecvAsciiMsg` with a buffer of SO_RCVBUF bytes."""
    return get_backend().NgAllocRecvAsciiMsg(cs)


def NgSendData(ds: int, hook: Optional[str], data: Buffer) -> None:
    """Send a packet out of our node's ``hook``; ``None`` or ``""``: the node's only hook (EDESTADDRREQ otherwise)."""
    get_backend().NgSendData(ds, hook, data)


def NgRecvData(ds: int, bufsize: int) -> Tuple[bytes, str]:
    """Receive one packet (cut to ``bufsize``) and the name of the hook it arrived on."""
    return get_backend().NgRecvData(ds, bufsize)


def NgAllocRecvData(ds: int) -> Tuple[bytes, str]:
    """Receive one packet, whatever its size (up to SO_RCVBUF)."""
    return get_backend().NgAllocRecvData(ds)


def NgSetDebug(level: int) -> int:
    """Set the debug level (if ``level >= 0``); returns the previous one. ``NgSetDebug(-1)`` queries."""
    return get_backend().NgSetDebug(level)


def NgSetErrLog(log: Optional[LogFunc], logx: Optional[LogFunc]) -> None:
    """Send failure lines (with strerror) to ``log`` and other lines to ``logx``; None: the logger."""
    get_backend().NgSetErrLog(log, logx)


__all__ = [
    "NgAllocRecvAsciiMsg", "NgAllocRecvData", "NgAllocRecvMsg", "NgMkSockNode", "NgNameNode",
    "NgRecvAsciiMsg", "NgRecvData", "NgRecvMsg", "NgSendAsciiMsg", "NgSendData", "NgSendMsg",
    "NgSendReplyMsg", "NgSetDebug", "NgSetErrLog",
]
