"""Node type ``ether`` (ng_ether): one node per Linux Ethernet interface, over an AF_PACKET socket.

A node is named after its interface as FreeBSD names it (``.`` and ``:``
become ``_``).  Nodes cannot be made with MKPEER (EINVAL, as FreeBSD's
constructor); one comes into being when a path first names an existing
Ethernet-like Linux interface (FreeBSD attaches one to every interface when
``ng_ether`` loads).  Shutting a node down resets it (hooks cut, promiscuous
mode dropped); the next reference finds it again, with a new ID.  DETACH
removes it for good, and so does the interface going away.

Hooks: ``lower`` (alias ``divert``) carries the frames the interface
receives, and frames written to it are transmitted (the source address
overwritten while ``autosrc`` is on); ``orphans`` carries the received frames
of protocols the host does not handle (when ``lower`` is not connected);
``upper`` carries copies of the frames the host transmits.  Linux cannot take
frames away from its own stack as FreeBSD's hooks do, nor inject frames into
it on an arbitrary interface: received frames also reach the Linux stack,
transmitted ones also leave, and a frame written to ``upper`` is refused
with EOPNOTSUPP (docs/EMULATION.md).
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
import weakref
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Set, Tuple

from ...abi.constants import ETHER_ADDR_LEN, IFNAMSIZ, NGM_LINK_IS_DOWN, NGM_LINK_IS_UP, Errno
from ...abi.nodetypes.ng_ether import (
    NG_ETHER_HOOK_DIVERT, NG_ETHER_HOOK_LOWER, NG_ETHER_HOOK_ORPHAN, NG_ETHER_HOOK_UPPER, NGM_ETHER_ADD_MULTI, NGM_ETHER_DEL_MULTI, NGM_ETHER_DETACH, NGM_ETHER_GET_AUTOSRC, NGM_ETHER_GET_ENADDR, NGM_ETHER_GET_IFINDEX, NGM_ETHER_GET_IFNAME, NGM_ETHER_GET_PROMISC, NGM_ETHER_SET_AUTOSRC, NGM_ETHER_SET_ENADDR, NGM_ETHER_SET_PROMISC,
)
from ...abi.nodetypes import ng_ether
from .. import netif
from ..kernel import fbsd_error
from ..linux import host_error
from ..node import Hook, MsgItem, Node, Result, Tags, argument, run_command

if TYPE_CHECKING:
    from ..kernel import Kernel

log = logging.getLogger("pyngraph.emulator.ether")

_U32 = struct.Struct("=I")
ETHER_HDR_LEN = 14
_DEMUXED = {0x0800, 0x0806, 0x86DD}  # what ether_demux hands to the stack (IP, ARP, IPv6)
_READ_BURST = 64
_FRAME_MAX = 65536
_CMSG_SPACE = socket.CMSG_SPACE(netif.AUXDATA.size)
_TCI = struct.Struct("!HH")


def _vlan_tags(ancillary: List[Tuple[int, int, bytes]]) -> Tags:
    """The out-of-band VLAN tag Linux took off a received frame (FreeBSD: M_VLANTAG), as an mbuf tag."""
    for level, kind, data in ancillary:
        if level == netif.SOL_PACKET and kind == netif.PACKET_AUXDATA and len(data) >= netif.AUXDATA.size:
            status, _, _, _, _, tci, _ = netif.AUXDATA.unpack_from(data)
            if status & netif.TP_STATUS_VLAN_VALID:
                return (netif.vlantag(tci),)
    return ()


def _with_vlan_tag(frame: bytes, tags: Tags) -> bytes:
    """``frame`` with an out-of-band VLAN tag put back in (what a tagging driver transmits)."""
    tci = netif.split_tags(tags)[0]
    if tci is None:
        return frame
    return frame[:12] + _TCI.pack(netif.ETHERTYPE_VLAN, tci) + frame[12:]


class _KernelState:
    """What outlives a node of this kernel, by interface index (FreeBSD keeps it with the ifnet):
    autosrc, and the interfaces DETACH took the node from."""

    def __init__(self) -> None:
        self.autosrc: Dict[int, bool] = {}
        self.detached: Set[int] = set()


_state: "weakref.WeakKeyDictionary[Kernel, _KernelState]" = weakref.WeakKeyDictionary()


def _kernel_state(kernel: "Kernel") -> _KernelState:
    state = _state.get(kernel)
    if state is None:
        state = _state[kernel] = _KernelState()
    return state


def node_name(ifname: str) -> str:
    """The node name FreeBSD gives the interface's node (ng_ether_sanitize_ifname)."""
    return ifname.replace(".", "_").replace(":", "_")


def _interface_named(name: str) -> Optional[str]:
    """The Ethernet-like Linux interface whose node would be called ``name``."""
    if netif.is_ethernet(name):
        return name
    try:
        names = [ifname for _, ifname in socket.if_nameindex()]
    except OSError:
        return None
    for ifname in names:
        if node_name(ifname) == name and netif.is_ethernet(ifname):
            return ifname
    return None


class EtherNode(Node):
    """One Linux interface's node."""

    declaration = ng_ether.TYPE

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.ifname = ""
        self.sock: Optional[socket.socket] = None
        self.promisc = False
        self.autosrc = False  # ng_ether_attach zeroes its private data (M_ZERO): off until set
        self.multi: Set[bytes] = set()
        self.roles: Dict[str, Hook] = {}  # lower, upper, orphans -> hook ("divert" is lower)
        self.ifindex = 0
        self.lower_up = False  # the carrier, as last reported
        self.monitor: Optional[socket.socket] = None  # rtnetlink: link state and removal

    @classmethod
    def node_for_name(cls, kernel: "Kernel", name: str) -> Optional[Node]:
        """The node of the interface a lookup of ``name`` means, attached now (None: no such interface)."""
        ifname = _interface_named(name)
        if ifname is None:
            return None
        try:
            index = netif.ifindex(ifname)
        except OSError:
            return None  # gone since
        if index in _kernel_state(kernel).detached:
            return None
        node = kernel.make_node_common(cls.type_name)
        assert isinstance(node, EtherNode)
        node.ifname, node.ifindex = ifname, index
        node.autosrc = _kernel_state(kernel).autosrc.get(index, False)
        try:
            kernel.name_node(node, node_name(ifname))
        except OSError:
            log.warning("can't name node %s", node_name(ifname))
        node.watch_link()
        return node

    def watch_link(self) -> None:
        """Follow the interface's carrier and removal (FreeBSD: if_link_state_change, ether_ifdetach)."""
        try:
            self.lower_up = netif.carrier(self.ifname)
            self.monitor = netif.open_link_monitor()
        except OSError as exc:
            log.debug("%s: no link monitor: %s", self.ifname, exc)
            return
        self.kernel.watch_fd(self.monitor.fileno(), self._on_link)

    def _on_link(self) -> None:
        monitor = self.monitor
        while monitor is not None and monitor is self.monitor:
            try:
                data = monitor.recv(65536)
            except BlockingIOError:
                return
            except OSError as exc:  # ENOBUFS: events lost; read the state afresh next time
                log.debug("%s: link monitor: %s", self.ifname, exc)
                return
            for kind, index, flags in netif.link_events(data):
                if index != self.ifindex:
                    continue
                if kind == netif.RTM_DELLINK:
                    log.info("%s: interface gone; node detached", self.ifname)
                    self._detach()
                    return
                self._follow_rename()
                up = bool(flags & netif.IFF_LOWER_UP)
                if up != self.lower_up:
                    self.lower_up = up
                    self._link_state(NGM_LINK_IS_UP if up else NGM_LINK_IS_DOWN)

    def _follow_rename(self) -> None:
        """ng_ether_ifnet_arrival_event: a renamed interface renames its node (a clash is only logged)."""
        try:
            ifname = socket.if_indextoname(self.ifindex)
        except OSError:
            return  # gone between the event and now: its RTM_DELLINK follows
        if ifname == self.ifname:
            return
        self.ifname = ifname
        try:
            self.kernel.name_node(self, node_name(ifname))
        except OSError:
            log.warning("can't re-name node %s", node_name(ifname))

    def _link_state(self, cmd: int) -> None:
        """ng_ether_link_state: tell the peers of ``lower`` and ``orphans``."""
        for role in (NG_ETHER_HOOK_LOWER, NG_ETHER_HOOK_ORPHAN):
            hook = self.roles.get(role)
            if hook is not None:
                netif.send_msg_hook(self, hook, netif.link_message(cmd))

    def constructor(self) -> Result:
        raise fbsd_error(Errno.EINVAL, "ether: nodes are attached to interfaces, not made")

    # --- the packet socket -----------------------------------------------------------

    def _open(self) -> socket.socket:
        if self.sock is None:
            self.sock = netif.open_packet(self.ifname)
            self.kernel.watch_fd(self.sock.fileno(), self._on_readable)
        return self.sock

    def _on_readable(self) -> None:
        sock = self.sock
        for _ in range(_READ_BURST):
            if sock is None or sock is not self.sock:
                return
            try:
                frame, ancillary, _, addr = sock.recvmsg(_FRAME_MAX, _CMSG_SPACE)
            except BlockingIOError:
                return
            except OSError as exc:
                self._read_error(exc)
                return
            self._input(frame, addr[2], _vlan_tags(ancillary))

    def _read_error(self, exc: OSError) -> None:
        if exc.errno in (errno.ENETDOWN, errno.ENXIO, errno.ENODEV) and not netif.is_ethernet(self.ifname):
            log.info("%s: interface gone; node detached", self.ifname)
            self._detach()
        else:
            log.debug("%s: %s", self.ifname, exc)

    def _input(self, frame: bytes, pkttype: int, tags: Tags) -> None:
        hooks = self.roles
        if pkttype == netif.PACKET_OUTGOING:
            upper = hooks.get(NG_ETHER_HOOK_UPPER)
            if upper is not None:
                self.send_data(upper, frame, tags)
            return
        lower = hooks.get(NG_ETHER_HOOK_LOWER)
        if lower is not None:
            self.send_data(lower, frame, tags)
            return
        orphans = hooks.get(NG_ETHER_HOOK_ORPHAN)
        if orphans is not None and len(frame) >= ETHER_HDR_LEN:
            orphan = self._orphan(frame, pkttype, tags)
            if orphan is not None:
                self.send_data(orphans, orphan, ())

    def _orphan(self, frame: bytes, pkttype: int, tags: Tags) -> Optional[bytes]:
        """The frame as ether_demux discards it to ng_ether_input_orphan, or None (the host takes or drops it).

        A VLAN tag (out of band, or in the frame: ether_input_internal takes it
        out) with a VID goes to vlan_input or is dropped; VID 0 only carries a
        priority and is dropped with the tag.  Unicast to another host (M_PROMISC)
        is dropped unless the interface is promiscuous at the user's request
        (IFF_PPROMISC; Linux: IFF_PROMISC set with ``ip link``).  Then IP, ARP and
        IPv6 go to the stack, and everything else is the orphans'.
        """
        tci = netif.split_tags(tags)[0]
        if tci is None and int.from_bytes(frame[12:14], "big") in (netif.ETHERTYPE_VLAN, netif.ETHERTYPE_QINQ):
            if len(frame) < ETHER_HDR_LEN + 4:
                return None
            tci, frame = int.from_bytes(frame[14:16], "big"), frame[:12] + frame[16:]
        if tci is not None and tci & netif.EVL_VLID_MASK:
            return None
        if pkttype == netif.PACKET_OTHERHOST and not self._promiscuous_by_user():
            return None
        if int.from_bytes(frame[12:14], "big") in _DEMUXED:
            return None
        return frame

    def _promiscuous_by_user(self) -> bool:
        """IFF_PPROMISC's Linux counterpart: IFF_PROMISC as SIOCGIFFLAGS reports it (False once gone)."""
        try:
            return bool(netif.get_flags(self.ifname) & netif.IFF_PROMISC)
        except OSError:
            return False

    def _detach(self) -> None:
        state = _kernel_state(self.kernel)
        state.detached.add(self.ifindex)
        state.autosrc.pop(self.ifindex, None)
        self.rmnode_self()

    # --- netgraph methods ------------------------------------------------------------

    def newhook(self, hook: Hook, name: str) -> Result:
        role = NG_ETHER_HOOK_LOWER if name == NG_ETHER_HOOK_DIVERT else name
        if role in self.roles:
            raise fbsd_error(Errno.EISCONN, f"ether: hook {role!r} exists")
        self._open()
        hook.private = role
        self.roles[role] = hook
        return None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        if hook.private == NG_ETHER_HOOK_UPPER:
            raise fbsd_error(Errno.EOPNOTSUPP, f"ether {self.ifname}: Linux cannot take a frame into "
                                               "its stack through the 'upper' hook")
        if not netif.get_flags(self.ifname) & netif.IFF_UP:
            raise fbsd_error(Errno.ENETDOWN, f"ether {self.ifname}: interface down")
        if len(data) < ETHER_HDR_LEN:
            raise fbsd_error(Errno.EINVAL, f"ether {self.ifname}: frame shorter than an Ethernet header")
        frame = _with_vlan_tag(bytes(data), tags)
        if self.autosrc:
            frame = frame[:6] + netif.get_hwaddr(self.ifname) + frame[12:]
        try:
            self._open().send(frame)
        except BlockingIOError:
            raise fbsd_error(Errno.ENOBUFS, f"ether {self.ifname}: transmit queue full") from None
        except OSError as exc:
            raise host_error(exc, f"ether {self.ifname}: transmit") from None
        return None

    def rcvmsg(self, item: MsgItem) -> Result:
        return run_command(self, _MESSAGES, item)

    def _msg_get_ifname(self, item: MsgItem) -> Result:
        return self.respond(item, self.ifname.encode()[:IFNAMSIZ - 1].ljust(IFNAMSIZ, b"\0"))

    def _msg_get_ifindex(self, item: MsgItem) -> Result:
        return self.respond(item, _U32.pack(netif.ifindex(self.ifname)))

    def _msg_get_enaddr(self, item: MsgItem) -> Result:
        return self.respond(item, netif.get_hwaddr(self.ifname))

    def _msg_get_promisc(self, item: MsgItem) -> Result:
        return self.respond(item, _U32.pack(int(self.promisc)))

    def _msg_get_autosrc(self, item: MsgItem) -> Result:
        return self.respond(item, _U32.pack(int(self.autosrc)))

    def _msg_detach(self, item: MsgItem) -> Result:
        self._detach()
        return None

    def _msg_set_promisc(self, item: MsgItem) -> Result:
        want = _U32.unpack(argument(self, item, _U32.size))[0] != 0
        if want != self.promisc:
            netif.packet_promisc(self._open(), self.ifname, want)
            self.promisc = want
        return None

    def _msg_set_autosrc(self, item: MsgItem) -> Result:
        self.autosrc = _U32.unpack(argument(self, item, _U32.size))[0] != 0
        _kernel_state(self.kernel).autosrc[self.ifindex] = self.autosrc
        return None

    def _msg_set_enaddr(self, item: MsgItem) -> Result:
        netif.set_hwaddr(self.ifname, argument(self, item, ETHER_ADDR_LEN))
        return None

    def _msg_add_multi(self, item: MsgItem) -> Result:
        addr = argument(self, item, ETHER_ADDR_LEN)
        if addr in self.multi:
            raise fbsd_error(Errno.EADDRINUSE, f"ether {self.ifname}: already a member")
        netif.multi(self.ifname, addr, True)
        self.multi.add(addr)
        return None

    def _msg_del_multi(self, item: MsgItem) -> Result:
        addr = argument(self, item, ETHER_ADDR_LEN)
        netif.multi(self.ifname, addr, False)
        self.multi.discard(addr)
        return None

    def disconnect(self, hook: Hook) -> None:
        self.roles.pop(hook.private, None)
        if not self.hooks and self.valid:
            self.rmnode_self()  # FreeBSD resets the node; it is found again on the next reference

    def shutdown(self) -> None:
        if self.monitor is not None:
            self.kernel.unwatch_fd(self.monitor.fileno())
            self.monitor.close()
            self.monitor = None
        if self.sock is not None:
            self.kernel.unwatch_fd(self.sock.fileno())
            self.sock.close()  # drops the promiscuous-mode reference with it
            self.sock = None
        self.promisc = False




# ng_ether_rcvmsg's switch: each NGM_ETHER_* command and its handler
_MESSAGES: Dict[int, Callable[[EtherNode, MsgItem], Result]] = {
    NGM_ETHER_GET_IFNAME: EtherNode._msg_get_ifname,
    NGM_ETHER_GET_IFINDEX: EtherNode._msg_get_ifindex,
    NGM_ETHER_GET_ENADDR: EtherNode._msg_get_enaddr,
    NGM_ETHER_SET_ENADDR: EtherNode._msg_set_enaddr,
    NGM_ETHER_GET_PROMISC: EtherNode._msg_get_promisc,
    NGM_ETHER_SET_PROMISC: EtherNode._msg_set_promisc,
    NGM_ETHER_GET_AUTOSRC: EtherNode._msg_get_autosrc,
    NGM_ETHER_SET_AUTOSRC: EtherNode._msg_set_autosrc,
    NGM_ETHER_ADD_MULTI: EtherNode._msg_add_multi,
    NGM_ETHER_DEL_MULTI: EtherNode._msg_del_multi,
    NGM_ETHER_DETACH: EtherNode._msg_detach,
}

NODE_TYPE = EtherNode
