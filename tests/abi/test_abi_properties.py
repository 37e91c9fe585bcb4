"""Property tests: decode(encode(x)) == x, and arbitrary input raises only NetgraphError."""

from __future__ import annotations

import ctypes
import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyngraph.abi import (
    AcceptReply,
    Connect,
    HookList,
    HookSpec,
    LinkInfo,
    Mkpeer,
    Name,
    NameList,
    NgMesg,
    NodeInfo,
    Rmhook,
    Sockaddr,
    Sockopt,
    TypeInfo,
    TypeList,
    decode_sockaddr,
    encode_sockaddr,
    make_hookname,
    parse_hookname,
)
from pyngraph.abi import constants as c
from pyngraph.abi.hookname import _strtoul_int
from pyngraph.errors import NetgraphError

u32 = st.integers(0, 2**32 - 1)
i32 = st.integers(-(2**31), 2**31 - 1)
latin1 = st.characters(min_codepoint=1, max_codepoint=255)


def name(size: int = 32) -> st.SearchStrategy[str]:
    return st.text(latin1, max_size=size - 1)


nodeinfos = st.builds(NodeInfo, name(), name(), u32, u32)
linkinfos = st.builds(LinkInfo, name(), name(), nodeinfos)
hooklists = st.builds(
    lambda node, links: HookList(node._replace(hooks=len(links)), links), nodeinfos, st.lists(linkinfos, max_size=4)
)
inet = st.tuples(st.ip_addresses(v=4).map(str), st.integers(0, 65535))
inet6 = st.tuples(st.ip_addresses(v=6).map(lambda a: socket.inet_ntop(socket.AF_INET6, a.packed)),
                  st.integers(0, 65535), u32, u32)
paths = st.text(st.characters(min_codepoint=1, max_codepoint=127), max_size=104)
sockaddrs = st.one_of(
    inet.map(lambda a: Sockaddr(c.AF_INET, a)),
    inet6.map(lambda a: Sockaddr(c.AF_INET6, a)),
    paths.map(lambda p: Sockaddr(c.AF_LOCAL, p)),
    st.tuples(st.integers(0, 255).filter(lambda f: f not in (c.AF_INET, c.AF_INET6, c.AF_LOCAL)),
              st.binary(max_size=253)).map(lambda t: Sockaddr(*t)),
)

ARGS = {
    Mkpeer: st.builds(Mkpeer, name(), name(), name()),
    Connect: st.builds(Connect, name(512), name(), name()),
    Name: st.builds(Name, name()),
    Rmhook: st.builds(Rmhook, name()),
    NodeInfo: nodeinfos,
    LinkInfo: linkinfos,
    HookList: hooklists,
    NameList: st.builds(NameList, st.lists(nodeinfos, max_size=4)),
    TypeInfo: st.builds(TypeInfo, name(), u32),
    TypeList: st.builds(TypeList, st.lists(st.builds(TypeInfo, name(), u32), max_size=4)),
    Sockopt: st.builds(Sockopt, i32, i32, st.binary(max_size=64)),
    AcceptReply: st.builds(AcceptReply, u32, sockaddrs.map(lambda s: encode_sockaddr(*s))),
}
CODECS = list(ARGS)


@given(st.builds(NgMesg, u32, u32, st.binary(max_size=300), u32, u32, name(), st.just(c.NG_VERSION),
                 st.integers(0, 255), st.integers(0, 65535)))
def test_message_round_trip(msg: NgMesg) -> None:
    wire = msg.encode()
    assert len(wire) == 56 + msg.arglen and NgMesg.decode(wire) == msg


@pytest.mark.parametrize("codec", CODECS, ids=lambda t: t.__name__)
@given(data=st.data())
def test_argument_round_trip(codec, data) -> None:
    value = data.draw(ARGS[codec])
    assert codec.decode(value.encode()) == value


@given(sockaddrs)
def test_sockaddr_round_trip(sa: Sockaddr) -> None:
    raw = encode_sockaddr(*sa)
    assert raw[0] == len(raw) and raw[1] == sa.family and decode_sockaddr(raw) == sa


@given(st.sampled_from([0, 1, 2, 28, 30, 44, 2**31 - 1]), st.integers(0, 2**31 - 1), st.integers(0, 2**31 - 1))
def test_make_then_parse_hookname(family: int, socktype: int, protocol: int) -> None:
    try:
        name = make_hookname(family, socktype, protocol)
    except NetgraphError:  # only when the name cannot fit NG_HOOKSIZ
        assert len(f"{family}/{socktype}/{protocol}") > 31
        return
    assert parse_hookname(name) == HookSpec(family, socktype, protocol)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_decoding_arbitrary_bytes_raises_only_netgraph_error(raw: bytes) -> None:
    decoders = [NgMesg.decode, NgMesg.decode_header, decode_sockaddr] + [codec.decode for codec in CODECS]
    for decode in decoders:
        try:
            decode(raw)
        except NetgraphError:
            pass


@given(st.text(max_size=40))
def test_parsing_arbitrary_hook_names_raises_only_netgraph_error(text: str) -> None:
    try:
        spec = parse_hookname(text)
    except NetgraphError:
        return
    assert all(0 <= v < 2**31 for v in spec)


_libc = ctypes.CDLL(None)
_libc.strtoul.restype = ctypes.c_ulong
_libc.strtoul.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int]


@pytest.mark.skipif(ctypes.sizeof(ctypes.c_ulong) != 8, reason="the kernel rule modelled is LP64's")
@given(st.text(alphabet=" \t\n\v\f\r+-0123456789xa", max_size=24) | st.integers(-(2**70), 2**70).map(str))
def test_component_numbers_follow_the_c_library_strtoul(text: str) -> None:
    raw = text.encode("ascii")
    end = ctypes.c_char_p()
    buf = ctypes.create_string_buffer(raw)
    value = _libc.strtoul(buf, ctypes.byref(end), 10)
    rest = ctypes.cast(end, ctypes.c_void_p).value - ctypes.addressof(buf)
    as_int = ctypes.c_int32(value & 0xFFFFFFFF).value
    expected = -1 if as_int < 0 or rest != len(raw) else as_int
    assert _strtoul_int(text) == expected
