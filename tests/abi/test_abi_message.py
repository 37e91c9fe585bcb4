"""NgMesg: the 56-byte header, the examples of abi.md §1.12 and §9, and every error."""

from __future__ import annotations

import errno

import pytest

from pyngraph.abi import HEADER_SIZE, Mkpeer, NgMesg, constants as c
from pyngraph.abi.nodetypes import ng_ksocket
from pyngraph.errors import InvalidArgumentError


def test_mkpeer_request_header_matches_abi_example() -> None:
    msg = NgMesg(c.NGM_MKPEER, c.NGM_GENERIC_COOKIE, Mkpeer("ksocket", "ks", "inet/dgram/udp").encode(),
                 token=1, cmdstr="cmd2")
    wire = msg.encode()
    assert len(wire) == 152
    expected = bytes.fromhex("08 00 00 00 60 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00 1e 51 c6 43 63 6d 64 32")
    assert wire[:HEADER_SIZE] == expected.ljust(HEADER_SIZE, b"\0")
    assert bytes(msg) == wire


def test_async_connect_completion_matches_abi_example() -> None:
    wire = bytes.fromhex("08 00 00 00 04 00 00 00 04 00 00 00 01 00 00 00 07 00 00 00 8d 9f 30 38")
    wire += b"NGM_KSOCKET_CONNECT".ljust(32, b"\0") + bytes.fromhex("3d 00 00 00")
    msg = NgMesg.decode(wire)
    assert msg == NgMesg(ng_ksocket.NGM_KSOCKET_CONNECT, ng_ksocket.NGM_KSOCKET_COOKIE, (61).to_bytes(4, "little"),
                         flags=c.NGF_RESP, token=7, cmdstr="NGM_KSOCKET_CONNECT")
    assert msg.is_response and msg.arglen == 4
    assert msg.encode() == wire


def test_reply_keeps_cmd_cookie_token_cmdstr() -> None:
    request = NgMesg(ng_ksocket.NGM_KSOCKET_GETNAME, ng_ksocket.NGM_KSOCKET_COOKIE, token=9, cmdstr="getname")
    sin = bytes.fromhex("10 02 30 39 7f 00 00 01") + bytes(8)
    reply = request.reply(sin)
    assert not request.is_response
    assert reply == NgMesg(ng_ksocket.NGM_KSOCKET_GETNAME, ng_ksocket.NGM_KSOCKET_COOKIE, sin, c.NGF_RESP, 9, "getname")
    assert len(reply.encode()) == 72  # abi.md §9: GETNAME reply of a sockaddr_in


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_decode_accepts_any_buffer(kind) -> None:
    msg = NgMesg(c.NGM_NODEINFO, c.NGM_GENERIC_COOKIE, b"xyz", token=0xFFFFFFFF, cmdstr="nodeinfo")
    decoded = NgMesg.decode(kind(msg.encode()))
    assert decoded == msg and type(decoded.data) is bytes


def test_decode_reads_spare_fields_and_cmdstr_to_first_nul() -> None:
    wire = bytearray(NgMesg(1, 2, cmdstr="ab").encode())
    wire[1], wire[2:4] = 5, (0x1234).to_bytes(2, "little")
    wire[24 + 3] = ord("z")  # after the NUL: not part of cmdstr
    msg = NgMesg.decode(bytes(wire))
    assert (msg.spare, msg.spare2, msg.cmdstr) == (5, 0x1234, "ab")


def test_cmdstr_without_nul_counts_31_characters() -> None:
    wire = bytearray(NgMesg(1, 2).encode())
    wire[24:56] = b"c" * 32
    assert NgMesg.decode(bytes(wire)).cmdstr == "c" * 31


def test_decode_header_leaves_arglen_to_the_caller() -> None:
    wire = NgMesg(3, 4, b"abcd", token=5).encode()
    msg, arglen = NgMesg.decode_header(wire[:-2])
    assert arglen == 4 and msg.data == b"" and (msg.cmd, msg.typecookie, msg.token) == (3, 4, 5)


def _einval(excinfo: pytest.ExceptionInfo, text: str) -> None:
    err = excinfo.value
    assert isinstance(err, InvalidArgumentError) and isinstance(err, OSError)
    assert err.errno == errno.EINVAL and err.fbsd_errno == c.Errno.EINVAL
    assert text in str(err)


@pytest.mark.parametrize("size", [0, 1, 55])
def test_short_header_is_einval(size: int) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        NgMesg.decode(bytes([8]) + bytes(size - 1) if size else b"")
    _einval(excinfo, "shorter than the 56-byte header")


@pytest.mark.parametrize("version", [0, 7, 9, 255])
def test_wrong_version_is_einval(version: int) -> None:
    wire = NgMesg(1, 2, version=version).encode()
    with pytest.raises(InvalidArgumentError) as excinfo:
        NgMesg.decode(wire)
    _einval(excinfo, f"version {version}")


@pytest.mark.parametrize("cut", [-1, 1])
def test_arglen_mismatch_is_einval(cut: int) -> None:
    wire = NgMesg(1, 2, b"1234").encode()
    wire = wire[:cut] if cut < 0 else wire + b"x"
    with pytest.raises(InvalidArgumentError) as excinfo:
        NgMesg.decode(wire)
    _einval(excinfo, "arglen 4")


@pytest.mark.parametrize(
    "msg, text",
    [
        (NgMesg(1, 2, cmdstr="x" * 32), "longer than 31"),
        (NgMesg(1, 2, cmdstr="a\0b"), "contains a NUL"),
        (NgMesg(1, 2, cmdstr="\u20ac"), "not latin-1"),
        (NgMesg(2**32, 2), "out of range"),
        (NgMesg(1, -1), "out of range"),
        (NgMesg(1, 2, version=256), "out of range"),
    ],
)
def test_encode_refuses_bad_fields(msg: NgMesg, text: str) -> None:
    with pytest.raises(InvalidArgumentError) as excinfo:
        msg.encode()
    _einval(excinfo, text)


def test_longest_cmdstr_round_trips() -> None:
    msg = NgMesg(1, 2, cmdstr="\xff" * 31)
    assert NgMesg.decode(msg.encode()) == msg
