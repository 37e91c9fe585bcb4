"""BSD sockaddrs: FreeBSD bytes <-> socket-module shapes, checked against real sockets."""

from __future__ import annotations

import socket
import sys

import pytest

from pyngraph.abi import Sockaddr, decode_sockaddr, encode_sockaddr
from pyngraph.abi import constants as c
from pyngraph.errors import InvalidArgumentError


def test_inet_matches_abi_example() -> None:
    raw = encode_sockaddr(c.AF_INET, ("127.0.0.1", 12345))
    assert raw == bytes.fromhex("10 02 30 39 7f 00 00 01 00 00 00 00 00 00 00 00")
    assert decode_sockaddr(raw) == Sockaddr(c.AF_INET, ("127.0.0.1", 12345))


def test_inet6_layout() -> None:
    raw = encode_sockaddr(c.AF_INET6, ("fe80::1", 0x1234, 0x000ABCDE, 3))
    assert len(raw) == 28 and raw[:4] == bytes.fromhex("1c 1c 12 34")
    assert raw[4:8] == bytes.fromhex("00 0a bc de")  # flowinfo: network order
    assert raw[8:24] == socket.inet_pton(socket.AF_INET6, "fe80::1")
    assert raw[24:] == (3).to_bytes(4, sys.byteorder)  # scope: host order
    assert decode_sockaddr(raw) == Sockaddr(c.AF_INET6, ("fe80::1", 0x1234, 0x000ABCDE, 3))


def test_inet6_two_tuple_means_zero_flow_and_scope() -> None:
    assert encode_sockaddr(c.AF_INET6, ("::1", 80)) == encode_sockaddr(c.AF_INET6, ("::1", 80, 0, 0))


def test_local_is_two_plus_path_bytes_without_nul() -> None:
    assert encode_sockaddr(c.AF_LOCAL, "abc") == bytes.fromhex("05 01 61 62 63")
    longest = "/" + "p" * 103
    raw = encode_sockaddr(c.AF_LOCAL, longest)
    assert raw[0] == 106 and decode_sockaddr(raw) == Sockaddr(c.AF_LOCAL, longest)


def test_local_path_stops_at_nul_padding() -> None:
    raw = bytes((16, c.AF_LOCAL)) + b"/tmp/s".ljust(14, b"\0")
    assert decode_sockaddr(raw) == Sockaddr(c.AF_LOCAL, "/tmp/s")


def test_other_families_are_raw_sa_data() -> None:
    ng = bytes.fromhex("10 20 5b 31 61 5d 3a 00 00 00 00 00 00 00 00 00")  # "[1a]:" (abi.md §1.12)
    assert decode_sockaddr(ng) == Sockaddr(c.AF_NETGRAPH, b"[1a]:" + bytes(9))
    hook = bytes.fromhex("05 20 6b 73 00")
    assert decode_sockaddr(hook) == Sockaddr(c.AF_NETGRAPH, b"ks\0")
    assert encode_sockaddr(c.AF_NETGRAPH, b"ks\0") == hook


def test_bytes_after_sa_len_are_ignored() -> None:
    raw = encode_sockaddr(c.AF_INET, ("10.0.0.1", 1)) + b"junk"
    assert decode_sockaddr(raw) == Sockaddr(c.AF_INET, ("10.0.0.1", 1))


@pytest.mark.parametrize("family, host", [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_real_socket_name_round_trips(family: int, host: str) -> None:
    fbsd = {socket.AF_INET: c.AF_INET, socket.AF_INET6: c.AF_INET6}[family]
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, 0))
        except OSError as exc:
            pytest.skip(f"no {host} on this host: {exc}")
        name = sock.getsockname()
        assert decode_sockaddr(encode_sockaddr(fbsd, name)) == Sockaddr(fbsd, name)


def test_real_unix_socket_path_round_trips(tmp_path) -> None:
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        assert decode_sockaddr(encode_sockaddr(c.AF_LOCAL, sock.getsockname())).address == path


@pytest.mark.parametrize(
    "raw, text",
    [
        (b"", "shorter than its 2-byte header"),
        (b"\x10", "shorter than its 2-byte header"),
        (b"\x01\x02", "sa_len 1"),
        (b"\x10\x02" + bytes(13), "sa_len 16 exceeds the 15 bytes"),
        (b"\x08\x02" + bytes(6), "AF_INET sockaddr has sa_len 8"),
        (b"\x1c\x02" + bytes(26), "AF_INET sockaddr has sa_len 28"),  # long enough, yet not a sockaddr_in
        (b"\x10\x1c" + bytes(14), "AF_INET6 sockaddr has sa_len 16"),
        (b"\x6b\x01" + bytes(105), "AF_LOCAL sockaddr has sa_len 107"),
    ],
)
def test_decode_rejects(raw: bytes, text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=text):
        decode_sockaddr(raw)


@pytest.mark.parametrize(
    "family, address, text",
    [
        (c.AF_INET, ("1.2.3", 1), "not a numeric IPv4"),
        (c.AF_INET, ("localhost", 1), "not a numeric IPv4"),
        (c.AF_INET, ("::1", 1), "not a numeric IPv4"),
        (c.AF_INET, ("1.2.3.4", 65536), "port"),
        (c.AF_INET, ("1.2.3.4", -1), "port"),
        (c.AF_INET, ("1.2.3.4",), r"not \(host, port\)"),
        (c.AF_INET, (1234, 1), "not a str"),
        (c.AF_INET6, ("1.2.3.4", 1), "not a numeric IPv6"),
        (c.AF_INET6, ("::1", 1, 0), "not \\(host, port"),
        (c.AF_INET6, ("::1", 1, 2**32, 0), "flowinfo"),
        (c.AF_INET6, ("::1", 1, 0, -1), "scope_id"),
        (c.AF_LOCAL, "/" + "p" * 104, "longer than 104"),
        (c.AF_LOCAL, "a\0b", "NUL"),
        (c.AF_LOCAL, 5, "not a path"),
        (c.AF_NETGRAPH, "ks", "raw sa_data"),
        (c.AF_NETGRAPH, bytes(254), "exceeds 255"),
        (256, b"", "not in 0..255"),
    ],
)
def test_encode_rejects(family: int, address, text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=text):
        encode_sockaddr(family, address)
