"""Socket options by FreeBSD name or enum, value encoding, checked on the real Linux socket."""

from __future__ import annotations

import errno
import socket
import struct
import warnings
from typing import Any

import pytest

from api_support import Api
from pyngraph.abi import constants as C
from pyngraph.api import IP, IPV6, SO, TCP, IpMreq, Ipv6Mreq, Level, Linger, SockoptOrderWarning
from pyngraph.api.sockopt import encode_value, resolve_option
from pyngraph.errors import InvalidArgumentError


def test_names_pairs_and_enums_resolve_to_freebsd_numbers() -> None:
    assert resolve_option("SO_REUSEADDR")[:2] == (0xFFFF, 0x0004)
    assert resolve_option(("SOL_SOCKET", "SO_REUSEPORT"))[:2] == (C.SOL_SOCKET, C.SO_REUSEPORT)
    assert resolve_option(("IPPROTO_IP", "IP_TTL"))[:2] == (0, 4)
    assert resolve_option((Level.IPV6, IPV6.V6ONLY))[:2] == (41, 27)
    assert resolve_option(TCP.NODELAY)[:2] == (6, 1)
    assert resolve_option("IPV6_JOIN_GROUP").label == "IPV6_JOIN_GROUP"
    assert SO.RCVBUF == 0x1002 and IP.ADD_MEMBERSHIP == 12


@pytest.mark.parametrize("spec", [
    socket.SO_REUSEADDR,  # the host's number (2 on Linux): never reinterpreted
    4,
    ("SOL_SOCKET", 4),
    (socket.SOL_SOCKET, "SO_REUSEADDR"),
])
def test_bare_ints_are_refused(spec: object) -> None:
    with pytest.raises(InvalidArgumentError, match="bare int"):
        resolve_option(spec)


@pytest.mark.parametrize("spec", ["SO_NOSUCH", "REUSEADDR", ("IPPROTO_IP", "SO_REUSEADDR"), ("SOL_X", "SO_DEBUG"), 1.5])
def test_unknown_or_mismatched_options_are_refused(spec: object) -> None:
    with pytest.raises(InvalidArgumentError):
        resolve_option(spec)


def test_value_encoding() -> None:
    assert encode_value(1) == struct.pack("=i", 1)
    assert encode_value(True) == struct.pack("=i", 1)
    assert encode_value(Linger(True, 7)) == struct.pack("=ii", 1, 7)
    assert encode_value(IpMreq("239.1.2.3", "127.0.0.1")) == bytes([239, 1, 2, 3, 127, 0, 0, 1])
    assert encode_value(Ipv6Mreq("ff02::1:3", 1)) == socket.inet_pton(socket.AF_INET6, "ff02::1:3") + struct.pack("=I", 1)
    assert encode_value(b"\x01\x02") == b"\x01\x02"
    with pytest.raises(InvalidArgumentError):
        encode_value(IpMreq("not an address"))
    with pytest.raises(InvalidArgumentError):
        encode_value(1 << 40)
    with pytest.raises(InvalidArgumentError):
        encode_value("1")  # type: ignore[arg-type]


def test_setopt_getopt_on_the_real_socket(api: Api, sock: Any) -> None:
    udp = api(sock.ksocket("inet", "dgram", "udp", hook="u"))
    api(udp.setopt("SO_REUSEADDR", 1))
    assert api(udp.getopt("SO_REUSEADDR")) == C.SO_REUSEADDR  # FreeBSD's sogetopt: so_options & name
    api(udp.setopt(("IPPROTO_IP", "IP_TTL"), 77))
    assert api(udp.getopt(IP.TTL)) == 77
    assert api(udp.getopt(IP.TTL, raw=True)) == struct.pack("=i", 77)
    api(udp.setopt(SO.BROADCAST, True))
    assert api(udp.getopt(("SOL_SOCKET", "SO_BROADCAST"))) == C.SO_BROADCAST
    api(udp.setopt("SO_RCVBUF", 65536))
    assert api(udp.getopt("SO_RCVBUF")) == 65536  # sb_hiwat: what was set (Linux would say twice that)
    assert api(udp.getopt("SO_TYPE")) == C.SOCK_DGRAM
    tcp = api(sock.ksocket("inet", "stream", "tcp", hook="t"))
    api(tcp.setopt("SO_LINGER", Linger(True, 5)))
    assert api(tcp.getopt("SO_LINGER")) == Linger(True, 5)
    api(tcp.setopt("TCP_NODELAY", 1))
    assert api(tcp.getopt(TCP.NODELAY)) == C.TF_NODELAY  # tcp_default_ctloutput: t_flags & TF_NODELAY


def test_multicast_membership_values_reach_the_kernel(api: Api, sock: Any) -> None:
    udp = api(sock.ksocket("inet", "dgram", "udp", hook="m"))
    api(udp.bind(("127.0.0.1", 0)))
    api(udp.setopt("IP_ADD_MEMBERSHIP", IpMreq("239.1.2.3", "127.0.0.1")))
    with pytest.raises(OSError) as info:  # the kernel read the group: this one was never joined
        api(udp.setopt("IP_DROP_MEMBERSHIP", IpMreq("239.1.2.4", "127.0.0.1")))
    assert info.value.errno == errno.EADDRNOTAVAIL and info.value.command == "setopt"
    api(udp.setopt("IP_DROP_MEMBERSHIP", IpMreq("239.1.2.3", "127.0.0.1")))


def test_unknown_option_on_the_host_is_an_oserror(api: Api, sock: Any) -> None:
    udp = api(sock.ksocket(hook="x"))
    with pytest.raises(OSError) as info:
        api(udp.setopt("SO_NO_OFFLOAD", 1))  # FreeBSD only, and not a flag the emulator can keep
    assert info.value.errno == errno.ENOPROTOOPT and udp.path in str(info.value)


def test_flag_only_options_are_kept_as_freebsd_reports_them(api: Api, sock: Any) -> None:
    udp = api(sock.ksocket(hook="f"))
    assert api(udp.getopt("SO_NOSIGPIPE")) == 0
    api(udp.setopt("SO_NOSIGPIPE", 1))  # Linux has none; the ksocket never raises SIGPIPE anyway
    assert api(udp.getopt("SO_NOSIGPIPE")) == C.SO_NOSIGPIPE


def test_reuseaddr_after_bind_warns(api: Api, sock: Any) -> None:
    udp = api(sock.ksocket(hook="w"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api(udp.setopt("SO_REUSEADDR", 1))  # before bind: fine
    api(udp.bind(("127.0.0.1", 0)))
    with pytest.warns(SockoptOrderWarning, match="SO_REUSEPORT.*after bind") as record:
        api(udp.setopt(SO.REUSEPORT, 1))
    if api.loop is None:  # the warning points at the user's line (on asyncio, the loop may run it)
        assert record[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        api(udp.setopt("IP_TTL", 9))  # other options: no warning


def test_getopt_refuses_host_ints(api: Api, sock: Any) -> None:
    udp = api(sock.ksocket(hook="h"))
    with pytest.raises(InvalidArgumentError, match="bare int") as info:
        api(udp.getopt(socket.SO_RCVBUF))
    assert info.value.command == "getopt"
