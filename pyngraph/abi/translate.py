"""FreeBSD <-> host tables: address families, socket types and socket options.

Host numbers come from the ``socket`` module.  An entry the host lacks, or
one whose meaning differs between the systems, is not translated: it raises
``NetgraphError`` (EAFNOSUPPORT, ESOCKTNOSUPPORT or ENOPROTOOPT).  Errno
translation lives in ``pyngraph.errors``.
"""

from __future__ import annotations

import socket
import struct
import sys
from typing import Dict, Optional, Tuple

from ..errors import NetgraphError, host_to_fbsd_errno
from . import constants as c
from .constants import Errno
from .schema import einval

_FAMILIES: Dict[int, int] = {
    c.AF_UNSPEC: socket.AF_UNSPEC,
    c.AF_LOCAL: socket.AF_UNIX,
    c.AF_INET: socket.AF_INET,
    c.AF_INET6: socket.AF_INET6,
}
_FAMILIES_FROM_HOST = {host: fbsd for fbsd, host in _FAMILIES.items()}

_TYPES: Dict[int, int] = {
    c.SOCK_STREAM: socket.SOCK_STREAM,
    c.SOCK_DGRAM: socket.SOCK_DGRAM,
    c.SOCK_RAW: socket.SOCK_RAW,
    c.SOCK_RDM: socket.SOCK_RDM,
    c.SOCK_SEQPACKET: socket.SOCK_SEQPACKET,
}
_TYPES_FROM_HOST = {host: fbsd for fbsd, host in _TYPES.items()}
_TYPE_FLAGS: Dict[int, Optional[int]] = {
    c.SOCK_CLOEXEC: getattr(socket, "SOCK_CLOEXEC", None),
    c.SOCK_NONBLOCK: getattr(socket, "SOCK_NONBLOCK", None),
}

_LEVELS: Dict[int, int] = {
    c.SOL_SOCKET: socket.SOL_SOCKET,
    c.IPPROTO_IP: socket.IPPROTO_IP,
    c.IPPROTO_IPV6: socket.IPPROTO_IPV6,
    c.IPPROTO_TCP: socket.IPPROTO_TCP,
}

# (FreeBSD level, FreeBSD option name) -> the host's ``socket`` attribute name.
# Only options with the same meaning and value layout on both systems.
_OPTION_NAMES: Dict[Tuple[int, int], str] = {
    (c.SOL_SOCKET, c.SO_DEBUG): "SO_DEBUG",
    (c.SOL_SOCKET, c.SO_ACCEPTCONN): "SO_ACCEPTCONN",
    (c.SOL_SOCKET, c.SO_REUSEADDR): "SO_REUSEADDR",
    (c.SOL_SOCKET, c.SO_KEEPALIVE): "SO_KEEPALIVE",
    (c.SOL_SOCKET, c.SO_DONTROUTE): "SO_DONTROUTE",
    (c.SOL_SOCKET, c.SO_BROADCAST): "SO_BROADCAST",
    (c.SOL_SOCKET, c.SO_LINGER): "SO_LINGER",
    (c.SOL_SOCKET, c.SO_OOBINLINE): "SO_OOBINLINE",
    (c.SOL_SOCKET, c.SO_REUSEPORT): "SO_REUSEPORT",
    (c.SOL_SOCKET, c.SO_TIMESTAMP): "SO_TIMESTAMP",
    (c.SOL_SOCKET, c.SO_SNDBUF): "SO_SNDBUF",
    (c.SOL_SOCKET, c.SO_RCVBUF): "SO_RCVBUF",
    (c.SOL_SOCKET, c.SO_SNDLOWAT): "SO_SNDLOWAT",
    (c.SOL_SOCKET, c.SO_RCVLOWAT): "SO_RCVLOWAT",
    (c.SOL_SOCKET, c.SO_SNDTIMEO): "SO_SNDTIMEO",
    (c.SOL_SOCKET, c.SO_RCVTIMEO): "SO_RCVTIMEO",
    (c.SOL_SOCKET, c.SO_ERROR): "SO_ERROR",
    (c.SOL_SOCKET, c.SO_TYPE): "SO_TYPE",
    (c.SOL_SOCKET, c.SO_PROTOCOL): "SO_PROTOCOL",
    (c.SOL_SOCKET, c.SO_DOMAIN): "SO_DOMAIN",
    (c.IPPROTO_IP, c.IP_OPTIONS): "IP_OPTIONS",
    (c.IPPROTO_IP, c.IP_HDRINCL): "IP_HDRINCL",
    (c.IPPROTO_IP, c.IP_TOS): "IP_TOS",
    (c.IPPROTO_IP, c.IP_TTL): "IP_TTL",
    (c.IPPROTO_IP, c.IP_RECVTTL): "IP_RECVTTL",
    (c.IPPROTO_IP, c.IP_MINTTL): "IP_MINTTL",
    (c.IPPROTO_IP, c.IP_MULTICAST_IF): "IP_MULTICAST_IF",
    (c.IPPROTO_IP, c.IP_MULTICAST_TTL): "IP_MULTICAST_TTL",
    (c.IPPROTO_IP, c.IP_MULTICAST_LOOP): "IP_MULTICAST_LOOP",
    (c.IPPROTO_IP, c.IP_ADD_MEMBERSHIP): "IP_ADD_MEMBERSHIP",
    (c.IPPROTO_IP, c.IP_DROP_MEMBERSHIP): "IP_DROP_MEMBERSHIP",
    (c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS): "IPV6_UNICAST_HOPS",
    (c.IPPROTO_IPV6, c.IPV6_MULTICAST_IF): "IPV6_MULTICAST_IF",
    (c.IPPROTO_IPV6, c.IPV6_MULTICAST_HOPS): "IPV6_MULTICAST_HOPS",
    (c.IPPROTO_IPV6, c.IPV6_MULTICAST_LOOP): "IPV6_MULTICAST_LOOP",
    (c.IPPROTO_IPV6, c.IPV6_JOIN_GROUP): "IPV6_JOIN_GROUP",
    (c.IPPROTO_IPV6, c.IPV6_LEAVE_GROUP): "IPV6_LEAVE_GROUP",
    (c.IPPROTO_IPV6, c.IPV6_V6ONLY): "IPV6_V6ONLY",
    (c.IPPROTO_IPV6, c.IPV6_RECVPKTINFO): "IPV6_RECVPKTINFO",
    (c.IPPROTO_IPV6, c.IPV6_TCLASS): "IPV6_TCLASS",
    (c.IPPROTO_TCP, c.TCP_NODELAY): "TCP_NODELAY",
    (c.IPPROTO_TCP, c.TCP_NOPUSH): "TCP_CORK",  # both hold back partial segments until cleared
    (c.IPPROTO_TCP, c.TCP_MAXSEG): "TCP_MAXSEG",
    (c.IPPROTO_TCP, c.TCP_KEEPIDLE): "TCP_KEEPIDLE",
    (c.IPPROTO_TCP, c.TCP_KEEPINTVL): "TCP_KEEPINTVL",
    (c.IPPROTO_TCP, c.TCP_KEEPCNT): "TCP_KEEPCNT",
    (c.IPPROTO_TCP, c.TCP_CONGESTION): "TCP_CONGESTION",
}
# Linux numbers of options Python's socket module does not name (linux/socket.h, in.h, in6.h, tcp.h).
_LINUX_NUMBERS = {"SO_TIMESTAMP": 29, "IP_RECVTTL": 12, "IP_MINTTL": 21, "IPV6_RECVPKTINFO": 49,
                  "IPV6_TCLASS": 67, "TCP_CORK": 3, "SO_PROTOCOL": 38, "SO_DOMAIN": 39}


def _host_number(attr: str) -> Optional[int]:
    number = getattr(socket, attr, None)
    if number is None and sys.platform.startswith("linux"):
        number = _LINUX_NUMBERS.get(attr)
    return number


# Options FreeBSD has but the host lacks (or means differently) are absent here.
_OPTIONS: Dict[Tuple[int, int], Tuple[int, int]] = {
    key: (_LEVELS[key[0]], number)
    for key, number in ((key, _host_number(attr)) for key, attr in _OPTION_NAMES.items())
    if number is not None
}

_INT = struct.Struct("=i")


def family_to_host(family: int) -> int:
    """The host's number for a FreeBSD address family."""
    try:
        return _FAMILIES[family]
    except KeyError:
        raise NetgraphError.from_fbsd(Errno.EAFNOSUPPORT, f"FreeBSD family {family} has no host equivalent") from None


def family_from_host(family: int) -> int:
    """FreeBSD's number for a host address family."""
    try:
        return _FAMILIES_FROM_HOST[family]
    except KeyError:
        raise NetgraphError.from_fbsd(Errno.EAFNOSUPPORT, f"host family {family} has no FreeBSD equivalent") from None


def socktype_to_host(socktype: int) -> int:
    """The host's socket type for FreeBSD's, SOCK_CLOEXEC/SOCK_NONBLOCK flags included."""
    result = _TYPES.get(socktype & ~(c.SOCK_CLOEXEC | c.SOCK_NONBLOCK))
    if result is None:
        raise NetgraphError.from_fbsd(Errno.ESOCKTNOSUPPORT, f"FreeBSD socket type {socktype:#x} has no host equivalent")
    for fbsd_flag, host_flag in _TYPE_FLAGS.items():
        if socktype & fbsd_flag:
            if host_flag is None:
                raise NetgraphError.from_fbsd(Errno.ESOCKTNOSUPPORT, f"socket type flag {fbsd_flag:#x} has no host equivalent")
            result |= host_flag
    return result


def socktype_from_host(socktype: int) -> int:
    """FreeBSD's socket type for the host's (without flags)."""
    try:
        return _TYPES_FROM_HOST[socktype]
    except KeyError:
        raise NetgraphError.from_fbsd(Errno.ESOCKTNOSUPPORT, f"host socket type {socktype} has no FreeBSD equivalent") from None


def sockopt_to_host(level: int, name: int) -> Tuple[int, int]:
    """The host's ``(level, name)`` for a FreeBSD socket option."""
    try:
        return _OPTIONS[(level, name)]
    except KeyError:
        raise NetgraphError.from_fbsd(
            Errno.ENOPROTOOPT, f"FreeBSD socket option level {level:#x} name {name:#x} has no host equivalent"
        ) from None


# Options whose FreeBSD value is a flag bit, not 1: ``sogetopt`` answers
# ``so_options & name`` (SO_LINGER's l_onoff likewise), ``tcp_default_ctloutput``
# ``t_flags & TF_NODELAY`` / ``TF_NOPUSH``.  Linux answers 1 for all of them.
_FLAG_BITS: Dict[Tuple[int, int], int] = {
    **{(c.SOL_SOCKET, name): name for name in (
        c.SO_DEBUG, c.SO_ACCEPTCONN, c.SO_REUSEADDR, c.SO_KEEPALIVE, c.SO_DONTROUTE, c.SO_BROADCAST,
        c.SO_LINGER, c.SO_OOBINLINE, c.SO_REUSEPORT, c.SO_TIMESTAMP)},
    (c.IPPROTO_TCP, c.TCP_NODELAY): c.TF_NODELAY,
    (c.IPPROTO_TCP, c.TCP_NOPUSH): c.TF_NOPUSH,
}


def sockopt_value_from_host(level: int, name: int, value: bytes) -> bytes:
    """Translate a value the host returned for FreeBSD option ``(level, name)``.

    SO_ERROR carries an errno, SO_DOMAIN a family and SO_TYPE a socket type;
    flag options carry FreeBSD's bit (see ``_FLAG_BITS``); every other value
    has the same bytes on both systems.
    """
    bit = _FLAG_BITS.get((level, name))
    if bit is not None:
        if len(value) < _INT.size:
            raise einval(f"option {name:#x} value of {len(value)} bytes, expected {_INT.size}")
        (number,) = _INT.unpack_from(value)
        return _INT.pack(bit if number else 0) + bytes(value[_INT.size:])
    if level != c.SOL_SOCKET or name not in (c.SO_ERROR, c.SO_DOMAIN, c.SO_TYPE):
        return bytes(value)
    if len(value) != _INT.size:
        raise einval(f"option {name:#x} value of {len(value)} bytes, expected {_INT.size}")
    (number,) = _INT.unpack(value)
    if name == c.SO_ERROR:
        try:
            number = host_to_fbsd_errno(number) if number else 0
        except ValueError as exc:
            raise einval(str(exc)) from None
    elif name == c.SO_DOMAIN:
        number = family_from_host(number)
    else:
        number = socktype_from_host(number)
    return _INT.pack(number)


__all__ = [
    "family_to_host", "family_from_host", "socktype_to_host", "socktype_from_host",
    "sockopt_to_host", "sockopt_value_from_host",
]
