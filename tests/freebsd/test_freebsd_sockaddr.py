"""sockaddr_ng bytes against worked examples (tests/data/sockaddr_ng.examples) and the kernel's forms."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import List, Tuple

import pytest

from pyngraph.backend.freebsd import sockaddr
from pyngraph.errors import InvalidArgumentError

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "sockaddr_ng.examples"


def _examples() -> List[Tuple[str, bytes]]:
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()
    found = [(text, ast.literal_eval(raw)) for text, raw in (line.split("\t") for line in lines if line)]
    assert len(found) == 4, "four worked examples: a bind name, a node path, a control path, a hook"
    return found


@pytest.mark.parametrize("text,expected", _examples())
def test_build_matches_the_worked_example(text: str, expected: bytes) -> None:
    assert sockaddr.build(text) == expected


@pytest.mark.parametrize("text,expected", _examples())
def test_parse_inverts_build(text: str, expected: bytes) -> None:
    assert sockaddr.parse(expected) == text


def test_sg_len_counts_header_string_and_nul() -> None:
    raw = sockaddr.build("x" * 31)
    assert raw[0] == len(raw) == 2 + 31 + 1
    assert raw[1] == 32


def test_longest_string_that_fits_one_byte_sg_len() -> None:
    assert sockaddr.build("p" * sockaddr.MAX_DATA)[0] == 255
    with pytest.raises(InvalidArgumentError, match="do not fit sg_len"):
        sockaddr.build("p" * (sockaddr.MAX_DATA + 1))


@pytest.mark.parametrize("bad", ["a\0b", "caf\u00e9\u20ac"])
def test_unrepresentable_text_is_einval(bad: str) -> None:
    with pytest.raises(InvalidArgumentError, match="sockaddr_ng build"):
        sockaddr.build(bad)


def test_parse_control_source_address_is_nul_padded_to_16_bytes() -> None:
    # recvfrom on a control socket: sg_len 16, "[1c]:" then NULs (abi.md §5.4).
    assert sockaddr.parse(b"\x10\x20[1c]:" + b"\0" * 9) == "[1c]:"


def test_parse_getsockname_of_a_long_name_gives_it_whole() -> None:
    # FreeBSD 14's ng_getsockaddr fills the whole 34-byte sockaddr_ng (sg_data[32]), NUL-padded;
    # tests/sys/netgraph/socket.c checks a 31-character name comes back whole.
    name = b"abcdefghijklmnopqrstuvwxyz01234"
    raw = bytes((34, 32)) + name + b"\0"
    assert sockaddr.parse(raw) == name.decode()


def test_parse_stops_at_sg_len_before_the_buffer_end() -> None:
    assert sockaddr.parse(b"\x04\x20abcd") == "ab"


def test_parse_of_no_address_is_empty() -> None:
    assert sockaddr.parse(b"") == ""


def test_parse_refuses_another_family() -> None:
    with pytest.raises(InvalidArgumentError, match="not AF_NETGRAPH"):
        sockaddr.parse(b"\x10\x02" + b"\0" * 14)
