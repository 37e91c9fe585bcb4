"""Argument codecs: sizes from FreeBSD-produced vectors, round trips and errors."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path
from typing import Callable, Dict, Tuple

import pytest

from pyngraph.abi import (
    AcceptReply,
    Connect,
    HookList,
    LinkInfo,
    Mkpeer,
    Name,
    NameList,
    NodeInfo,
    Rmhook,
    Sockaddr,
    Sockopt,
    TypeInfo,
    TypeList,
    encode_sockaddr,
)
from pyngraph.abi import constants as c
from pyngraph.abi import structs
from pyngraph.errors import InvalidArgumentError

VECTORS = Path(__file__).resolve().parents[1] / "data"

NODE = NodeInfo("ng0", "ksocket", 0x1A, 1)
LINK = LinkInfo("inet/dgram/udp", "ks", NodeInfo("", "socket", 3, 1))

# (cmdstr, input) of each struct_sizes.json entry -> an encoding of that shape
BUILDERS: Dict[Tuple[str, str], Callable[[], bytes]] = {
    ("mkpeer", "{}"): lambda: Mkpeer("", "", "").encode(),
    ("connect", "{}"): lambda: Connect("", "", "").encode(),
    ("name", "{}"): lambda: Name("").encode(),
    ("rmhook", "{}"): lambda: Rmhook("").encode(),
    ("nodeinfo", "{}"): lambda: NodeInfo("", "", 0, 0).encode(),
    ("listhooks", "{ nodeinfo={ hooks=1 } }"): lambda: HookList(NODE, [LINK]).encode(),
    ("listhooks", "{}"): lambda: HookList(NodeInfo("", "", 0, 0), []).encode(),
    ("listnodes", "{ numnames=1 }"): lambda: NameList([NODE]).encode(),
    ("listtypes", "{ numtypes=1 }"): lambda: TypeList([TypeInfo("ksocket", 1)]).encode(),
    ("bind", "inet/1.2.3.4"): lambda: encode_sockaddr(c.AF_INET, ("1.2.3.4", 0)),
    ("bind", 'local/"abc"'): lambda: encode_sockaddr(c.AF_LOCAL, "abc"),
    ("setopt", "{ level=1 name=2 }"): lambda: Sockopt(1, 2, bytes(12)).encode(),
    ("accept", "{ addr={ len=16 family=2 } }"): lambda: AcceptReply(0, encode_sockaddr(c.AF_INET, ("0.0.0.0", 0))).encode(),
    ("listen", "1"): lambda: (1).to_bytes(4, "little"),
}
CTYPES_OF = {
    "struct ngm_mkpeer": structs.ngm_mkpeer,
    "struct ngm_connect": structs.ngm_connect,
    "struct ngm_name": structs.ngm_name,
    "struct ngm_rmhook": structs.ngm_rmhook,
    "struct nodeinfo": structs.nodeinfo,
    "struct hooklist, 0 hooks": structs.hooklist,
    "struct sockaddr_in": structs.sockaddr_in,
}


def _size_vectors():
    with (VECTORS / "struct_sizes.json").open(encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.parametrize("vector", _size_vectors(), ids=lambda v: f"{v['cmdstr']}:{v['what']}")
def test_encoded_size_matches_freebsd(vector) -> None:
    assert len(BUILDERS[(vector["cmdstr"], vector["input"])]()) == vector["binary_size"]
    if vector["what"] in CTYPES_OF:
        assert ctypes.sizeof(CTYPES_OF[vector["what"]]) == vector["binary_size"]


@pytest.mark.parametrize(
    "value",
    [
        Mkpeer("ksocket", "ks", "inet/dgram/udp"),
        Mkpeer("t" * 31, "o" * 31, "p" * 31),
        Connect("a" * 511, "h" * 31, "x"),
        Connect(".:", "", ""),
        Name("n" * 31),
        Rmhook("ks"),
        NODE,
        NodeInfo("", "", 0xFFFFFFFF, 0xFFFFFFFF),
        LINK,
        HookList(NODE._replace(hooks=2), [LINK, LINK._replace(ourhook="b")]),
        NameList([]),
        NameList([NODE, NODE._replace(id=2)]),
        TypeInfo("socket", 4),
        TypeList([TypeInfo("socket", 1), TypeInfo("ksocket", 2)]),
        Sockopt(c.SOL_SOCKET, c.SO_REUSEADDR, (1).to_bytes(4, "little")),
        Sockopt(-1, -2),
        AcceptReply(7, encode_sockaddr(c.AF_INET6, ("::1", 80))),
    ],
    ids=lambda v: type(v).__name__,
)
def test_round_trip(value) -> None:
    assert type(value).decode(value.encode()) == value


def test_mkpeer_layout() -> None:
    raw = Mkpeer("ksocket", "ks", "inet/dgram/udp").encode()
    assert raw[:8] == b"ksocket\0" and raw[32:35] == b"ks\0" and raw[64:79] == b"inet/dgram/udp\0"


def test_nodeinfo_layout_is_host_order() -> None:
    raw = NodeInfo("a", "b", 0x01020304, 5).encode()
    assert raw[64:72] == (0x01020304).to_bytes(4, "little") + (5).to_bytes(4, "little")


def test_fields_without_nul_read_as_the_kernel_does() -> None:
    assert Name.decode(b"n" * 32) == Name("n" * 31)
    assert Mkpeer.decode(b"k" * 96) == Mkpeer("k" * 31, "k" * 31, "k" * 31)
    assert Rmhook.decode(b"ab\0cd".ljust(32, b"\0")) == Rmhook("ab")


def test_hooklist_writes_the_link_count() -> None:
    raw = HookList(NODE._replace(hooks=9), [LINK]).encode()
    assert len(raw) == 72 + 136 and HookList.decode(raw) == HookList(NODE._replace(hooks=1), [LINK])


def test_variable_replies_ignore_slack_after_the_counted_entries() -> None:
    # The kernel sizes LISTHOOKS for every hook but counts only the valid ones.
    raw = HookList(NODE, [LINK]).encode() + bytes(136)
    assert HookList.decode(raw) == HookList(NODE, [LINK])
    assert NameList.decode(NameList([NODE]).encode() + bytes(72)) == NameList([NODE])


def test_accept_reply_decodes_its_address() -> None:
    reply = AcceptReply.decode(bytes.fromhex("05000000") + encode_sockaddr(c.AF_INET, ("127.0.0.1", 12345)))
    assert reply.nodeid == 5 and len(reply.addr) == 16
    assert reply.sockaddr() == Sockaddr(c.AF_INET, ("127.0.0.1", 12345))


@pytest.mark.parametrize(
    "value, text",
    [
        (Mkpeer("t" * 32, "", ""), "type"),
        (Mkpeer("ksocket", "o" * 32, ""), "ourhook"),
        (Mkpeer("ksocket", "ks", "p" * 32), "peerhook"),
        (Connect("a" * 512, "", ""), "path"),
        (Name("a\0b"), "NUL"),
        (Rmhook("\u0100"), "latin-1"),
        (NodeInfo("", "", -1, 0), "nodeinfo"),
        (NodeInfo("", "", 0, 2**32), "nodeinfo"),
        (TypeInfo("x", -1), "typeinfo"),
        (Sockopt(2**31, 0), "ng_ksocket_sockopt"),
        (AcceptReply(2**32, b""), "ng_ksocket_accept"),
    ],
)
def test_encode_refuses(value, text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=text):
        value.encode()


@pytest.mark.parametrize(
    "codec, raw, text",
    [
        (Mkpeer, bytes(95), "ngm_mkpeer: 95 bytes, expected 96"),
        (Mkpeer, bytes(97), "expected 96"),
        (Connect, bytes(575), "ngm_connect"),
        (Name, bytes(31), "ngm_name"),
        (Rmhook, bytes(33), "ngm_rmhook"),
        (NodeInfo, bytes(71), "nodeinfo"),
        (LinkInfo, bytes(135), "linkinfo"),
        (TypeInfo, bytes(35), "typeinfo"),
        (HookList, bytes(71), "hooklist: truncated"),
        (HookList, NodeInfo("", "", 1, 2).encode() + bytes(136), "hooklist with 2 linkinfo: truncated"),
        (NameList, bytes(3), "namelist: truncated"),
        (NameList, (1).to_bytes(4, "little") + bytes(71), "namelist with 1 nodeinfo: truncated"),
        (TypeList, b"", "typelist: truncated"),
        (TypeList, (2).to_bytes(4, "little") + bytes(36), "typelist with 2 typeinfo: truncated"),
        (Sockopt, bytes(7), "ng_ksocket_sockopt: truncated"),
        (AcceptReply, bytes(3), "ng_ksocket_accept: truncated"),
    ],
)
def test_decode_rejects(codec, raw: bytes, text: str) -> None:
    with pytest.raises(InvalidArgumentError, match=text):
        codec.decode(raw)
