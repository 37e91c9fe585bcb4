"""Node type ``iface`` (ng_iface): a point-to-point interface ``ngN``, a Linux TUN device here.

Each node owns one TUN device named as FreeBSD names the interface (``ng0``,
``ng1`` ...: the lowest free unit) and takes the same node name when it is
free.  The hooks are ``inet`` and ``inet6``; each carries bare IP packets of
its family, as ``ng_iface`` relays them: what Linux routes out of the device
leaves by the hook of the packet's family (dropped when that hook is absent),
and a packet arriving on a hook is handed to Linux as that family's input.
The TUN packet-information header carries the family, so an IPv6 packet sent
on ``inet`` meets IPv4's input and is dropped there, as on FreeBSD.
"""

from __future__ import annotations

import logging
import struct
from typing import TYPE_CHECKING, Callable, Dict

from ...abi.constants import NGM_FLOW_COOKIE, Errno
from ...abi.nodetypes.ng_iface import (
    NG_IFACE_HOOK_INET, NG_IFACE_HOOK_INET6, NG_IFACE_IFACE_NAME, NGM_IFACE_BROADCAST, NGM_IFACE_GET_IFINDEX, NGM_IFACE_GET_IFNAME, NGM_IFACE_POINT2POINT,
)
from ...abi.nodetypes import ng_iface
from .. import netif
from ..kernel import fbsd_error
from ..node import Hook, MsgItem, Result, Tags, run_command

if TYPE_CHECKING:
    from ..kernel import Kernel

log = logging.getLogger("pyngraph.emulator.iface")

_FAMILIES = {NG_IFACE_HOOK_INET: netif.ETH_P_IP, NG_IFACE_HOOK_INET6: netif.ETH_P_IPV6}
_HOOK_OF = {proto: hook for hook, proto in _FAMILIES.items()}
_U32 = struct.Struct("=I")


class IfaceNode(netif.DeviceNode):
    """One TUN device; ``inet``/``inet6`` hooks; survives the loss of its hooks."""

    declaration = ng_iface.TYPE
    base = NG_IFACE_IFACE_NAME
    read_max = 65535 + netif.PI.size

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.point2point = True  # IFF_POINTOPOINT (else IFF_BROADCAST), as the node reports it

    def output(self, packet: bytes) -> None:
        """A packet Linux routed out of the device leaves by its family's hook."""
        if len(packet) < netif.PI.size:
            return
        proto = netif.PI.unpack_from(packet)[1]
        hook = self.hooks.get(_HOOK_OF.get(proto, ""))
        if hook is None:  # ng_iface_send: no hook for this family (ENETDOWN to the sender)
            log.debug("%s: no hook for a packet of protocol %#x", self.ifname, proto)
            return
        self.send_data(hook, packet[netif.PI.size:])

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        self.input(netif.PI.pack(0, _FAMILIES[hook.name]) + bytes(data))
        return None

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        if msg.typecookie == NGM_FLOW_COOKIE:
            return None  # link up/down: the TUN device's carrier follows its descriptor
        return run_command(self, _MESSAGES, item)

    def _msg_get_ifname(self, item: MsgItem) -> Result:
        return self.respond(item, self.ifname_reply())

    def _msg_get_ifindex(self, item: MsgItem) -> Result:
        return self.respond(item, _U32.pack(netif.ifindex(self.ifname)))

    def _msg_set_mode(self, item: MsgItem) -> Result:
        """POINT2POINT or BROADCAST: refused while the interface is up."""
        if netif.get_flags(self.ifname) & netif.IFF_UP:
            raise fbsd_error(Errno.EBUSY, f"iface: {self.ifname} is up")
        self.point2point = item.msg.cmd == NGM_IFACE_POINT2POINT
        return None  # no reply (NG_RESPOND_MSG without a response)


# ng_iface_rcvmsg's switch: each NGM_IFACE_* command and its handler
_MESSAGES: Dict[int, Callable[[IfaceNode, MsgItem], Result]] = {
    NGM_IFACE_GET_IFNAME: IfaceNode._msg_get_ifname,
    NGM_IFACE_GET_IFINDEX: IfaceNode._msg_get_ifindex,
    NGM_IFACE_POINT2POINT: IfaceNode._msg_set_mode,
    NGM_IFACE_BROADCAST: IfaceNode._msg_set_mode,
}

NODE_TYPE = IfaceNode
