"""The ksocket hook-name grammar (abi.md §3), including strtoul's quirks."""

from __future__ import annotations

import re

import pytest

from pyngraph.abi import HookSpec, make_hookname, parse_hookname
from pyngraph.abi.constants import Family, Proto, SockType
from pyngraph.errors import InvalidArgumentError


@pytest.mark.parametrize(
    "name, spec",
    [
        ("inet/dgram/udp", (2, 2, 17)),
        ("inet/stream/tcp", (2, 1, 6)),
        ("inet/raw/raw", (2, 3, 255)),
        ("inet/raw/ip", (2, 3, 0)),
        ("inet6/stream/6", (28, 1, 6)),
        ("inet6/dgram/17", (28, 2, 17)),
        ("local/dgram/0", (1, 2, 0)),
        ("local/seqpacket/", (1, 5, 0)),
        ("inet/dgram/", (2, 2, 0)),
        ("//", (0, 0, 0)),
        ("2/dgram/udp", (2, 2, 17)),
        ("inet/2/17", (2, 2, 17)),
        ("30/dgram/0", (30, 2, 0)),
        ("atm/rdm/1", (30, 4, 1)),
        ("divert/raw/0", (44, 3, 0)),
        (" 2/\t+2/\n17", (2, 2, 17)),
        ("+0/0/0", (0, 0, 0)),
        ("inet/dgram/2147483647", (2, 2, 2**31 - 1)),
        ("inet/dgram/4294967297", (2, 2, 1)),  # LP64: wraps to the low 32 bits
        ("inet/dgram/-4294967295", (2, 2, 1)),  # strtoul negates modulo 2^64
        ("inet/dgram/0017", (2, 2, 17)),
    ],
)
def test_valid_names(name: str, spec) -> None:
    assert parse_hookname(name) == HookSpec(*spec)


@pytest.mark.parametrize(
    "name, text",
    [
        ("inet/dgram", "no '/' after the type"),
        ("inet", "no '/' after the family"),
        ("", "no '/' after the family"),
        ("inet6/stream/tcp", "protocol 'tcp'"),
        ("inet6/dgram/udp", "protocol 'udp'"),
        ("local/stream/ip", "protocol 'ip'"),
        ("28/dgram/udp", "protocol 'udp'"),
        ("INET/dgram/udp", "family 'INET'"),
        ("inet/DGRAM/udp", "type 'DGRAM'"),
        ("inet/dgram/udp/x", "protocol 'udp/x'"),
        ("foo/dgram/udp", "family 'foo'"),
        ("inet/dgram/0x11", "protocol '0x11'"),
        ("inet/dgram/-1", "protocol '-1'"),
        ("inet/dgram/2147483648", "protocol '2147483648'"),
        ("inet/dgram/4294967295", "protocol '4294967295'"),
        ("inet/dgram/18446744073709551616", "protocol"),  # > ULONG_MAX saturates
        ("inet/dgram/ ", "protocol ' '"),
        ("inet/+/0", "type '+'"),
        ("inet/dgram/17 ", "protocol '17 '"),
        ("inet/dgram/" + "1" * 21, "longer than 31"),
    ],
)
def test_invalid_names(name: str, text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape(text)):
        parse_hookname(name)


@pytest.mark.parametrize(
    "spec, name",
    [
        ((Family.INET, SockType.DGRAM, Proto.UDP), "inet/dgram/udp"),
        ((Family.INET, SockType.STREAM, Proto.TCP), "inet/stream/tcp"),
        ((Family.INET, SockType.RAW, Proto.RAW), "inet/raw/raw"),
        ((Family.INET, SockType.DGRAM, 200), "inet/dgram/200"),
        ((Family.INET6, SockType.DGRAM, Proto.UDP), "inet6/dgram/17"),
        ((Family.LOCAL, SockType.SEQPACKET, 0), "local/seqpacket/0"),
        ((Family.NETGRAPH, 9, 0), "32/9/0"),
    ],
)
def test_make_hookname(spec, name: str) -> None:
    assert make_hookname(*spec) == name
    assert parse_hookname(name) == HookSpec(*spec)


@pytest.mark.parametrize("spec", [(-1, 2, 17), (2, 2**31, 0), (2, 2, "udp"), (2**31 - 1, 2**31 - 1, 2**31 - 1)])
def test_make_hookname_refuses_what_freebsd_cannot_parse(spec) -> None:
    with pytest.raises(InvalidArgumentError):
        make_hookname(*spec)
