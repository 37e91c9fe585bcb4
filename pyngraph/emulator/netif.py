"""The Linux network interfaces under the iface, eiface and ether node types.

TUN devices (iface), TAP devices (eiface) and AF_PACKET sockets bound to an
existing interface (ether), plus the few interface ioctls those types need.
Every failure is a ``NetgraphError`` with FreeBSD's errno.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import struct
from typing import TYPE_CHECKING, List, Optional, Set, Tuple

from ..abi.constants import IFNAMSIZ, NGM_FLOW_COOKIE, NGM_LINK_IS_UP, Errno
from ..abi.message import NgMesg
from ..errors import NetgraphError
from .linux import fbsd_error, host_error
from .node import Hook, Node, Result, Tag, Tags

if TYPE_CHECKING:
    from .kernel import Kernel

log = logging.getLogger("pyngraph.emulator.netif")

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_TAP, IFF_NO_PI, IFF_TUN_EXCL = 0x0001, 0x0002, 0x1000, 0x8000
SIOCGIFFLAGS, SIOCSIFFLAGS = 0x8913, 0x8914
SIOCGIFHWADDR, SIOCSIFHWADDR = 0x8927, 0x8924
SIOCADDMULTI, SIOCDELMULTI = 0x8931, 0x8932
IFF_UP, IFF_BROADCAST, IFF_POINTOPOINT, IFF_PROMISC, IFF_LOWER_UP = 0x1, 0x2, 0x10, 0x100, 0x10000
ARPHRD_ETHER = 1
ETH_P_ALL = 0x0003
SOL_PACKET, PACKET_ADD_MEMBERSHIP, PACKET_DROP_MEMBERSHIP, PACKET_MR_PROMISC = 263, 1, 2, 1
PACKET_OTHERHOST, PACKET_OUTGOING = 3, 4  # sll_pkttype: unicast to another host; sent by the host itself
PI = struct.Struct("!HH")  # TUN packet information: flags, protocol (an Ethernet type)
ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
PACKET_AUXDATA, TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 8, 0x10, 0x40
AUXDATA = struct.Struct("=IIIHHHH")  # struct tpacket_auxdata
ETHERTYPE_VLAN, ETHERTYPE_QINQ = 0x8100, 0x88A8
# A frame's out-of-band VLAN tag (FreeBSD's M_VLANTAG and m_pkthdr.ether_vtag) travels between
# emulated nodes as an mbuf tag of this private cookie and type whose payload is the 16-bit tag.
VLANTAG_COOKIE, VLANTAG_TYPE = 0x7079_6E67, 1
EVL_VLID_MASK = 0x0FFF  # the VID bits of a tag
_VTAG = struct.Struct("=H")
_IFREQ_FLAGS = struct.Struct(f"{IFNAMSIZ}sH22x")
_IFREQ_ADDR = struct.Struct(f"{IFNAMSIZ}sH6s16x")  # ifr_hwaddr: sa_family, sa_data[0:6]
_PACKET_MREQ = struct.Struct("iHH8s")
NEEDS_ADMIN = "needs root or CAP_NET_ADMIN (run pyngraph-emud as root)"
_held: Set[str] = set()  # TUN/TAP interface names this process's device nodes hold


def _name(ifname: str) -> bytes:
    return ifname.encode("ascii", "replace")[:IFNAMSIZ - 1]


def open_tuntap(base: str, tap: bool, taken: Set[str]) -> Tuple[int, str, int]:
    """A new non-persistent TUN (or TAP) device named ``base`` + the lowest free unit.

    Returns (descriptor, interface name, unit).  ``taken`` holds names this
    process already uses.  EPERM names the capability that is missing.
    """
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise host_error(exc, "open /dev/net/tun (the Linux TUN/TAP driver)") from None
    flags = (IFF_TAP | IFF_NO_PI if tap else IFF_TUN) | IFF_TUN_EXCL
    try:
        for unit in range(0x10000):
            name = f"{base}{unit}"
            if name in taken or _exists(name):
                continue
            try:
                fcntl.ioctl(fd, TUNSETIFF, _IFREQ_FLAGS.pack(_name(name), flags))
            except OSError as exc:
                if exc.errno == 1:  # EPERM
                    log.warning("creating %s device %s %s", "TAP" if tap else "TUN", name, NEEDS_ADMIN)
                    raise fbsd_error(Errno.EPERM, f"creating {'TAP' if tap else 'TUN'} device {name} "
                                                  f"{NEEDS_ADMIN}") from None
                if exc.errno in (16, 17):  # EBUSY, EEXIST: taken meanwhile
                    continue
                raise host_error(exc, f"TUNSETIFF {name}") from None
            return fd, name, unit
        raise fbsd_error(Errno.ENOSPC, f"no free {base}N interface name")
    except BaseException:
        os.close(fd)
        raise


def _exists(ifname: str) -> bool:
    try:
        socket.if_nametoindex(ifname)
    except OSError:
        return False
    return True


def ifindex(ifname: str) -> int:
    """The interface's index (ENXIO once it is gone)."""
    try:
        return socket.if_nametoindex(ifname)
    except OSError:
        raise fbsd_error(Errno.ENXIO, f"no interface {ifname}") from None


_ioctl_socket: Optional[socket.socket] = None  # one datagram socket for every interface ioctl


def _ioctl(request: int, arg: bytes, what: str) -> bytes:
    global _ioctl_socket
    if _ioctl_socket is None:
        _ioctl_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        return fcntl.ioctl(_ioctl_socket.fileno(), request, arg)
    except OSError as exc:
        if exc.errno == 1:
            raise fbsd_error(Errno.EPERM, f"{what} {NEEDS_ADMIN}") from None
        raise host_error(exc, what) from None


def get_flags(ifname: str) -> int:
    """The interface's IFF_* flags."""
    reply = _ioctl(SIOCGIFFLAGS, _IFREQ_FLAGS.pack(_name(ifname), 0), f"SIOCGIFFLAGS {ifname}")
    return int(_IFREQ_FLAGS.unpack(reply)[1])


def carrier(ifname: str) -> bool:
    """Whether the interface has its carrier (IFF_LOWER_UP; SIOCGIFFLAGS's 16 bits lack it)."""
    try:
        with open(f"/sys/class/net/{ifname}/carrier") as f:
            return f.read().strip() == "1"
    except OSError:  # EINVAL while the interface is down
        return False


def get_hwaddr(ifname: str) -> bytes:
    """The interface's 6-byte Ethernet address."""
    reply = _ioctl(SIOCGIFHWADDR, _IFREQ_ADDR.pack(_name(ifname), 0, bytes(6)), f"SIOCGIFHWADDR {ifname}")
    return bytes(_IFREQ_ADDR.unpack(reply)[2])


def set_hwaddr(ifname: str, addr: bytes) -> None:
    """Give the interface a new Ethernet address (Linux may want it down first: EBUSY)."""
    _ioctl(SIOCSIFHWADDR, _IFREQ_ADDR.pack(_name(ifname), ARPHRD_ETHER, addr), f"SIOCSIFHWADDR {ifname}")


def multi(ifname: str, addr: bytes, add: bool) -> None:
    """Join (``add``) or leave a link-layer multicast group on the interface."""
    what = f"{'SIOCADDMULTI' if add else 'SIOCDELMULTI'} {ifname}"
    _ioctl(SIOCADDMULTI if add else SIOCDELMULTI, _IFREQ_ADDR.pack(_name(ifname), 0, addr), what)


def is_ethernet(ifname: str) -> bool:
    """Whether ``ifname`` is an existing Ethernet-like Linux interface (ARPHRD_ETHER) of no device node."""
    if not ifname or "/" in ifname or ifname.startswith(".") or ifname in _held:
        return False
    try:
        with open(f"/sys/class/net/{ifname}/type") as f:
            return int(f.read().strip() or -1) == ARPHRD_ETHER
    except (OSError, ValueError):
        return False


def open_packet(ifname: str) -> socket.socket:
    """A non-blocking AF_PACKET socket receiving and sending whole frames on ``ifname``."""
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    except OSError as exc:
        if exc.errno == 1:
            raise fbsd_error(Errno.EPERM, f"AF_PACKET socket on {ifname} needs root or CAP_NET_RAW") from None
        raise host_error(exc, f"AF_PACKET socket on {ifname}") from None
    try:
        sock.bind((ifname, ETH_P_ALL))
        sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)  # the VLAN tag Linux takes off a frame
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise host_error(exc, f"bind AF_PACKET to {ifname}") from None
    return sock


def packet_promisc(sock: socket.socket, ifname: str, on: bool) -> None:
    """Take (or drop) one promiscuous-mode reference on ``ifname``, held by ``sock``."""
    mreq = _PACKET_MREQ.pack(ifindex(ifname), PACKET_MR_PROMISC, 0, bytes(8))
    try:
        sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP if on else PACKET_DROP_MEMBERSHIP, mreq)
    except OSError as exc:
        raise host_error(exc, f"promiscuous mode on {ifname}") from None


def write_packet(fd: int, data: bytes, what: str) -> Optional[NetgraphError]:
    """Write one packet to a TUN/TAP descriptor; the error (FreeBSD errno) or None."""
    try:
        os.write(fd, data)
    except BlockingIOError:
        return fbsd_error(Errno.ENOBUFS, f"{what}: device queue full")
    except OSError as exc:
        if exc.errno == 5:  # EIO: the Linux interface is down
            return fbsd_error(Errno.ENETDOWN, f"{what}: interface down")
        return host_error(exc, what)
    return None


_READ_BURST = 64  # packets read per readiness callback


class DeviceNode(Node):
    """A node owning a TUN (or TAP) device named ``base`` + unit, as iface and eiface nodes do.

    The constructor makes the device, takes its name as the node's name when
    free, and watches it: each packet Linux sends out of the device is passed
    to :meth:`output`.  Shutting the node down removes the device.
    """

    base = ""
    tap = False
    read_max = 65536

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.fd = -1
        self.ifname = ""

    def constructor(self) -> Result:
        self.fd, self.ifname, _ = open_tuntap(self.base, self.tap, _held)
        _held.add(self.ifname)
        self.attached()
        if self.kernel.node_by_name(self.ifname) is None:
            self.kernel.name_node(self, self.ifname)
        else:
            log.warning("%s: can't acquire netgraph name", self.ifname)
        self.kernel.watch_fd(self.fd, self._on_readable)
        return None

    def attached(self) -> None:
        """The device exists (``self.fd``, ``self.ifname``): set it up before anything else happens."""

    def output(self, packet: bytes) -> None:
        """One packet Linux sent out of the device."""

    def _on_readable(self) -> None:
        for _ in range(_READ_BURST):
            try:
                packet = os.read(self.fd, self.read_max)
            except BlockingIOError:
                return
            except OSError as exc:
                log.debug("%s: read: %s", self.ifname, exc)
                return
            self.output(packet)

    def ifname_reply(self) -> bytes:
        """The interface name as GET_IFNAME replies carry it: ``char[IFNAMSIZ]``."""
        return self.ifname.encode()[:IFNAMSIZ - 1].ljust(IFNAMSIZ, b"\0")

    def input(self, packet: bytes) -> None:
        """Hand ``packet`` to Linux as received on the device (the FreeBSD errno as NetgraphError)."""
        error = write_packet(self.fd, packet, f"{self.type_name} {self.ifname}")
        if error is not None:
            raise error

    def shutdown(self) -> None:
        if self.fd >= 0:
            self.kernel.unwatch_fd(self.fd)
            os.close(self.fd)  # a non-persistent device goes with its descriptor
            self.fd = -1
            _held.discard(self.ifname)


def send_msg_hook(node: Node, hook: Hook, msg: NgMesg) -> int:
    """NG_SEND_MSG_HOOK: queue ``msg`` to ``hook``'s peer, arriving there on the peer hook."""
    peer = hook.peer
    if peer is None or not peer.valid:
        return int(Errno.ENOTCONN)
    return node.kernel.queue_msg(peer.node.id, msg, node.id, peer)


def link_message(cmd: int) -> NgMesg:
    """A flow-control NGM_LINK_IS_UP / NGM_LINK_IS_DOWN message (no argument)."""
    name = "NGM_LINK_IS_UP" if cmd == NGM_LINK_IS_UP else "NGM_LINK_IS_DOWN"
    return NgMesg(cmd, NGM_FLOW_COOKIE, b"", 0, 0, name)


# --- link state (rtnetlink) ----------------------------------------------------------------

RTMGRP_LINK, RTM_NEWLINK, RTM_DELLINK = 1, 16, 17
_NLMSGHDR = struct.Struct("=IHHII")
_IFINFOMSG = struct.Struct("=BxHiII")


def open_link_monitor() -> socket.socket:
    """A non-blocking rtnetlink socket that hears every interface's link changes."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    try:
        sock.bind((0, RTMGRP_LINK))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise host_error(exc, "rtnetlink link monitor") from None
    return sock


def link_events(data: bytes) -> "list[Tuple[int, int, int]]":
    """(message type, interface index, IFF_* flags) of each link message in a netlink datagram."""
    events = []
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, _, _, _ = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size:
            break
        if kind in (RTM_NEWLINK, RTM_DELLINK) and length >= _NLMSGHDR.size + _IFINFOMSG.size:
            _, _, index, flags, _ = _IFINFOMSG.unpack_from(data, offset + _NLMSGHDR.size)
            events.append((kind, index, flags))
        offset += (length + 3) & ~3
    return events


def vlantag(value: int) -> Tag:
    """A frame's out-of-band VLAN tag (M_VLANTAG with ``ether_vtag`` = ``value``) as an mbuf tag."""
    return Tag(VLANTAG_COOKIE, VLANTAG_TYPE, _VTAG.pack(value))


def split_tags(tags: Tags) -> Tuple[Optional[int], Tuple[Tag, ...]]:
    """The out-of-band VLAN tag among ``tags`` (None: untagged) and the other tags."""
    vtag: Optional[int] = None
    rest: List[Tag] = []
    for tag in tags:
        if tag.cookie == VLANTAG_COOKIE and tag.type == VLANTAG_TYPE and len(tag.payload) == 2:
            vtag = _VTAG.unpack(tag.payload)[0]
        else:
            rest.append(tag)
    return vtag, tuple(rest)
