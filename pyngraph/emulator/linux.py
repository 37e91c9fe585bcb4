"""The FreeBSD <-> Linux edge of the emulated ksocket: sockets, sockaddrs, options, errno.

Node code speaks FreeBSD (numbers, ``sa_len`` sockaddrs, errno); these
functions are the only place where it turns into Linux calls and back.  Every
failure is a ``NetgraphError`` carrying the FreeBSD errno.
"""

from __future__ import annotations

import os
import socket
import struct
import weakref
from typing import Any, Dict, Optional, Tuple

from ..abi import constants as c
from ..abi.constants import Errno
from ..abi.hookname import HookSpec
from ..abi.sockaddr import SIZEOF_SOCKADDR_IN, SIZEOF_SOCKADDR_IN6, SIZEOF_SOCKADDR_UN, encode_sockaddr
from ..abi.translate import family_from_host, family_to_host, sockopt_to_host, sockopt_value_from_host
from ..errors import NetgraphError, host_to_fbsd_errno

_TYPES = {c.SOCK_STREAM, c.SOCK_DGRAM, c.SOCK_RAW, c.SOCK_RDM, c.SOCK_SEQPACKET}  # same numbers on Linux
_BUFFERS = (c.SO_SNDBUF, c.SO_RCVBUF)
# SO_SNDBUF/SO_RCVBUF: FreeBSD reports sb_hiwat, the value set or the protocol's
# default (Linux reports twice what was set, clamped).  Defaults as (send, receive):
_INET_SPACE = {
    c.SOCK_DGRAM: (9216, 42080),  # udp_usrreq.c: udp_sendspace, udp_recvspace = 40 * (1024 + 28)
    c.SOCK_STREAM: (32768, 65536),  # tcp_usrreq.c: tcp_sendspace, tcp_recvspace
    c.SOCK_RAW: (9216, 9216),  # raw_ip.c: rip_sendspace, rip_recvspace
}
_DEFAULT_SPACE: Dict[Tuple[int, int], Tuple[int, int]] = {
    **{(c.AF_INET, kind): space for kind, space in _INET_SPACE.items()},
    **{(c.AF_INET6, kind): space for kind, space in _INET_SPACE.items()},
    (c.AF_LOCAL, c.SOCK_STREAM): (8192, 8192),  # uipc_usrreq.c: unpst_sendspace/recvspace (PIPSIZ)
    (c.AF_LOCAL, c.SOCK_SEQPACKET): (8192, 8192),  # unpsp_sendspace/recvspace (PIPSIZ)
    (c.AF_LOCAL, c.SOCK_DGRAM): (8192, 16384),  # unpdg_maxdgram, unpdg_recvspace
}
# sbreserve_locked refuses more than sb_max_adj = sb_max * MCLBYTES / (MSIZE + MCLBYTES)
# with the default kern.ipc.maxsockbuf (2 MiB).
SB_MAX_ADJ = 2097152 * 2048 // (256 + 2048)
_space_set: "weakref.WeakKeyDictionary[socket.socket, Dict[int, int]]" = weakref.WeakKeyDictionary()
# Options that only set a flag the ksocket never looks at (it reads no control data, raises no
# SIGPIPE): Linux lacks them, so the node keeps the flag and reports it as FreeBSD would
# (sogetopt: the option's bit; ip_ctloutput: OPTBIT, 1).
_FLAG_ONLY: Dict[Tuple[int, int], int] = {
    (c.SOL_SOCKET, c.SO_USELOOPBACK): c.SO_USELOOPBACK,
    (c.SOL_SOCKET, c.SO_NOSIGPIPE): c.SO_NOSIGPIPE,
    (c.SOL_SOCKET, c.SO_BINTIME): c.SO_BINTIME,
    (c.IPPROTO_IP, c.IP_RECVDSTADDR): 1,
    (c.IPPROTO_IP, c.IP_RECVIF): 1,
}
# Values FreeBSD reports before they are set, where Linux reports another:
# ip6_ctloutput answers in6p_hops, -1 ("the system default") until set.
_UNSET: Dict[Tuple[int, int], int] = {(c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS): -1}
_options_set: "weakref.WeakKeyDictionary[socket.socket, Dict[Tuple[int, int], bytes]]" = \
    weakref.WeakKeyDictionary()
TCP_KEEPCNT_DEFAULT = 8  # tcp_timer.h TCPTV_KEEPCNT (Linux: 9)
_INT = struct.Struct("=i")
_PORT = struct.Struct("!H")
_V4MAPPED = bytes(10) + b"\xff\xff"
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
        sock = socket.socket(family_to_host(spec.family), spec.type | flags, spec.protocol)
    except OSError as exc:
        raise host_error(exc, what) from None
    if spec.family == c.AF_INET6:  # net.inet6.ip6.v6only=1: in6_pcb starts IN6P_IPV6_V6ONLY
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if spec.family != c.AF_LOCAL and spec.type == c.SOCK_STREAM:  # keepalive probes as FreeBSD's
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, TCP_KEEPCNT_DEFAULT)
    return sock


def check_connect(sa: bytes, sock: socket.socket, family: int, command: str) -> None:
    """FreeBSD's refusals before a connect that Linux would let through (or refuse otherwise).

    ``udp6_connect``/``tcp6_connect`` refuse an IPv4-mapped address on a v6only
    socket (EINVAL; Linux: ENETUNREACH); ``in_pcbconnect_setup`` and
    ``in6_pcbladdr`` refuse port 0 (UDP and TCP; raw sockets have no port).
    """
    if family not in (c.AF_INET, c.AF_INET6) or sock.type == socket.SOCK_RAW:
        return
    if (family == c.AF_INET6 and sa[8:20] == _V4MAPPED
            and sock.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY)):
        raise fbsd_error(Errno.EINVAL, f"{command}: IPv4-mapped address on a v6only socket")
    if _PORT.unpack_from(sa, 2)[0] == 0:
        raise fbsd_error(Errno.EADDRNOTAVAIL, f"{command}: port 0")


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
        raise fbsd_error(Errno.ENOENT, f"{command}: empty local path (namei of \"\")")
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
    key = (level, name)
    if key in _FLAG_ONLY:
        if len(value) < _INT.size:  # sooptcopyin: shorter than an int
            raise fbsd_error(Errno.EINVAL, f"setsockopt name {name:#x}: {len(value)}-byte value")
        _options_set.setdefault(sock, {})[key] = bytes(value[:_INT.size])
        return
    host_level, host_name = sockopt_to_host(level, name)
    space = level == c.SOL_SOCKET and name in _BUFFERS
    if space:  # sosetopt: below 1 EINVAL; sbreserve_locked: above sb_max_adj ENOBUFS
        if len(value) < _INT.size:
            raise fbsd_error(Errno.EINVAL, f"setsockopt name {name:#x}: {len(value)}-byte value")
        (size,) = _INT.unpack_from(value)
        if size < 1:
            raise fbsd_error(Errno.EINVAL, f"setsockopt name {name:#x}: size {size}")
        if size > SB_MAX_ADJ:
            raise fbsd_error(Errno.ENOBUFS, f"setsockopt name {name:#x}: size {size} above {SB_MAX_ADJ}")
    try:
        sock.setsockopt(host_level, host_name, value)
    except OSError as exc:
        raise host_error(exc, f"setsockopt level {level:#x} name {name:#x}") from None
    if space:
        _space_set.setdefault(sock, {})[name] = size
    if key in _UNSET:
        _options_set.setdefault(sock, {})[key] = bytes(value)


def get_option(sock: socket.socket, level: int, name: int, size: int) -> bytes:
    """``sogetopt`` with FreeBSD's level and name; the value as FreeBSD would report it."""
    key = (level, name)
    if key in _FLAG_ONLY:
        chosen = _options_set.get(sock, {}).get(key, bytes(_INT.size))
        return _INT.pack(_FLAG_ONLY[key] if _INT.unpack(chosen)[0] else 0)
    if key in _UNSET and key not in _options_set.get(sock, {}):
        return _INT.pack(_UNSET[key])
    host_level, host_name = sockopt_to_host(level, name)
    try:
        value = sock.getsockopt(host_level, host_name, size)
    except OSError as exc:
        raise host_error(exc, f"getsockopt level {level:#x} name {name:#x}") from None
    if level == c.SOL_SOCKET and name in _BUFFERS:
        return _INT.pack(_space(sock, name))
    return sockopt_value_from_host(level, name, value)


def _space(sock: socket.socket, name: int) -> int:
    """FreeBSD's ``sb_hiwat``: the size set, else the protocol's default."""
    chosen = _space_set.get(sock, {}).get(name)
    if chosen is not None:
        return chosen
    family = family_from_host(sock.family)
    default = _DEFAULT_SPACE.get((family, sock.type))
    if default is None:  # a kind FreeBSD's table above lacks: Linux's halved figure
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF if name == c.SO_SNDBUF else socket.SO_RCVBUF) // 2
    return default[0] if name == c.SO_SNDBUF else default[1]


def local_name_missing(sock: socket.socket) -> bool:
    """Whether a local socket has no path (unbound, or Linux-autobound in the abstract space)."""
    name = sock.getsockname()
    return not name or (name[:1] in ("\0", b"\0"))


def pending_error(sock: socket.socket) -> int:
    """Take the socket's pending error (SO_ERROR) as a FreeBSD errno (0: none)."""
    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    return fbsd_errno_of(error) if error else 0


def is_listening(sock: socket.socket) -> bool:
    return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN))


__all__ = [
    "LOCAL_NONAME", "open_socket", "to_host_address", "from_host_address", "set_option", "get_option",
    "pending_error", "is_listening", "host_error", "fbsd_errno_of", "check_connect", "SB_MAX_ADJ",
    "local_name_missing",
]
