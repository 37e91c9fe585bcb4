"""FreeBSD <-> host tables, exercised on real host sockets."""

from __future__ import annotations

import errno
import socket
import struct

import pytest

from pyngraph.abi import (
    family_from_host,
    family_to_host,
    sockopt_to_host,
    sockopt_value_from_host,
    socktype_from_host,
    socktype_to_host,
)
from pyngraph.abi import constants as c
from pyngraph.errors import InvalidArgumentError, NetgraphError


def test_families() -> None:
    assert [family_to_host(f) for f in (c.AF_LOCAL, c.AF_INET, c.AF_INET6)] == [
        socket.AF_UNIX, socket.AF_INET, socket.AF_INET6,
    ]
    assert family_from_host(socket.AF_INET6) == 28 and family_from_host(socket.AF_INET) == 2


@pytest.mark.parametrize("func, value", [(family_to_host, c.AF_NETGRAPH), (family_to_host, c.AF_ATM),
                                         (family_from_host, getattr(socket, "AF_PACKET", 17))])
def test_unknown_family_is_eafnosupport(func, value: int) -> None:
    with pytest.raises(NetgraphError) as excinfo:
        func(value)
    assert excinfo.value.errno == errno.EAFNOSUPPORT and excinfo.value.fbsd_errno == c.Errno.EAFNOSUPPORT


def test_socket_types_and_flags() -> None:
    assert socktype_to_host(c.SOCK_SEQPACKET) == socket.SOCK_SEQPACKET
    flagged = socktype_to_host(c.SOCK_STREAM | c.SOCK_NONBLOCK | c.SOCK_CLOEXEC)
    assert flagged == socket.SOCK_STREAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
    assert socktype_from_host(socket.SOCK_DGRAM) == c.SOCK_DGRAM
    with pytest.raises(NetgraphError) as excinfo:
        socktype_to_host(6)
    assert excinfo.value.errno == errno.ESOCKTNOSUPPORT


@pytest.mark.parametrize(
    "family, socktype, level, name, value",
    [
        (socket.AF_INET, socket.SOCK_DGRAM, c.SOL_SOCKET, c.SO_REUSEADDR, 1),
        (socket.AF_INET, socket.SOCK_DGRAM, c.SOL_SOCKET, c.SO_BROADCAST, 1),
        (socket.AF_INET, socket.SOCK_STREAM, c.SOL_SOCKET, c.SO_KEEPALIVE, 1),
        (socket.AF_INET, socket.SOCK_DGRAM, c.SOL_SOCKET, c.SO_REUSEPORT, 1),
        (socket.AF_INET, socket.SOCK_DGRAM, c.IPPROTO_IP, c.IP_TTL, 7),
        (socket.AF_INET, socket.SOCK_DGRAM, c.IPPROTO_IP, c.IP_TOS, 0x10),
        (socket.AF_INET, socket.SOCK_DGRAM, c.IPPROTO_IP, c.IP_MULTICAST_TTL, 3),
        (socket.AF_INET6, socket.SOCK_DGRAM, c.IPPROTO_IPV6, c.IPV6_V6ONLY, 1),
        (socket.AF_INET6, socket.SOCK_DGRAM, c.IPPROTO_IPV6, c.IPV6_UNICAST_HOPS, 9),
        (socket.AF_INET6, socket.SOCK_DGRAM, c.IPPROTO_IPV6, c.IPV6_TCLASS, 0x20),
        (socket.AF_INET, socket.SOCK_STREAM, c.IPPROTO_TCP, c.TCP_NODELAY, 1),
        (socket.AF_INET, socket.SOCK_STREAM, c.IPPROTO_TCP, c.TCP_KEEPIDLE, 77),
        (socket.AF_INET, socket.SOCK_STREAM, c.IPPROTO_TCP, c.TCP_KEEPINTVL, 5),
        (socket.AF_INET, socket.SOCK_STREAM, c.IPPROTO_TCP, c.TCP_KEEPCNT, 4),
    ],
)
def test_translated_option_works_on_a_real_socket(family, socktype, level, name, value) -> None:
    host_level, host_name = sockopt_to_host(level, name)
    with socket.socket(family, socktype) as sock:
        sock.setsockopt(host_level, host_name, value)
        assert sock.getsockopt(host_level, host_name) == value


@pytest.mark.parametrize(
    "level, name",
    [
        (c.SOL_SOCKET, c.SO_USELOOPBACK),
        (c.SOL_SOCKET, c.SO_NOSIGPIPE),
        (c.SOL_SOCKET, c.SO_SETFIB),
        (c.IPPROTO_TCP, c.TCP_NOOPT),
        (c.IPPROTO_IP, c.IP_ADD_SOURCE_MEMBERSHIP),
        (c.IPPROTO_UDP, 1),
        (1, c.SO_REUSEADDR),  # Linux's SOL_SOCKET number is not FreeBSD's
    ],
)
def test_unknown_option_is_enoprotoopt(level: int, name: int) -> None:
    with pytest.raises(NetgraphError) as excinfo:
        sockopt_to_host(level, name)
    assert excinfo.value.errno == errno.ENOPROTOOPT and excinfo.value.fbsd_errno == c.Errno.ENOPROTOOPT


def _get(sock: socket.socket, name: int) -> bytes:
    level, host_name = sockopt_to_host(c.SOL_SOCKET, name)
    return sockopt_value_from_host(c.SOL_SOCKET, name, sock.getsockopt(level, host_name, 4))


def test_values_translated_from_a_real_socket() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        assert struct.unpack("=i", _get(sock, c.SO_DOMAIN)) == (c.AF_INET6,)
        assert struct.unpack("=i", _get(sock, c.SO_TYPE)) == (c.SOCK_DGRAM,)
        assert struct.unpack("=i", _get(sock, c.SO_ERROR)) == (0,)
        assert struct.unpack("=i", _get(sock, c.SO_PROTOCOL)) == (c.IPPROTO_UDP,)


@pytest.mark.parametrize("level, name, bit", [
    (c.SOL_SOCKET, c.SO_REUSEADDR, 0x4), (c.SOL_SOCKET, c.SO_KEEPALIVE, 0x8),
    (c.SOL_SOCKET, c.SO_BROADCAST, 0x20), (c.SOL_SOCKET, c.SO_REUSEPORT, 0x200),
    (c.IPPROTO_TCP, c.TCP_NODELAY, 0x4), (c.IPPROTO_TCP, c.TCP_NOPUSH, 0x1000),
])
def test_flag_options_report_freebsds_bit(level: int, name: int, bit: int) -> None:
    # sogetopt: so_options & name; tcp_default_ctloutput: t_flags & TF_*; Linux says 1.
    assert sockopt_value_from_host(level, name, struct.pack("=i", 1)) == struct.pack("=i", bit)
    assert sockopt_value_from_host(level, name, struct.pack("=i", 0)) == struct.pack("=i", 0)


def test_linger_reports_so_linger_in_l_onoff() -> None:
    value = sockopt_value_from_host(c.SOL_SOCKET, c.SO_LINGER, struct.pack("=ii", 1, 7))
    assert struct.unpack("=ii", value) == (c.SO_LINGER, 7)


def test_so_error_is_an_errno_to_translate() -> None:
    host = struct.pack("=i", errno.ECONNREFUSED)
    assert sockopt_value_from_host(c.SOL_SOCKET, c.SO_ERROR, host) == struct.pack("=i", c.Errno.ECONNREFUSED)
    assert sockopt_value_from_host(c.IPPROTO_IP, c.IP_TTL, b"\x40\0\0\0") == b"\x40\0\0\0"
    with pytest.raises(InvalidArgumentError, match="expected 4"):
        sockopt_value_from_host(c.SOL_SOCKET, c.SO_TYPE, b"\0")
