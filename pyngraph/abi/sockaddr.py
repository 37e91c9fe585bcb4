"""BSD socket addresses (``sa_len`` byte, 1-byte family) <-> Python addresses.

Python shapes follow the ``socket`` module: AF_INET ``(host, port)``, AF_INET6
``(host, port, flowinfo, scope_id)``, AF_LOCAL a path ``str``; any other family
is the raw ``sa_data`` bytes.  Family numbers are FreeBSD's.
"""

from __future__ import annotations

import os
import socket
import struct
from typing import NamedTuple, Union

from .constants import AF_INET, AF_INET6, AF_LOCAL, SOCK_MAXADDRLEN
from .schema import einval

Buffer = Union[bytes, bytearray, memoryview]

SIZEOF_SOCKADDR_IN = 16
SIZEOF_SOCKADDR_IN6 = 28
SUN_PATH_SIZE = 104
SIZEOF_SOCKADDR_UN = 2 + SUN_PATH_SIZE

# sa_len, sa_family, port (network order), then the family's fields
_IN = struct.Struct("!BBH4s8x")
_IN_PORT_ADDR = struct.Struct("!2xH4s")  # what decoding an AF_INET sockaddr reads past its header
_IN6_HEAD = struct.Struct("!BBHI16s")  # flowinfo travels in network order
_SCOPE = struct.Struct("=I")  # sin6_scope_id is in host order
_HOST_INET = socket.AF_INET
_ntop = socket.inet_ntop
_pton4 = socket.inet_pton
_new = tuple.__new__  # a NamedTuple built without its Python-level __new__


class Sockaddr(NamedTuple):
    """A decoded address: FreeBSD family number and the Python-shaped address."""

    family: int
    address: object


def _port(port: object) -> int:
    if not isinstance(port, int) or not 0 <= port <= 0xFFFF:
        raise einval(f"port {port!r} is not in 0..65535")
    return port


def _u32(value: object, what: str) -> int:
    if not isinstance(value, int) or not 0 <= value <= 0xFFFFFFFF:
        raise einval(f"{what} {value!r} is not a 32-bit unsigned number")
    return value


def _pton(host_family: int, host: object) -> bytes:
    if not isinstance(host, str):
        raise einval(f"address {host!r} is not a str")
    try:
        return socket.inet_pton(host_family, host)
    except (OSError, ValueError):
        raise einval(f"{host!r} is not a numeric {'IPv4' if host_family == socket.AF_INET else 'IPv6'} address") from None


def encode_sockaddr(family: int, address: object) -> bytes:
    """Encode a FreeBSD sockaddr (exactly ``sa_len`` bytes) for ``family``."""
    if family == AF_INET:
        if type(address) is tuple and len(address) == 2:
            host, port = address
            if type(port) is int and type(host) is str:
                try:
                    return _IN.pack(SIZEOF_SOCKADDR_IN, AF_INET, port, _pton4(_HOST_INET, host))
                except (OSError, ValueError, struct.error):
                    pass  # the checks below name the error
        if not isinstance(address, tuple) or len(address) != 2:
            raise einval(f"AF_INET address {address!r} is not (host, port)")
        return _IN.pack(SIZEOF_SOCKADDR_IN, AF_INET, _port(address[1]), _pton(socket.AF_INET, address[0]))
    if family == AF_INET6:
        if not isinstance(address, tuple) or len(address) not in (2, 4):
            raise einval(f"AF_INET6 address {address!r} is not (host, port[, flowinfo, scope_id])")
        flowinfo, scope_id = address[2:] if len(address) == 4 else (0, 0)
        head = _IN6_HEAD.pack(
            SIZEOF_SOCKADDR_IN6, AF_INET6, _port(address[1]),
            _u32(flowinfo, "flowinfo"), _pton(socket.AF_INET6, address[0]),
        )
        return head + _SCOPE.pack(_u32(scope_id, "scope_id"))
    if family == AF_LOCAL:
        if not isinstance(address, (str, bytes)):
            raise einval(f"AF_LOCAL address {address!r} is not a path")
        path = os.fsencode(address)
        if b"\0" in path:
            raise einval(f"AF_LOCAL path {address!r} contains a NUL")
        if len(path) > SUN_PATH_SIZE:
            raise einval(f"AF_LOCAL path {address!r} is longer than {SUN_PATH_SIZE} bytes")
        return bytes((2 + len(path), AF_LOCAL)) + path
    if not isinstance(family, int) or not 0 <= family <= 0xFF:
        raise einval(f"address family {family!r} is not in 0..255")
    if not isinstance(address, (bytes, bytearray, memoryview)):
        raise einval(f"address of family {family} must be the raw sa_data bytes")
    data = bytes(address)
    if 2 + len(data) > SOCK_MAXADDRLEN:
        raise einval(f"sockaddr of {2 + len(data)} bytes exceeds {SOCK_MAXADDRLEN}")
    return bytes((2 + len(data), family)) + data


def decode_sockaddr(buf: Buffer) -> Sockaddr:
    """Decode a FreeBSD sockaddr; bytes after ``sa_len`` are ignored."""
    if len(buf) >= SIZEOF_SOCKADDR_IN and buf[0] == SIZEOF_SOCKADDR_IN and buf[1] == AF_INET:
        port, addr = _IN_PORT_ADDR.unpack_from(buf)
        return _new(Sockaddr, (AF_INET, (_ntop(_HOST_INET, addr), port)))
    if len(buf) < 2:
        raise einval(f"sockaddr of {len(buf)} bytes is shorter than its 2-byte header")
    sa_len, family = buf[0], buf[1]
    if sa_len < 2:
        raise einval(f"sa_len {sa_len} is shorter than the 2-byte header")
    if sa_len > len(buf):
        raise einval(f"sa_len {sa_len} exceeds the {len(buf)} bytes given")
    if family == AF_INET:  # a well-formed one took the first branch
        raise einval(f"AF_INET sockaddr has sa_len {sa_len}, expected {SIZEOF_SOCKADDR_IN}")
    raw = bytes(buf[:sa_len])
    if family == AF_INET6:
        if sa_len != SIZEOF_SOCKADDR_IN6:
            raise einval(f"AF_INET6 sockaddr has sa_len {sa_len}, expected {SIZEOF_SOCKADDR_IN6}")
        _, _, port, flowinfo, addr = _IN6_HEAD.unpack_from(raw)
        (scope_id,) = _SCOPE.unpack_from(raw, _IN6_HEAD.size)
        return Sockaddr(family, (socket.inet_ntop(socket.AF_INET6, addr), port, flowinfo, scope_id))
    if family == AF_LOCAL:
        if sa_len > SIZEOF_SOCKADDR_UN:
            raise einval(f"AF_LOCAL sockaddr has sa_len {sa_len}, more than {SIZEOF_SOCKADDR_UN}")
        path = raw[2:]
        end = path.find(b"\0")
        return Sockaddr(family, os.fsdecode(path if end < 0 else path[:end]))
    return Sockaddr(family, raw[2:])


__all__ = ["Sockaddr", "encode_sockaddr", "decode_sockaddr", "SUN_PATH_SIZE"]
