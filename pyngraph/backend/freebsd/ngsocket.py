"""PF_NETGRAPH sockets through libc: an :class:`~pyngraph.backend.transport.NgTransport`.

CPython's ``socket`` module can open an ``AF_NETGRAPH`` socket but cannot
encode a ``sockaddr_ng``, so every call that takes or returns an address goes
to libc directly.  The descriptors are real kernel sockets: selectable, and
closed with :func:`os.close`.
"""

from __future__ import annotations

import ctypes
import errno
import os
from typing import Optional, Tuple, Union

from ...abi.constants import NG_PATHSIZ, PF_NETGRAPH, SOCK_DGRAM
from ...abi.nodetypes.ng_socket import NG_CONTROL, NG_DATA, NGSA_OVERHEAD
from ...errors import NetgraphError
from . import sockaddr
from .libc import libc, socklen_t
from .ready import require_freebsd

Buffer = Union[bytes, bytearray, memoryview]

#: Room for the longest address the kernel can return (a path plus the 2-byte header).
ADDR_BUFSIZE = NGSA_OVERHEAD + NG_PATHSIZ

_PROTO_NAMES = {NG_DATA: "NG_DATA", NG_CONTROL: "NG_CONTROL"}


def _fail(command: str, path: Optional[str] = None) -> NetgraphError:
    return NetgraphError.from_host(ctypes.get_errno(), path=path, command=command)


class PfNetgraphTransport:
    """ng_socket(4) system calls on FreeBSD, addresses built by :mod:`.sockaddr`."""

    name = "pf_netgraph"

    def __init__(self) -> None:
        require_freebsd()
        self._c = libc()

    def socket(self, proto: int) -> int:
        """socket(PF_NETGRAPH, SOCK_DGRAM, proto); the descriptor is not inheritable."""
        fd: int = self._c.socket(PF_NETGRAPH, SOCK_DGRAM, proto)
        if fd < 0:
            what = _PROTO_NAMES.get(proto, str(proto))
            raise _fail(f"socket(PF_NETGRAPH, SOCK_DGRAM, {what})")
        os.set_inheritable(fd, False)
        return fd

    def bind(self, fd: int, name: str) -> None:
        """Name the node of control socket ``fd``."""
        addr = sockaddr.build(name)
        if self._c.bind(fd, addr, len(addr)) < 0:
            raise _fail("bind", name)

    def connect(self, fd: int, path: str) -> None:
        """Attach data socket ``fd`` to the socket node at absolute ``path``."""
        addr = sockaddr.build(path)
        if self._c.connect(fd, addr, len(addr)) < 0:
            raise _fail("connect", path)

    def sendto(self, fd: int, data: Buffer, addr: Optional[str]) -> int:
        """Send one datagram to a path (control) or hook (data); ``None`` sends without address."""
        payload = bytes(data)
        raw = sockaddr.build(addr) if addr is not None else None
        rawlen = len(raw) if raw is not None else 0
        while True:
            sent = self._c.sendto(fd, payload, len(payload), 0, raw, rawlen)
            if sent >= 0:
                return int(sent)
            if ctypes.get_errno() != errno.EINTR:
                raise _fail("sendto", addr)

    def recvfrom(self, fd: int, bufsize: int) -> Tuple[bytes, str]:
        """One datagram (cut to ``bufsize``, as the kernel does) and its source address."""
        if bufsize < 0:
            raise NetgraphError.from_host(errno.EINVAL, f"buffer size {bufsize}", command="recvfrom")
        buf = ctypes.create_string_buffer(max(bufsize, 1))
        abuf = ctypes.create_string_buffer(ADDR_BUFSIZE)
        while True:
            alen = socklen_t(ADDR_BUFSIZE)
            got = self._c.recvfrom(fd, buf, bufsize, 0, abuf, ctypes.byref(alen))
            if got >= 0:
                source = sockaddr.parse(abuf.raw[: min(alen.value, ADDR_BUFSIZE)])
                return buf.raw[:got], source
            if ctypes.get_errno() != errno.EINTR:
                raise _fail("recvfrom")

    def getsockname(self, fd: int) -> bytes:
        """The raw ``sockaddr_ng`` the kernel reports (34 bytes on FreeBSD 14)."""
        abuf = ctypes.create_string_buffer(ADDR_BUFSIZE)
        alen = socklen_t(ADDR_BUFSIZE)
        if self._c.getsockname(fd, abuf, ctypes.byref(alen)) < 0:
            raise _fail("getsockname")
        return abuf.raw[: min(alen.value, ADDR_BUFSIZE)]

    def daemon_gone(self, fd: int) -> Optional[str]:
        """None: the kernel serves the sockets, and it does not go away."""
        return None

    def close(self, fd: int) -> None:
        """Close one descriptor; the node goes away with its last socket."""
        try:
            os.close(fd)
        except OSError as exc:
            raise NetgraphError.from_host(exc.errno or errno.EBADF, command="close") from None
