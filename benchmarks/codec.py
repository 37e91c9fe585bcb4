"""Codec: encode + decode of two typical messages with pyngraph.abi vs hand-written ``struct``.

The messages are a generic MKPEER (``struct ngm_mkpeer`` argument) and a
ksocket BIND (an AF_INET sockaddr argument); the baseline packs and unpacks
the same bytes with precompiled ``struct.Struct`` objects and nothing else.
"""

from __future__ import annotations

import socket
import struct
from typing import List

from pyngraph.abi.args import Mkpeer
from pyngraph.abi.constants import (
    AF_INET, NG_CMDSTRSIZ, NG_HOOKSIZ, NG_TYPESIZ, NG_VERSION, NGM_GENERIC_COOKIE, NGM_MKPEER,
)
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_BIND, NGM_KSOCKET_COOKIE
from pyngraph.abi.message import NgMesg
from pyngraph.abi.sockaddr import decode_sockaddr, encode_sockaddr

from .common import Result, rate

_HEADER = struct.Struct(f"=BBHIIIII{NG_CMDSTRSIZ}s")  # struct ng_msghdr
_MKPEER = struct.Struct(f"={NG_TYPESIZ}s{NG_HOOKSIZ}s{NG_HOOKSIZ}s")  # struct ngm_mkpeer
_SIN = struct.Struct("!BBH4s8x")


def ours_mkpeer() -> object:
    raw = NgMesg(NGM_MKPEER, NGM_GENERIC_COOKIE, Mkpeer("ksocket", "k", "inet/dgram/udp").encode(),
                 token=7, cmdstr="mkpeer").encode()
    msg = NgMesg.decode(raw)
    return Mkpeer.decode(msg.data)


def ours_sockaddr() -> object:
    raw = NgMesg(NGM_KSOCKET_BIND, NGM_KSOCKET_COOKIE, encode_sockaddr(AF_INET, ("127.0.0.1", 8080)),
                 token=8, cmdstr="bind").encode()
    msg = NgMesg.decode(raw)
    return decode_sockaddr(msg.data)


def base_mkpeer() -> object:
    raw = _HEADER.pack(NG_VERSION, 0, 0, _MKPEER.size, NGM_MKPEER, 0, 7, NGM_GENERIC_COOKIE, b"mkpeer") + _MKPEER.pack(
        b"ksocket", b"k", b"inet/dgram/udp")
    fields = _HEADER.unpack_from(raw)
    names = _MKPEER.unpack_from(raw, _HEADER.size)
    return fields, [n.rstrip(b"\0").decode("latin-1") for n in names]


def base_sockaddr() -> object:
    raw = _HEADER.pack(NG_VERSION, 0, 0, 16, NGM_KSOCKET_BIND, 0, 8, NGM_KSOCKET_COOKIE, b"bind") + _SIN.pack(
        16, AF_INET, 8080, socket.inet_aton("127.0.0.1"))
    fields = _HEADER.unpack_from(raw)
    _, family, port, addr = _SIN.unpack_from(raw, _HEADER.size)
    return fields, family, (socket.inet_ntoa(addr), port)


def run(quick: bool) -> List[Result]:
    n = 2_000 if quick else 50_000
    assert NgMesg.decode(NgMesg(NGM_MKPEER, NGM_GENERIC_COOKIE, bytes(_MKPEER.size)).encode()).arglen == _MKPEER.size
    assert _HEADER.size == len(NgMesg(0, 0).encode())  # the baseline packs the same header bytes
    rows = []
    for name, ours, base in (("codec mkpeer", ours_mkpeer, base_mkpeer),
                             ("codec sockaddr", ours_sockaddr, base_sockaddr)):
        ours_rate = base_rate = 0.0
        for _ in range(3):  # interleaved, best of each
            ours_rate = max(ours_rate, rate(n, ours))
            base_rate = max(base_rate, rate(n, base))
        rows.append(Result(name, "-", ours_rate, base_rate, "msgs/s", goal=0.5))
    return rows
