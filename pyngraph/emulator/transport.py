"""How user sockets talk to the emulated kernel: AF_UNIX SOCK_SEQPACKET framing.

Every user socket of a socket node (control or data) is two connections:

* its **descriptor**, the fd the user holds: one datagram per ``recvfrom()``,
  framed as ``[u8 address length][address][payload]`` (the address is the
  sender path ``"[1a]:"`` on a control socket, the hook name on a data socket);
  data sends travel the same way in the other direction, with the
  ``sockaddr_ng`` ``sg_data`` bytes as address;
* its **channel**, private to the transport: requests (``op`` byte + body,
  the descriptor's kernel end passed once with SCM_RIGHTS) answered by one
  status datagram ``b"R" + u32 FreeBSD errno + body``.  A data socket's
  channel also carries state updates ``b"U" + flags + hook names`` so the
  user side can refuse a send synchronously (EDESTADDRREQ, EHOSTUNREACH ...)
  without a round trip.

The kernel writes a reply to the descriptor before it sends the status, so a
reply produced synchronously is readable when ``sendto()`` returns.  The
kernel side of a channel is in :mod:`.channel`: a daemon's channel socket, or
a local channel for a user in the kernel's own process.
"""

from __future__ import annotations

import array
import socket
import struct
from typing import Collection, Dict, Iterable, List, Optional, Tuple

from ..abi.constants import NG_NODESIZ, Errno

SOCKBUF = 106496  # SO_SNDBUF for every connection (Linux doubles it): bounds each queue
MAX_FRAME = 65535 + 256  # largest framed datagram (a 64 KiB packet from a ksocket)

OP_OPEN = ord("O")  # body: u8 protocol (NG_CONTROL/NG_DATA); SCM_RIGHTS: the descriptor's kernel end;
# reply body: u32 net.graph.maxdgram, the largest datagram the socket may send (fixed at open)
OP_BIND = ord("B")  # body: sg_data
OP_CONNECT = ord("C")  # body: sg_data
OP_SEND = ord("S")  # body: u8 length, sg_data, message
OP_SOCKNAME = ord("N")  # reply body: the 34-byte sockaddr_ng
OP_CLOSE = ord("X")

STATUS = ord("R")  # an error status's body: the reason, for the errnos in EXPLAINED
EXPLAINED = frozenset((Errno.EPERM, Errno.ENOMEM, Errno.ENOBUFS, Errno.EMFILE, Errno.ENFILE, Errno.EMSGSIZE))
UPDATE = ord("U")
UPD_ATTACHED = 1  # the data socket is attached to a node
UPD_CONNECTED = 2  # SS_ISCONNECTED: the node has exactly one hook (plain send() allowed)
UPD_GONE = 4  # the node shut down: sends fail with EPIPE

_STATUS = struct.Struct("=BI")
_U32 = struct.Struct("=I")
_ANCBUF = socket.CMSG_SPACE(4)


_prefixes: Dict[bytes, bytes] = {}  # address -> length byte + address (hook names, "[1a]:" paths)
_PREFIXES_MAX = 4096


def frame(addr: bytes, payload: bytes) -> bytes:
    """One datagram on a descriptor: address, then payload (copied once)."""
    prefix = _prefixes.get(addr)
    if prefix is None:
        if len(_prefixes) >= _PREFIXES_MAX:
            _prefixes.clear()
        prefix = _prefixes[addr] = bytes((len(addr),)) + addr
    return prefix + payload


def unframe(buf: bytes) -> Tuple[bytes, bytes]:
    """Split a descriptor datagram into (address, payload)."""
    n = buf[0]
    return buf[1:1 + n], buf[1 + n:]


def status(errno: int, body: bytes = b"") -> bytes:
    return _STATUS.pack(STATUS, errno) + body


def parse_status(buf: bytes) -> Tuple[int, bytes]:
    _, errno = _STATUS.unpack_from(buf)
    return errno, buf[_STATUS.size:]


def opened(maxdgram: int) -> bytes:
    """The reply body of OP_OPEN."""
    return _U32.pack(maxdgram)


def parse_opened(body: bytes) -> int:
    """The socket's maxdgram from OP_OPEN's reply body."""
    maxdgram: int = _U32.unpack(body)[0]
    return maxdgram


def update(flags: int, hooks: Iterable[str]) -> bytes:
    return bytes((UPDATE, flags)) + b"\0".join(h.encode("latin-1") for h in hooks)


def parse_update(buf: bytes) -> Tuple[int, List[str]]:
    body = buf[2:]
    return buf[1], [h.decode("latin-1") for h in body.split(b"\0")] if body else []


def send_refusal(flags: int, hooks: Collection[str], hook: Optional[str], size: int,
                 maxdgram: int) -> Optional[Tuple[int, str]]:
    """ng_socket's checks of a data send, in FreeBSD's order: ``(FreeBSD errno, reason)``, or None.

    ``flags`` are the UPD_* state of the data socket, ``hooks`` its node's
    hook names, ``hook`` the address (None: send() without one).  The socket
    layer's first (``sosend_dgram``: EPIPE, EMSGSIZE, EDESTADDRREQ, ENOTCONN),
    then ``ngd_send``'s (address length, exactly one hook, the hook exists).
    The client runs them before it sends; the kernel again on what it reads.
    """
    if flags & UPD_GONE:
        return Errno.EPIPE, "the socket node was shut down"
    if size > maxdgram:
        return Errno.EMSGSIZE, f"larger than net.graph.maxdgram ({maxdgram})"
    if hook is None and not flags & UPD_CONNECTED:
        return Errno.EDESTADDRREQ, "send() needs a node with exactly one hook"
    if not flags & UPD_ATTACHED:
        return Errno.ENOTCONN, "data socket not connected to a node"
    if hook is not None and len(hook) + 1 > NG_NODESIZ:
        return Errno.EINVAL, "address too long"
    if not hook:
        if len(hooks) != 1:
            return Errno.EDESTADDRREQ, "no hook named and not exactly one hook"
        return None
    if len(hook) + 1 >= NG_NODESIZ:
        return Errno.EINVAL, "hook name too long to address"
    if hook not in hooks:
        return Errno.EHOSTUNREACH, "no such hook"
    return None


def seqpacket_pair() -> Tuple[socket.socket, socket.socket]:
    """A connected AF_UNIX SOCK_SEQPACKET pair with pyngraph's buffer sizes."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for s in (a, b):
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKBUF)
    return a, b


def send_fds(sock: socket.socket, data: bytes, fds: List[int]) -> None:
    sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])


def recv_fds(ancdata: List[Tuple[int, int, bytes]]) -> List[int]:
    fds = array.array("i")
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    return list(fds)
