"""``struct sockaddr_ng``: the address of the ng_socket protocol family, as bytes.

Layout (``sys/netgraph/ng_socket.h``): ``u8 sg_len``, ``u8 sg_family`` (32),
then ``sg_data``: a NUL-terminated string of any length (a path on the
control socket, a node name for bind, a hook name on the data socket).
Like libnetgraph we send ``sg_len = 2 + strlen + 1`` bytes.
"""

from __future__ import annotations

from ...abi.constants import AF_NETGRAPH, Errno
from ...abi.nodetypes.ng_socket import NGSA_OVERHEAD
from ...errors import InvalidArgumentError, NetgraphError

#: sg_len is one byte, so the longest string a sockaddr_ng can carry.
MAX_DATA = 0xFF - NGSA_OVERHEAD - 1


def _einval(detail: str, what: str) -> InvalidArgumentError:
    err = NetgraphError.from_fbsd(Errno.EINVAL, detail, command=f"sockaddr_ng {what}")
    assert isinstance(err, InvalidArgumentError)
    return err


def build(text: str) -> bytes:
    """The ``sockaddr_ng`` holding ``text``: ``sg_len``, ``AF_NETGRAPH``, text, NUL."""
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        raise _einval(f"{text!r} is not latin-1", "build") from None
    if b"\0" in raw:
        raise _einval(f"{text!r} contains a NUL", "build")
    if len(raw) > MAX_DATA:
        raise _einval(f"{len(raw)} characters do not fit sg_len (at most {MAX_DATA})", "build")
    return bytes((NGSA_OVERHEAD + len(raw) + 1, AF_NETGRAPH)) + raw + b"\0"


def parse(raw: bytes) -> str:
    """The string in a ``sockaddr_ng`` the kernel returned (``""`` for no address).

    The string ends at the first NUL, at ``sg_len`` or at the end of ``raw``,
    whichever comes first.
    """
    if len(raw) < NGSA_OVERHEAD:
        return ""
    if raw[1] != AF_NETGRAPH:
        raise _einval(f"address family {raw[1]} is not AF_NETGRAPH ({AF_NETGRAPH})", "parse")
    data = raw[NGSA_OVERHEAD: max(raw[0], NGSA_OVERHEAD)]
    end = data.find(b"\0")
    return (data if end < 0 else data[:end]).decode("latin-1")
