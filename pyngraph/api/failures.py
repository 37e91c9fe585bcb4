"""The API's errors: libnetgraph failures renamed after the operation and path.

Every error is a :class:`~pyngraph.errors.NetgraphError` subclass chosen by
errno (``NoSuchNodeError``, ``HookExistsError`` ...), with the host errno, the
FreeBSD one, the node path and the command in its message.
"""

from __future__ import annotations

import errno as host_errno
import os
from typing import List, Optional

from ..abi.constants import Errno
from ..backend.protocol import Backend
from ..backend import get_backend
from ..emulator.rundir import gone_text
from ..errors import NetgraphError, NoSuchTypeError, UnavailableError


INTERFACE_TYPES = ("iface", "eiface")  # node types whose constructor makes an interface


def node_types_are_modules() -> bool:
    """Whether the active backend's node types are FreeBSD kernel modules (loaded by kldload)."""
    return get_backend().capabilities.kernel_modules


def _enoent_detail(path: Optional[str], node_type: Optional[str]) -> str:
    text = f"path {path!r} did not resolve: no node of that name or ID, or a hook on it is missing"
    if node_type:
        if node_types_are_modules():
            module = f"ng_{node_type}"
            text += f"; or node type {node_type!r} is unknown: is kernel module {module} loaded? (kldload {module})"
        else:
            text += f"; or there is no node type {node_type!r}"
    return text


def rename(exc: OSError, command: str, path: Optional[str], *, node_type: Optional[str] = None,
           detail: Optional[str] = None) -> NetgraphError:
    """``exc`` as the error of ``command`` at ``path`` (same errno, subclass by errno)."""
    if isinstance(exc, UnavailableError) or (
            isinstance(exc, NetgraphError) and exc.command == command and exc.path == path):
        return exc  # an unusable backend or a gone daemon keeps its own words
    number = exc.errno or host_errno.EIO
    if detail is None and number == host_errno.ENOENT:
        detail = _enoent_detail(path, node_type)
    if detail is None and number == host_errno.EPERM and node_type in INTERFACE_TYPES:
        detail = (f"a {node_type} node creates a network interface: that needs "
                  f"{get_backend().capabilities.interface_privilege}")
    error = NetgraphError.from_host(number, detail, path=path, command=command)
    fbsd = getattr(exc, "fbsd_errno", None)
    if fbsd is not None:
        error.fbsd_errno = fbsd
    return error


def no_such_type(exc: NetgraphError, path: str, node_type: str, installed: List[str]) -> NoSuchTypeError:
    """MKPEER's failure when ``node_type`` is not installed (its errno kept: ENOENT or ENXIO)."""
    if node_types_are_modules():
        module = f"ng_{node_type}"
        detail = (f"no node type {node_type!r}: kernel module {module} is not loaded and could not be "
                  f"(kldload {module})")
    else:
        detail = f"no node type {node_type!r} (installed: {', '.join(installed)})"
    return NoSuchTypeError(exc.errno or host_errno.ENXIO, detail, path=path, command="mkpeer",
                           fbsd_errno=exc.fbsd_errno)


def detail_of(exc: OSError) -> str:
    """The explanation inside an error's message (without command, path and strerror)."""
    text = exc.strerror or ""
    base = os.strerror(exc.errno) if exc.errno else ""
    start = text.find(f"{base} (") if base else -1
    if start >= 0 and text.endswith(")"):
        return text[start + len(base) + 2:-1]
    return text


def invalid(detail: str, command: str, path: Optional[str] = None) -> NetgraphError:
    """Bad input refused before anything is sent (EINVAL)."""
    return NetgraphError.from_fbsd(Errno.EINVAL, detail, path=path, command=command)


def timed_out(command: str, path: Optional[str], timeout: Optional[float]) -> NetgraphError:
    """No answer within ``timeout`` seconds (ETIMEDOUT)."""
    return NetgraphError.from_fbsd(Errno.ETIMEDOUT, f"no answer within {timeout:g} s" if timeout else None,
                                   path=path, command=command)


def closed(command: str, path: Optional[str] = None, detail: str = "the socket node is closed or was shut down"
           ) -> NetgraphError:
    """The socket node was closed or shut down, or has no data socket (ENOTCONN)."""
    return NetgraphError.from_fbsd(Errno.ENOTCONN, detail, path=path, command=command)


def daemon_gone(backend: Backend, fd: int, command: str, path: Optional[str]) -> Optional[NetgraphError]:
    """At end of file on a netgraph socket: ECONNRESET naming the emulated backend's daemon if it
    has gone (with every node), else None (the node was shut down)."""
    daemon = backend.daemon_gone(fd)
    if not daemon:
        return None
    return NetgraphError.from_host(host_errno.ECONNRESET, gone_text(daemon), path=path, command=command)


__all__ = ["closed", "daemon_gone", "detail_of", "invalid", "no_such_type", "node_types_are_modules", "rename",
           "timed_out"]
