"""The ng_socket system calls, as one interface every transport implements.

libnetgraph's C code is written against ``socket``/``bind``/``connect``/
``sendto``/``recvfrom`` on PF_NETGRAPH sockets.  pyngraph's Python libnetgraph
(:mod:`pyngraph.backend.pylib`) is written against this protocol, so it runs
unchanged over FreeBSD's PF_NETGRAPH sockets (via libc) and over the emulated
kernel's AF_UNIX sockets.  Addresses are the ``sg_data`` strings of a
``sockaddr_ng`` (a path on the control socket, a hook name on the data socket).
Every method raises ``OSError`` with the host's errno on failure.
"""

from __future__ import annotations

from typing import Optional, Protocol, Tuple


class NgTransport(Protocol):
    """ng_socket(4) as seen from userland."""

    name: str

    def socket(self, proto: int) -> int:
        """socket(PF_NETGRAPH, SOCK_DGRAM, proto); NG_CONTROL makes a new socket node."""

    def bind(self, fd: int, name: str) -> None:
        """Name the node of a control socket (bind(2) with a sockaddr_ng)."""

    def connect(self, fd: int, path: str) -> None:
        """Attach a data socket to the socket node at an absolute ``path``."""

    def sendto(self, fd: int, data: bytes, addr: Optional[str]) -> int:
        """Send one datagram; on a control socket returns only once the kernel handled it."""

    def recvfrom(self, fd: int, bufsize: int) -> Tuple[bytes, str]:
        """Receive one datagram and the sender's address (``"[1a]:"`` or a hook name)."""

    def getsockname(self, fd: int) -> bytes:
        """The raw 16-byte ``sockaddr_ng`` the kernel reports for the socket."""

    def close(self, fd: int) -> None:
        """Close one descriptor (the node goes when its last socket closes)."""

    def daemon_gone(self, fd: int) -> Optional[str]:
        """The path of the daemon that served ``fd`` if it has gone away, else None (a kernel stays)."""
