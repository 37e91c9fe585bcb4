"""The FreeBSD <-> Linux edge of the emulated ksocket: sockets, sockaddrs, options, errno.

Node code speaks FreeBSD (numbers, ``sa_len`` sockaddrs, errno); these
functions are the only place where it turns into Linux calls and back.  Every
failure is a ``NetgraphError`` carrying the FreeBSD errno.
"""

from __future__ import annotations

import os
import socket
import struct
from typing import Any, Optional

from ..abi import constants as c
from ..abi.constants import Errno
from ..abi.hookname import HookSpec
from ..abi.sockaddr import SIZEOF_SOCKADDR_IN, SIZEOF_SOCKADDR_IN6, SIZEOF_SOCKADDR_UN, encode_sockaddr
from ..abi.translate import family_from_host, family_to_host, sockopt_to_host, sockopt_value_from_host
from ..errors import NetgraphError

_TYPES = {c.SOCK_STREAM, c.SOCK_DGRAM, c.SOCK_RAW, c.SOCK_RDM, c.SOCK_SEQPACKET}  # same numbers on Linux
# FreeBSD's SO_SNDBUF/SO_RCVBUF report what was set; Linux reports twice that.
_DOUBLED = {(c.SOL_SOCKET, c.SO_SNDBUF), (c.SOL_SOCKET, c.SO_RCVBUF)}
_INT = struct.Struct("=i")
_PORT = struct.Struct("!H")
# getsockname() of an unnamed local socket: FreeBSD's 16-byte "no name" sockaddr.
LOCAL_NONAME = bytes((16, c.AF_LOCAL)) + bytes(14)


def fbsd_error(errno: int, detail: str) -> NetgraphError:
    return NetgraphError.from_fbsd(errno, detail)


def host_error(exc: OSError, detail: str) -> NetgraphError:
    """A Linux system call's failure as a NetgraphError (FreeBSD errno; EINVAL if none maps)."""
    if not exc.errno:
        return fbsd_error(Errno.EINVAL, f"{detail}: {exc}")
    err = NetgraphError.from_host(exc.errno, detail)
    if err.fbsd_errno is None:  # a Linux-only errno: FreeBSD would have said EINVAL
        err.fbsd_errno = int(Errno.EINVAL)
    return err


def fbsd_errno_of(host_errno: int) -> int:
    """FreeBSD's number for a Linux errno (EINVAL when FreeBSD has no such error)."""
    from ..errors import host_to_fbsd_errno

    try:
        return host_to_fbsd_errno(host_errno)
    except ValueError:
        return int(Errno.EINVAL)


def open_socket(spec: HookSpec) -> socket.socket:
    """``socreate(family, type, protocol)`` on Linux: a non-blocking socket."""
    what = f"socket({spec.family}, {spec.type}, {spec.protocol})"
    if spec.family not in (c.AF_LOCAL, c.AF_INET, c.AF_INET6):
        raise fbsd_error(Errno.EAFNOSUPPORT, f"{what}: family not supported")
    if spec.type not in _TYPES:
        raise fbsd_error(Errno.EPROTONOSUPPORT if spec.protocol else Errno.EPROTOTYPE,
                         f"{what}: type not supported")
    flags = socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
    try:
        return socket.socket(family_to_host(spec.family), spec.type | flags, spec.protocol)
    except OSError as exc:
        raise host_error(exc, what) from None


def to_host_address(sa: bytes, sock: socket.socket, command: str, family: Optional[int] = None) -> Any:
    """A FreeBSD sockaddr (``sa_len`` bytes) as a Linux address for ``sock``'s family.

    ``family`` is the socket's FreeBSD family when the caller knows it
    (saves asking the socket).  Reproduces the protocols' checks: a family
    other than the socket's is EAFNOSUPPORT, an ``sa_len`` that does not fit
    the family EINVAL.
    """
    fbsd_family = family_from_host(sock.family) if family is None else family
    sa_len, family = sa[0], sa[1]
    if family != fbsd_family:
        raise fbsd_error(Errno.EAFNOSUPPORT, f"{command}: address family {family} on a family {fbsd_family} socket")
    if family == c.AF_INET:
        if sa_len != SIZEOF_SOCKADDR_IN:
            raise fbsd_error(Errno.EINVAL, f"{command}: sin_len {sa_len}, expected {SIZEOF_SOCKADDR_IN}")
        (port,) = _PORT.unpack_from(sa, 2)
        return socket.inet_ntop(socket.AF_INET, sa[4:8]), port
    if family == c.AF_INET6:
        if sa_len != SIZEOF_SOCKADDR_IN6:
            raise fbsd_error(Errno.EINVAL, f"{command}: sin6_len {sa_len}, expected {SIZEOF_SOCKADDR_IN6}")
        port, flowinfo = struct.unpack_from("!HI", sa, 2)
        (scope_id,) = struct.unpack_from("=I", sa, 24)
        return socket.inet_ntop(socket.AF_INET6, sa[8:24]), port, flowinfo, scope_id
    # AF_LOCAL: the path is sun_path up to sun_len or the first NUL; never abstract.
    if sa_len > SIZEOF_SOCKADDR_UN:
        raise fbsd_error(Errno.EINVAL, f"{command}: sun_len {sa_len} exceeds {SIZEOF_SOCKADDR_UN}")
    path = sa[2:sa_len].split(b"\0", 1)[0]
    if not path:
        raise fbsd_error(Errno.EINVAL, f"{command}: empty local path")
    return os.fsdecode(path)


def from_host_address(sock: socket.socket, address: Any, family: Optional[int] = None) -> bytes:
    """A Linux address of ``sock``'s family (FreeBSD's ``family`` if known) as a FreeBSD sockaddr."""
    if family is None:
        family = family_from_host(sock.family)
    if family == c.AF_LOCAL:
        # Unnamed (or Linux-autobound abstract) local sockets have no FreeBSD name.
        if not address or (isinstance(address, bytes) and address[:1] == b"\0") or address[:1] == "\0":
            return LOCAL_NONAME
    return encode_sockaddr(family, address)


def set_option(sock: socket.socket, level: int, name: int, value: bytes) -> None:
    """``sosetopt`` with FreeBSD's level and name."""
    host_level, host_name = sockopt_to_host(level, name)
    try:
        sock.setsockopt(host_level, host_name, value)
    except OSError as exc:
        raise host_error(exc, f"setsockopt level {level:#x} name {name:#x}") from None


def get_option(sock: socket.socket, level: int, name: int, size: int) -> bytes:
    """``sogetopt`` with FreeBSD's level and name; the value as FreeBSD would report it."""
    host_level, host_name = sockopt_to_host(level, name)
    try:
        value = sock.getsockopt(host_level, host_name, size)
    except OSError as exc:
        raise host_error(exc, f"getsockopt level {level:#x} name {name:#x}") from None
    if (level, name) in _DOUBLED and len(value) == _INT.size:
        value = _INT.pack(_INT.unpack(value)[0] // 2)
    return sockopt_value_from_host(level, name, value)


def pending_error(sock: socket.socket) -> int:
    """Take the socket's pending error (SO_ERROR) as a FreeBSD errno (0: none)."""
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    return fbsd_errno_of(error) if error else 0


def is_listening(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


__all__ = [
    "LOCAL_NONAME", "open_socket", "to_host_address", "from_host_address", "set_option", "get_option",
    "pending_error", "is_listening", "host_error", "fbsd_errno_of",
]
