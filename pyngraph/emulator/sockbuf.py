"""FreeBSD's receive buffer of a socket node's control and data sockets.

FreeBSD appends each datagram to the socket's receive buffer with
``sbappendaddr_locked`` (``sys/kern/uipc_sockbuf.c``): the address and the
data go in only if ``sa_len + length <= sbspace()``, where ``sbspace`` is
``min(sb_hiwat - sb_ccc, sb_mbmax - sb_mbcnt)``.  ``sb_ccc`` counts the
address and data bytes, ``sb_mbcnt`` what the mbufs holding them occupy
(``MSIZE`` per mbuf plus its cluster), and ``sb_mbmax`` is ``sb_efficiency``
(8) times ``sb_hiwat``.  ``ng_attach_common`` reserves
``net.graph.recvspace`` (20 KiB) for both kinds of ng_socket.  A datagram
that does not fit is dropped: ``ngs_rcvdata``/``ngs_rcvmsg`` return ENOBUFS.

:class:`SockBuf` keeps the same books for a user socket's kernel end.  The
bytes really wait in a Linux AF_UNIX socket, so what the user has read is
learnt from ``SIOCOUTQ`` (the skb memory still unread, in send order), each
datagram's skb size being measured once per length on a private pair.

The mbuf chain of a datagram follows ``m_getm2`` (what ``sosend`` and
``m_uiotombuf`` build): exact for data up to ``MCLBYTES`` (2 KiB); above it
FreeBSD's chain depends on where the mbufs came from (``m_dup`` in ng_hub
uses 2 KiB clusters, the network stack its own), so ``sb_mbcnt`` may differ
by a cluster or two per datagram.  ``sb_ccc``, the limit small datagrams
meet first, is exact.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import struct
import termios
from collections import deque
from typing import Deque, Dict, Optional, Tuple

log = logging.getLogger("pyngraph.emulator.socket")

# sys/mbuf.h and sys/param.h on LP64 (uipc_mbuf.c asserts m_dat at 32, pkthdr 64 bytes)
MSIZE = 256
MLEN = MSIZE - 32
MHLEN = MLEN - 64
MINCLSIZE = MHLEN + 1
MCLBYTES = 2048
MJUMPAGESIZE = 4096
SB_EFFICIENCY = 8  # kern.ipc.sockbuf_waste_factor
SB_MAX = 2 * 1024 * 1024  # kern.ipc.maxsockbuf
RECVSPACE = 20 * 1024  # ng_socket.c ngpdg_recvspace (net.graph.recvspace)
MAXDGRAM = 20 * 1024  # ng_socket.c ngpdg_sendspace (net.graph.maxdgram): soreserve's send space
MAXDGRAM_MAX = 65535  # what one frame of the transport carries
SIZEOF_SOCKADDR_NG = 34  # FreeBSD 14 struct sockaddr_ng: sg_len, sg_family, sg_data[32]

_OUTQ = struct.Struct("=i")
_skb_size: Dict[int, int] = {}  # datagram length -> the Linux skb memory it occupies


def env_options() -> Tuple[int, int, bool]:
    """``(recvspace, maxdgram, lossless)`` from PYNGRAPH_RECVSPACE, PYNGRAPH_MAXDGRAM and
    PYNGRAPH_LOSSLESS (defaults: FreeBSD's)."""
    return (_env_size("PYNGRAPH_RECVSPACE", RECVSPACE, SB_MAX), _env_size("PYNGRAPH_MAXDGRAM", MAXDGRAM, MAXDGRAM_MAX),
            os.environ.get("PYNGRAPH_LOSSLESS", "") not in ("", "0"))


def _env_size(name: str, default: int, most: int) -> int:
    """A size from 1 to ``most`` in environment variable ``name`` (absent or bad: ``default``)."""
    text = os.environ.get(name, "")
    try:
        size = int(text) if text else default
    except ValueError:
        size = 0
    if not 1 <= size <= most:
        log.warning("%s=%r is not a size from 1 to %d: using %d", name, text, most, default)
        size = default
    return size


def chain_cost(length: int, pages: bool = True) -> int:
    """``sb_mbcnt`` of the mbuf chain holding ``length`` bytes, as ``m_getm2`` builds it.

    ``pages`` false: no page-sized clusters (``m_devget``, control messages).
    """
    cost, first = 0, True
    while True:
        if pages and length > MCLBYTES:
            cost, length = cost + MSIZE + MJUMPAGESIZE, length - MJUMPAGESIZE
        elif length >= MINCLSIZE:
            cost, length = cost + MSIZE + MCLBYTES, length - MCLBYTES
        else:
            cost, length = cost + MSIZE, length - (MHLEN if first else MLEN)
        first = False
        if length <= 0:
            return cost


def skb_size(length: int) -> int:
    """The memory a Linux AF_UNIX datagram of ``length`` bytes holds until read (measured once)."""
    size = _skb_size.get(length)
    if size is None:
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            a.send(bytes(length))
            size = unread(a)
        finally:
            a.close()
            b.close()
        _skb_size[length] = size
    return size


def unread(sock: socket.socket) -> int:
    """SIOCOUTQ: skb memory sent on ``sock`` that its peer has not read yet."""
    return int(_OUTQ.unpack(fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, bytes(_OUTQ.size)))[0])


class SockBuf:
    """The receive-buffer books of one user socket (``so_rcv`` of FreeBSD's ng_socket)."""

    def __init__(self, sock: socket.socket, hiwat: int, pages: bool) -> None:
        self.sock = sock
        self.default_hiwat = hiwat
        self.hiwat = hiwat
        self.pages = pages
        self.ccc = 0  # sb_ccc: address + data bytes waiting
        self.mbcnt = 0  # sb_mbcnt
        self.drops = 0  # datagrams refused with ENOBUFS
        self._skb = 0  # Linux skb memory of the datagrams in _sent
        self._sent: Deque[Tuple[int, int, int]] = deque()  # (skb size, ccc, mbcnt) in send order
        self._linux_rcvbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        self._peer_checked = False  # the user's SO_RCVBUF was read since the last append

    def space(self) -> int:
        """``sbspace()``."""
        mbmax = min(self.hiwat * SB_EFFICIENCY, SB_MAX)
        return min(self.hiwat - self.ccc, mbmax - self.mbcnt)

    def admit(self, sa_len: int, length: int) -> Optional[Tuple[int, int]]:
        """``sbappendaddr``'s check: the datagram's ``(ccc, mbcnt)`` if it fits, else None (ENOBUFS)."""
        need = sa_len + length
        hiwat = self.hiwat
        if need > hiwat - self.ccc or need > min(hiwat * SB_EFFICIENCY, SB_MAX) - self.mbcnt:  # > space()
            self._reap()
            if need > self.space() and not self._peer_checked:
                self._peer_checked = True
                self.hiwat = self._user_hiwat()
            if need > self.space():
                self.drops += 1
                return None
        self._peer_checked = False
        cost = (need, MSIZE + chain_cost(length, self.pages))
        self.ccc += cost[0]
        self.mbcnt += cost[1]
        return cost

    def sent(self, frame_length: int, cost: Tuple[int, int]) -> None:
        """A datagram admitted by :meth:`admit` went into the Linux socket."""
        skb = skb_size(frame_length)
        self._skb += skb
        self._sent.append((skb, cost[0], cost[1]))

    def release(self, cost: Tuple[int, int]) -> None:
        """A datagram admitted by :meth:`admit` left without reaching the user."""
        self.ccc -= cost[0]
        self.mbcnt -= cost[1]

    def _reap(self) -> None:
        """Forget what the user has read: the oldest datagrams beyond the unread skb memory."""
        sent = self._sent
        if not sent:
            return
        try:
            left = unread(self.sock)
        except OSError:
            return
        while sent and self._skb > left:
            skb, ccc, mbcnt = sent.popleft()
            self._skb -= skb
            self.ccc -= ccc
            self.mbcnt -= mbcnt

    def _user_hiwat(self) -> int:
        """The space the user chose with SO_RCVBUF on its descriptor (Linux reports twice it)."""
        rcvbuf = peer_rcvbuf(self.sock)
        if rcvbuf is None or rcvbuf == self._linux_rcvbuf:
            return self.default_hiwat
        return max(1, rcvbuf // 2)


# sock_diag (linux/unix_diag.h): the user's end of the pair, seen from ours
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_UDIAG_SHOW_PEER = 0x04
_UDIAG_SHOW_MEMINFO = 0x20
_UNIX_DIAG_PEER = 2
_UNIX_DIAG_MEMINFO = 5
_SK_MEMINFO_RCVBUF = 1
_NLMSG = struct.Struct("=IHHII")
_REQ = struct.Struct("=BBHIIIII")
_ATTR = struct.Struct("=HH")
_DIAG_MSG = 16  # struct unix_diag_msg


def _diag(ino: int, show: int) -> Dict[int, bytes]:
    """The attributes sock_diag reports for the AF_UNIX socket of inode ``ino``."""
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as nl:
        req = _REQ.pack(socket.AF_UNIX, 0, 0, 0xFFFFFFFF, ino, show, 0xFFFFFFFF, 0xFFFFFFFF)
        nl.send(_NLMSG.pack(_NLMSG.size + len(req), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0) + req)
        reply = nl.recv(8192)
    length, kind = _NLMSG.unpack_from(reply)[:2]
    attrs: Dict[int, bytes] = {}
    if kind != _SOCK_DIAG_BY_FAMILY:
        return attrs
    offset = _NLMSG.size + _DIAG_MSG
    while offset + _ATTR.size <= min(length, len(reply)):
        size, atype = _ATTR.unpack_from(reply, offset)
        if size < _ATTR.size:
            break
        attrs[atype] = reply[offset + _ATTR.size: offset + size]
        offset += (size + 3) & ~3
    return attrs


def peer_rcvbuf(sock: socket.socket) -> Optional[int]:
    """SO_RCVBUF of the other end of ``sock``'s pair (None: sock_diag cannot tell)."""
    try:
        peer = _diag(os.fstat(sock.fileno()).st_ino, _UDIAG_SHOW_PEER).get(_UNIX_DIAG_PEER)
        if peer is None or len(peer) < 4:
            return None
        meminfo = _diag(struct.unpack("=I", peer[:4])[0], _UDIAG_SHOW_MEMINFO).get(_UNIX_DIAG_MEMINFO)
    except (OSError, struct.error) as exc:
        log.debug("sock_diag of the user's socket failed: %s", exc)
        return None
    if meminfo is None or len(meminfo) < 4 * (_SK_MEMINFO_RCVBUF + 1):
        return None
    return int(struct.unpack_from("=I", meminfo, 4 * _SK_MEMINFO_RCVBUF)[0])


__all__ = ["SockBuf", "RECVSPACE", "env_options", "SIZEOF_SOCKADDR_NG", "chain_cost", "peer_rcvbuf", "skb_size"]
