"""Errors: every failure is an ``OSError`` subclass carrying the host's errno.

Inside the wire format netgraph speaks FreeBSD errno numbers; at the Python
surface they become the host's numbers, as the ``socket`` module does.  Each
error remembers the FreeBSD number (``fbsd_errno``), the node path and the
command it concerns, and names both in its message.
"""

from __future__ import annotations

import errno as _host_errno
import os
from typing import Dict, Optional

from .fbsd_errno import Errno


def _host_to_fbsd() -> Dict[int, int]:
    """Host errno -> FreeBSD errno, by name (a host may have several names for a number:
    EWOULDBLOCK, ENOTSUP ...; the first one FreeBSD also has wins)."""
    table: Dict[int, int] = {}
    for alias, number in vars(_host_errno).items():
        if alias.startswith("E") and isinstance(number, int) and alias in Errno.__members__:
            table.setdefault(number, int(Errno[alias]))
    return table


_HOST_TO_FBSD = _host_to_fbsd()
_FBSD_TO_HOST = {int(e): int(getattr(_host_errno, e.name)) for e in Errno if hasattr(_host_errno, e.name)}


def fbsd_to_host_errno(fbsd: int) -> int:
    """Translate a FreeBSD errno to the host's; unknown numbers raise ValueError."""
    host = _FBSD_TO_HOST.get(fbsd)
    if host is not None:
        return host
    try:
        name = Errno(fbsd).name
    except ValueError:
        raise ValueError(f"{fbsd} is not a FreeBSD errno") from None
    raise ValueError(f"FreeBSD errno {name} ({fbsd}) has no equivalent on this host")


def host_to_fbsd_errno(host: int) -> int:
    """Translate a host errno to FreeBSD's; unknown numbers raise ValueError."""
    fbsd = _HOST_TO_FBSD.get(host)
    if fbsd is not None:
        return fbsd
    name = _host_errno.errorcode.get(host)
    if name is None:
        raise ValueError(f"{host} is not an errno of this host")
    raise ValueError(f"host errno {name} ({host}) has no FreeBSD equivalent")


class NetgraphError(OSError):
    """A netgraph operation failed; ``errno`` is the host's number."""

    fbsd_errno: Optional[int]
    path: Optional[str]
    command: Optional[str]
    detail: Optional[str]

    def __init__(
        self,
        host_errno: int,
        detail: Optional[str] = None,
        *,
        path: Optional[str] = None,
        command: Optional[str] = None,
        fbsd_errno: Optional[int] = None,
    ) -> None:
        parts = []
        if command:
            parts.append(command)
        if path is not None:
            parts.append(repr(path))
        text = os.strerror(host_errno)
        if detail:
            text = f"{text} ({detail})"
        message = f"{' '.join(parts)}: {text}" if parts else text
        super().__init__(host_errno, message)
        if fbsd_errno is None:
            try:
                fbsd_errno = host_to_fbsd_errno(host_errno)
            except ValueError:
                fbsd_errno = None
        self.fbsd_errno = fbsd_errno
        self.path = path
        self.command = command
        self.detail = detail

    @classmethod
    def from_fbsd(
        cls,
        fbsd_errno: int,
        detail: Optional[str] = None,
        *,
        path: Optional[str] = None,
        command: Optional[str] = None,
    ) -> "NetgraphError":
        """Build the error for a FreeBSD errno number (as carried on the wire)."""
        host = fbsd_to_host_errno(fbsd_errno)
        kind = _BY_ERRNO.get(host, NetgraphError)
        return kind(host, detail, path=path, command=command, fbsd_errno=fbsd_errno)

    @classmethod
    def from_host(
        cls,
        host_errno: int,
        detail: Optional[str] = None,
        *,
        path: Optional[str] = None,
        command: Optional[str] = None,
    ) -> "NetgraphError":
        """Build the error for a host errno number (as a system call returned it)."""
        kind = _BY_ERRNO.get(host_errno, NetgraphError)
        return kind(host_errno, detail, path=path, command=command)


class NoSuchNodeError(NetgraphError, FileNotFoundError):
    """ENOENT: the path did not resolve to a node (or a hook on it is missing)."""


class HookExistsError(NetgraphError, FileExistsError):
    """EEXIST: the node already has a hook of that name."""


class NameInUseError(NetgraphError):
    """EADDRINUSE: another node already has that name (or the address is busy)."""


class NotConnectedError(NetgraphError):
    """ENOTCONN: the socket or node is not connected."""


class InvalidArgumentError(NetgraphError, ValueError):
    """EINVAL: a malformed path, name, message or argument."""


class NoSuchTypeError(NetgraphError):
    """ENXIO: no such node type, or a ksocket command before the socket exists."""


class InProgressError(NetgraphError, BlockingIOError):
    """EINPROGRESS: an asynchronous operation (ksocket connect) has started."""


class NoBufferSpaceError(NetgraphError):
    """ENOBUFS: a queue is full; the message or packet was refused."""


class ConnectionRefused(NetgraphError, ConnectionRefusedError):
    """ECONNREFUSED: the peer refused the connection."""


class TimedOutError(NetgraphError, TimeoutError):
    """ETIMEDOUT: no answer in time."""


class NotSupportedError(NetgraphError):
    """ENOSYS / EOPNOTSUPP: the node or host cannot do this."""


class UnavailableError(NetgraphError):
    """The backend cannot be used: an unknown name, a FreeBSD host not ready, no emulator daemon.

    The message is ``detail`` alone: it says what is missing and the command that fixes it.
    """

    def __init__(self, host_errno: int, detail: Optional[str] = None, **where: Optional[str]) -> None:
        super().__init__(host_errno, detail, **where)  # type: ignore[arg-type]
        if detail:
            self.strerror = detail
            self.args = (host_errno, detail)


_BY_ERRNO = {
    _host_errno.ENOENT: NoSuchNodeError,
    _host_errno.EEXIST: HookExistsError,
    _host_errno.EADDRINUSE: NameInUseError,
    _host_errno.ENOTCONN: NotConnectedError,
    _host_errno.EINVAL: InvalidArgumentError,
    _host_errno.ENXIO: NoSuchTypeError,
    _host_errno.EINPROGRESS: InProgressError,
    _host_errno.ENOBUFS: NoBufferSpaceError,
    _host_errno.ECONNREFUSED: ConnectionRefused,
    _host_errno.ETIMEDOUT: TimedOutError,
    _host_errno.ENOSYS: NotSupportedError,
    _host_errno.EOPNOTSUPP: NotSupportedError,
}
