"""FreeBSD's tests/sys/netgraph/socket.c, ported: getsockname on a control socket.

FreeBSD 14's ``ng_getsockaddr`` fills a whole ``struct sockaddr_ng``
(``sg_data[32]``, so ``sg_len`` 34): the node's name, or ``"[id]"`` for an
unnamed node, NUL-terminated; FreeBSD's test checks a 31-character name
comes back whole.
"""

from __future__ import annotations

import string

from pyngraph import libnetgraph
from pyngraph.backend import get_backend

NAME = "0123456789012345678901234567891"  # 31 characters, the longest node name
SIZEOF_SOCKADDR_NG = 34


def _getsockname(fd: int) -> bytes:
    transport = getattr(get_backend(), "transport", None)
    if transport is not None:
        return transport.getsockname(fd)
    from pyngraph.backend.freebsd.ngsocket import PfNetgraphTransport

    return PfNetgraphTransport().getsockname(fd)


def _sg_data(sa: bytes) -> str:
    assert sa[0] == len(sa) == SIZEOF_SOCKADDR_NG and sa[1] == 32
    data = sa[2:]
    return data[: data.index(0)].decode()


def test_getsockname(backend: str, close) -> None:
    cs, ds = libnetgraph.NgMkSockNode(None, False)
    assert ds is None
    try:
        text = _sg_data(_getsockname(cs))
    finally:
        close(cs)
    # An unnamed node reports "[<hex id>]" (no colon), NUL-terminated.
    assert text.startswith("[") and text.endswith("]")
    assert len(text) >= 3 and all(c in string.hexdigits.lower() for c in text[1:-1])

    cs, _ = libnetgraph.NgMkSockNode(NAME, False)
    try:
        assert _sg_data(_getsockname(cs)) == NAME  # strcmp(sg.sg_data, NAME) == 0
    finally:
        close(cs)
