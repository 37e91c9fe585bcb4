"""ksocket socket options by name, with FreeBSD numbers and typed values.

ng_ksocket's SETOPT/GETOPT carry FreeBSD's ``(level, name)`` numbers, which
differ from the host's (Linux ``SO_REUSEADDR`` is 2, FreeBSD's is 4).  So an
option is named, never given as a bare number:

* a string: ``"SO_REUSEADDR"``, ``"IP_TTL"``, ``"IPV6_V6ONLY"``, ``"TCP_NODELAY"``
  (the prefix gives the level);
* a ``(level, option)`` pair: ``("IPPROTO_IP", "IP_TTL")``, ``(Level.IP, IP.TTL)``;
* a member of the FreeBSD-valued enums :class:`SO`, :class:`IP`, :class:`IPV6`, :class:`TCP`.

A plain ``int`` (e.g. the host's ``socket.SO_REUSEADDR``) is refused with
:class:`~pyngraph.errors.InvalidArgumentError`.

Values: ``int``/``bool`` (a C ``int``), :class:`Linger`, :class:`IpMreq`,
:class:`Ipv6Mreq`, or raw ``bytes`` passed through unchanged.
"""

from __future__ import annotations

import enum
import socket
import struct
from typing import Dict, NamedTuple, Optional, Tuple, Type, Union

from ..abi import constants as C
from ..abi.constants import Errno
from ..errors import NetgraphError


def _einval(detail: str) -> NetgraphError:
    return NetgraphError.from_fbsd(Errno.EINVAL, detail, command="setopt/getopt")


class Level(enum.IntEnum):
    """Socket option levels (FreeBSD numbers)."""

    SOCKET = C.SOL_SOCKET
    IP = C.IPPROTO_IP
    IPV6 = C.IPPROTO_IPV6
    TCP = C.IPPROTO_TCP


def _members(prefix: str, exclude: Tuple[str, ...] = ()) -> Dict[str, int]:
    return {
        name[len(prefix):]: value
        for name, value in vars(C).items()
        if name.startswith(prefix) and isinstance(value, int) and name not in exclude
    }


# The members come from pyngraph.abi.constants, which mypy cannot follow into a functional enum.
SO: Type[enum.IntEnum] = enum.IntEnum("SO", _members("SO_"), module=__name__)  # type: ignore[misc]
SO.__doc__ = "SOL_SOCKET options (FreeBSD numbers): ``SO.REUSEADDR`` ..."
IP: Type[enum.IntEnum] = enum.IntEnum("IP", _members("IP_"), module=__name__)  # type: ignore[misc]
IP.__doc__ = "IPPROTO_IP options (FreeBSD numbers): ``IP.TTL`` ..."
IPV6: Type[enum.IntEnum] = enum.IntEnum("IPV6", _members("IPV6_"), module=__name__)  # type: ignore[misc]
IPV6.__doc__ = "IPPROTO_IPV6 options (FreeBSD numbers): ``IPV6.V6ONLY`` ..."
TCP: Type[enum.IntEnum] = enum.IntEnum("TCP", _members("TCP_"), module=__name__)  # type: ignore[misc]
TCP.__doc__ = "IPPROTO_TCP options (FreeBSD numbers): ``TCP.NODELAY`` ..."

_ENUM_LEVEL: Dict[type, Level] = {SO: Level.SOCKET, IP: Level.IP, IPV6: Level.IPV6, TCP: Level.TCP}
_PREFIX_ENUM: Tuple[Tuple[str, Type[enum.IntEnum]], ...] = (("SO_", SO), ("IPV6_", IPV6), ("IP_", IP), ("TCP_", TCP))
_LEVEL_NAMES: Dict[str, Level] = {
    "SOL_SOCKET": Level.SOCKET, "IPPROTO_IP": Level.IP, "IPPROTO_IPV6": Level.IPV6,
    "IPPROTO_TCP": Level.TCP,
}


class Option(NamedTuple):
    """A resolved option: FreeBSD level and name, and its C name for messages."""

    level: int
    name: int
    label: str


OptionSpec = Union[str, enum.IntEnum, Tuple[object, object]]


def _is_host_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, (Level, SO, IP, IPV6, TCP))


def _from_name(text: str) -> enum.IntEnum:
    for prefix, kind in _PREFIX_ENUM:
        if text.startswith(prefix):
            member: Optional[enum.IntEnum] = kind.__members__.get(text[len(prefix):])
            if member is not None:
                return member
    raise _einval(f"unknown socket option {text!r} (names are FreeBSD's, e.g. 'SO_REUSEADDR', 'IP_TTL')")


def _level_of(value: object) -> Level:
    if isinstance(value, Level):
        return value
    if isinstance(value, str) and value in _LEVEL_NAMES:
        return _LEVEL_NAMES[value]
    if _is_host_int(value):
        raise _einval(f"option level {value!r} is a bare int: use a name like 'SOL_SOCKET' or Level.SOCKET")
    raise _einval(f"unknown option level {value!r} (one of {', '.join(_LEVEL_NAMES)})")


def resolve_option(spec: object) -> Option:
    """The FreeBSD ``(level, name)`` of an option given by name or enum; bare ints are refused."""
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise _einval(f"option {spec!r} is not a (level, option) pair")
        level = _level_of(spec[0])
        member = _member(spec[1])
        if _ENUM_LEVEL[type(member)] != level:
            raise _einval(f"option {member.__class__.__name__}_{member.name} is not at level {level.name}")
        return _option(member)
    return _option(_member(spec))


def _member(spec: object) -> enum.IntEnum:
    if isinstance(spec, (SO, IP, IPV6, TCP)):
        return spec
    if isinstance(spec, str):
        return _from_name(spec)
    if _is_host_int(spec):
        raise _einval(
            f"socket option {spec!r} is a bare int; host socket.SO_* numbers differ from FreeBSD's, "
            "so name the option ('SO_REUSEADDR') or use pyngraph.api.SO.REUSEADDR"
        )
    raise _einval(f"socket option {spec!r} is neither a name nor a pyngraph option enum")


def _option(member: enum.IntEnum) -> Option:
    kind = type(member)
    return Option(int(_ENUM_LEVEL[kind]), int(member), f"{kind.__name__}_{member.name}")


# --- values -------------------------------------------------------------------------

_INT = struct.Struct("=i")
_LINGER = struct.Struct("=ii")
_IPV6_IFINDEX = struct.Struct("=I")


class Linger(NamedTuple):
    """``struct linger``: SO_LINGER's value."""

    onoff: bool
    seconds: int = 0


class IpMreq(NamedTuple):
    """``struct ip_mreq``: IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP's value (IPv4 text addresses)."""

    multiaddr: str
    interface: str = "0.0.0.0"


class Ipv6Mreq(NamedTuple):
    """``struct ipv6_mreq``: IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP's value (group, interface index)."""

    multiaddr: str
    ifindex: int = 0


Value = Union[int, bool, Linger, IpMreq, Ipv6Mreq, bytes, bytearray, memoryview]


def _inet(family: int, text: str, what: str) -> bytes:
    try:
        return socket.inet_pton(family, text)
    except (OSError, ValueError, TypeError):
        raise _einval(f"{what} {text!r} is not a numeric address") from None


def encode_value(value: Value) -> bytes:
    """The option value bytes FreeBSD's ``sosetopt`` expects."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, Linger):
        return _pack(_LINGER, int(bool(value.onoff)), value.seconds)
    if isinstance(value, IpMreq):
        return (_inet(socket.AF_INET, value.multiaddr, "multicast group")
                + _inet(socket.AF_INET, value.interface, "interface"))
    if isinstance(value, Ipv6Mreq):
        return _inet(socket.AF_INET6, value.multiaddr, "multicast group") + _pack(_IPV6_IFINDEX, value.ifindex)
    if isinstance(value, int):
        return _pack(_INT, int(value))
    raise _einval(f"option value {value!r} is not an int, Linger, IpMreq, Ipv6Mreq or bytes")


def _pack(st: struct.Struct, *values: object) -> bytes:
    try:
        return st.pack(*values)
    except struct.error as exc:
        raise _einval(f"option value {values!r}: {exc}") from None


_LINGER_OPTIONS = {(C.SOL_SOCKET, C.SO_LINGER)}
_RAW_OPTIONS = {
    (C.IPPROTO_IP, C.IP_OPTIONS), (C.IPPROTO_TCP, C.TCP_CONGESTION), (C.IPPROTO_TCP, C.TCP_INFO),
    (C.SOL_SOCKET, C.SO_SNDTIMEO), (C.SOL_SOCKET, C.SO_RCVTIMEO), (C.SOL_SOCKET, C.SO_ACCEPTFILTER),
}


def decode_value(option: Option, raw: bytes) -> Union[int, Linger, bytes]:
    """A GETOPT value as Python: ``Linger`` for SO_LINGER, ``int`` for int-sized values, else bytes."""
    key = (option.level, option.name)
    if key in _LINGER_OPTIONS and len(raw) == _LINGER.size:
        onoff, seconds = _LINGER.unpack(raw)
        return Linger(bool(onoff), seconds)
    if key not in _RAW_OPTIONS and len(raw) == _INT.size:
        value: int = _INT.unpack(raw)[0]
        return value
    if key not in _RAW_OPTIONS and len(raw) == 1:  # e.g. IP_MULTICAST_TTL may be one byte
        return raw[0]
    return bytes(raw)


#: Options that only have their effect when set before bind (warned about afterwards).
BEFORE_BIND = frozenset({(C.SOL_SOCKET, C.SO_REUSEADDR), (C.SOL_SOCKET, C.SO_REUSEPORT)})


class SockoptOrderWarning(RuntimeWarning):
    """An option was set when it can no longer take effect (SO_REUSEADDR after bind)."""


__all__ = [
    "BEFORE_BIND", "IP", "IPV6", "IpMreq", "Ipv6Mreq", "Level", "Linger", "Option", "OptionSpec",
    "SO", "SockoptOrderWarning", "TCP", "decode_value", "encode_value", "resolve_option",
]
