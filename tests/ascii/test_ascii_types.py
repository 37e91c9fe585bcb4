"""Parse-type behaviour that the FreeBSD vectors do not pin down, derived from ng_parse.c."""

from __future__ import annotations

import sys

import pytest

from pyngraph.abi.constants import Errno
from pyngraph.ascii import ParseError
from pyngraph.abi.args import NameList
from pyngraph.abi.nodetypes.ng_hole import HoleHookStat
from pyngraph.abi.nodetypes.ng_tee import TeeStats
from pyngraph.ascii.derive import parse_type
from pyngraph.ascii.lexer import c_text, encode_string, string_token, strtonum
from pyngraph.ascii.sockaddr import SOCKADDR
from pyngraph.ascii.types import (
    HINT64, INT8, INT16, INT64, STRING, UINT8, UINT64, Field, FixedArrayType, StructType,
)
from pyngraph.errors import InvalidArgumentError, NetgraphError

HOLE_HOOKSTAT, NAMELIST, TEE_STATS = parse_type(HoleHookStat), parse_type(NameList), parse_type(TeeStats)

little = pytest.mark.skipif(sys.byteorder != "little", reason="expected bytes are little endian")


def errno_of(fn) -> int:
    with pytest.raises(NetgraphError) as info:
        fn()
    return info.value.fbsd_errno


# --- strings ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [r'"\x00"', r'"\000"', r'"a\x100"', r'"\400"', r'"\x0000"'])
def test_multi_digit_escape_of_zero_ends_the_string(text: str) -> None:
    # FreeBSD decodes escapes in place; a NUL written by a multi-digit escape ends
    # its scan before the closing quote, so the string counts as unterminated.
    assert string_token(c_text(text.encode()), 0) is None
    assert errno_of(lambda: SOCKADDR.to_binary("local/" + text)) == Errno.EINVAL


@pytest.mark.parametrize("text, value", [(r'"\0"', b"\0"), (r'"\x"', b"\0"), (r'"a\0b"', b"a\0b")])
def test_single_char_escape_of_zero_is_kept(text: str, value: bytes) -> None:
    tok = string_token(c_text(text.encode()), 0)
    assert tok is not None and tok[0] == value


def test_string_token_counts_like_freebsd() -> None:
    # One short for \x.., \\ and \q; exact for \t and octal.
    for text, short in [(r'"\x41"', 1), (r'"\\"', 1), (r'"\q"', 1), (r'"\t"', 0), (r'"\101"', 0),
                        (r'"\x41\\\q"', 3)]:
        value, start, counted = string_token(c_text(text.encode()), 0)
        assert (start, counted) == (0, len(text) - short), text


def test_encode_string_escapes() -> None:
    assert encode_string(b'a"\\\t\n\r\v\f\x00\x7f\x80 ~') == r'"a\"\\\t\n\r\v\f\x00\x7f\x80 ~"'


def test_string_type_round_trip() -> None:
    assert STRING.to_binary('"a\\tb" trailing') == b"a\tb\0"
    assert STRING.to_text(b"a\tb\0") == '"a\\tb"'
    assert errno_of(lambda: STRING.to_binary("abc")) == Errno.EINVAL


# --- numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, unsigned, value, used", [
    ("0x", False, 0, 0), ("0xg", False, 0, 0), ("0x1g", False, 1, 3), ("08", False, 0, 1),
    ("-1", True, 2**64 - 1, 2), (" +7", False, 7, 3), ("- 5", False, 0, 0),
    ("99999999999999999999", False, 2**63 - 1, 20), ("-99999999999999999999", False, -2**63, 21),
    ("99999999999999999999", True, 2**64 - 1, 20),
])
def test_strtonum_is_the_kernels(text: str, unsigned: bool, value: int, used: int) -> None:
    assert strtonum(c_text(text.encode()), 0, 0, unsigned=unsigned) == (value, used)


@little
def test_uint64_parses_signed_and_saturates() -> None:
    # FreeBSD parses every 64-bit integer with strtoq: 2**64-1 saturates to 2**63-1,
    # although it renders the stored value unsigned.
    assert UINT64.to_binary("18446744073709551615") == (2**63 - 1).to_bytes(8, "little")
    assert UINT64.to_text(b"\xff" * 8) == "18446744073709551615"
    assert UINT64.to_binary("-1") == b"\xff" * 8
    assert INT64.to_text(b"\xff" * 8) == "-1"
    assert HINT64.to_text(b"\xff" * 8) == "0xffffffffffffffff"


def test_small_int_ranges() -> None:
    assert UINT8.to_binary("-128") == b"\x80" and UINT8.to_text(b"\x80") == "128"
    assert INT8.to_text(b"\x80") == "-128"
    assert errno_of(lambda: INT8.to_binary("256")) == Errno.EINVAL
    assert errno_of(lambda: INT16.to_binary("-32769")) == Errno.EINVAL
    assert errno_of(lambda: INT8.to_binary('"7"')) == Errno.EINVAL


# --- structs: alignment, padding, defaults ---------------------------------------------

PAIR = StructType([Field("a", INT8), Field("b", INT64)])
NESTED = StructType([Field("c", INT8), Field("p", PAIR), Field("d", INT16)])


@little
def test_int64_alignment_and_padding() -> None:
    assert PAIR.align == 8
    assert PAIR.to_binary("{ b=2 a=1 }") == b"\x01" + bytes(7) + (2).to_bytes(8, "little")
    assert PAIR.to_text(PAIR.to_binary("{ b=2 a=1 }")) == "{ a=1 b=2 }"


@little
def test_nested_struct_alignment() -> None:
    data = NESTED.to_binary("{ d=-1 p={ b=3 } c=1 }")
    # c at 0, p (align 8) at 8 with b at 16, d at 24; total padded to 32.
    assert len(data) == 32
    assert data[0] == 1 and data[16:24] == (3).to_bytes(8, "little") and data[24:26] == b"\xff\xff"
    assert not any(data[1:16]) and not any(data[26:])
    assert NESTED.to_text(data) == "{ c=1 p={ b=3 } d=-1 }"
    assert NESTED.default_value() == bytes(32)


def test_fixed_array() -> None:
    arr = FixedArrayType(UINT8, 4)
    assert arr.to_binary("[ 1 3=4 ]") == b"\x01\x00\x00\x04"
    assert arr.to_text(b"\x01\x00\x00\x04") == "[ 1 3=4 ]"
    assert arr.to_text(bytes(4)) == "[]"
    assert errno_of(lambda: arr.to_binary("[ 1 2 3 4 5 ]")) == Errno.E2BIG
    assert errno_of(lambda: arr.to_binary("[ 1=1 1=2 ]")) == Errno.EALREADY
    assert errno_of(lambda: arr.to_binary('[ "x" ]')) == Errno.EINVAL  # strings need an index


def test_array_index_blank_before_equals() -> None:
    # FreeBSD skips the index word and '=' by their lengths only: "1 =5" leaves "=5".
    assert errno_of(lambda: FixedArrayType(UINT8, 4).to_binary("[ 1 =5 ]")) == Errno.EINVAL


@little
def test_stats_structs() -> None:
    assert HOLE_HOOKSTAT.to_text((3).to_bytes(8, "little") + (180).to_bytes(8, "little")) == \
        "{ frames=3 octets=180 }"
    text = "{ right={ inOctets=1500 inFrames=1 } left={ outOctets=1500 outFrames=1 } }"
    data = TEE_STATS.to_binary(text)
    assert len(data) == 128
    assert data[0:8] == (1500).to_bytes(8, "little") and data[32 + 16:32 + 24] == (1500).to_bytes(8, "little")
    assert TEE_STATS.to_text(data) == text
    assert TEE_STATS.to_text(bytes(128)) == "{}"


def test_negative_count_renders_empty_array_and_refuses_parse() -> None:
    assert NAMELIST.to_text(b"\xff\xff\xff\xff") == "{ numnames=4294967295 nodeinfo=[] }"
    assert errno_of(lambda: NAMELIST.to_binary("{ numnames=0xffffffff }")) == Errno.ENOMEM


def test_binary_buffer_limit() -> None:
    assert errno_of(lambda: NAMELIST.to_binary("{ numnames=1000 }")) == Errno.ERANGE
    assert len(NAMELIST.to_binary("{ numnames=284 }")) == 4 + 72 * 284


def test_short_binary_is_refused() -> None:
    assert errno_of(lambda: PAIR.to_text(b"\x01\x00")) == Errno.EINVAL
    assert errno_of(lambda: SOCKADDR.to_text(b"\x01")) == Errno.EINVAL
    assert errno_of(lambda: SOCKADDR.to_text(b"\x01\x01")) == Errno.EINVAL  # sun_len 1


# --- errors ----------------------------------------------------------------------------------

def test_parse_error_points_at_the_column() -> None:
    with pytest.raises(ParseError) as info:
        SOCKADDR.to_binary("{ len=4 family=7 foo=1 }")
    err = info.value
    assert err.fbsd_errno == Errno.ENOENT and err.column == 17
    lines = str(err).splitlines()
    assert lines[-2].strip() == "{ len=4 family=7 foo=1 }"
    assert lines[-1].index("^") == lines[-2].index("foo")


def test_parse_error_column_counts_characters() -> None:
    with pytest.raises(ParseError) as info:
        SOCKADDR.to_binary('{ len="é" foo=1 }')
    assert info.value.column == 10


def test_einval_is_an_invalid_argument_error() -> None:
    with pytest.raises(InvalidArgumentError) as info:
        INT8.to_binary("x")
    assert isinstance(info.value, ParseError) and isinstance(info.value, OSError)
    assert info.value.column == 0
