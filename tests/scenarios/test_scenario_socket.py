"""FreeBSD's tests/sys/netgraph/socket.c, ported: getsockname on a control socket."""

from __future__ import annotations

import string

from pyngraph import libnetgraph
from pyngraph.backend import get_backend

NAME = "0123456789012345678901234567891"  # 31 characters, the longest node name


def _getsockname(fd: int) -> bytes:
    transport = getattr(get_backend(), "transport", None)
    if transport is not None:
        return transport.getsockname(fd)
    from pyngraph.backend.freebsd.ngsocket import PfNetgraphTransport

    return PfNetgraphTransport().getsockname(fd)


def test_getsockname(backend: str, close) -> None:
    cs, ds = libnetgraph.NgMkSockNode(None, False)
    assert ds is None
    try:
        sa = _getsockname(cs)
    finally:
        close(cs)
    assert sa[0] == 16 and sa[1] == 32
    data = sa[2:16]
    # An unnamed node reports "[<hex id>]" (no colon), NUL-terminated.
    end = data.index(0)
    text = data[:end].decode()
    assert text.startswith("[") and text.endswith("]")
    assert len(text) - 2 >= 1 and all(c in string.hexdigits.lower() for c in text[1:-1])

    cs, _ = libnetgraph.NgMkSockNode(NAME, False)
    try:
        sa = _getsockname(cs)
    finally:
        close(cs)
    # The 16-byte address carries the first 14 characters, not NUL-terminated.
    assert sa[:2] == bytes((16, 32))
    assert sa[2:16] == NAME[:14].encode()
