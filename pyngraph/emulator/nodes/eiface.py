"""Node type ``eiface`` (ng_eiface): an Ethernet interface ``ngethN``, a Linux TAP device here.

Frames Linux transmits on the device leave by the ``ether`` hook; frames
arriving on the hook are received by the device.  As on FreeBSD the link
is up while the hook is connected (the TAP carrier follows the hook).
"""

from __future__ import annotations

import fcntl
import logging
import socket
import struct
from typing import Callable, Dict, List

from ...abi.constants import (
    AF_INET, AF_INET6, ETHER_ADDR_LEN, IFNAMSIZ, NGM_FLOW_COOKIE, NGM_LINK_IS_DOWN, NGM_LINK_IS_UP, Errno,
)
from ...abi.nodetypes.ng_eiface import (
    NG_EIFACE_EIFACE_NAME, NG_EIFACE_HOOK_ETHER, NGM_EIFACE_GET_IFADDRS, NGM_EIFACE_GET_IFNAME, NGM_EIFACE_SET,
)
from ...abi.nodetypes import ng_eiface
from .. import netif
from ..kernel import fbsd_error
from ..node import Hook, MsgItem, Result, Tags, run_command

log = logging.getLogger("pyngraph.emulator.eiface")

TUNSETCARRIER = 0x400454E2
_INT = struct.Struct("=i")
ETHER_HDR_LEN = 14
AF_LINK, IFT_ETHER = 18, 6
SIZEOF_LONG = 8  # SA_SIZE rounds to sizeof(long): the 64-bit targets
_SDL_HEAD = struct.Struct("=BBHBBBB")  # sdl_len, family, index, type, nlen, alen, slen
SIZEOF_SOCKADDR_DL = 54


def _sa_size(length: int) -> int:
    return SIZEOF_LONG if length == 0 else 1 + ((length - 1) | (SIZEOF_LONG - 1))


def link_sockaddr(ifname: str, index: int, lladdr: bytes) -> bytes:
    """The interface's AF_LINK address as FreeBSD's if_attach lays it out (rounded to a long)."""
    name = ifname.encode()
    size = max(8 + len(name) + len(lladdr), SIZEOF_SOCKADDR_DL)
    size = (size + SIZEOF_LONG - 1) & ~(SIZEOF_LONG - 1)
    body = _SDL_HEAD.pack(size, AF_LINK, index, IFT_ETHER, len(name), len(lladdr), 0) + name + lladdr
    return body.ljust(size, b"\0")


def inet_addresses(ifname: str) -> List[bytes]:
    """The interface's primary IPv4 and its IPv6 addresses, as FreeBSD sockaddrs padded to SA_SIZE."""
    out: List[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            reply = fcntl.ioctl(s.fileno(), 0x8915, struct.pack(f"{IFNAMSIZ}s16x", ifname.encode()))  # SIOCGIFADDR
            addr = reply[IFNAMSIZ + 4:IFNAMSIZ + 8]
            out.append(struct.pack("=BBH4s8x", 16, AF_INET, 0, addr))
        except OSError:
            pass
    try:
        with open("/proc/net/if_inet6") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 6 and fields[5] == ifname:
                    sin6 = struct.pack("=BBHI16sI", 28, AF_INET6, 0, 0, bytes.fromhex(fields[0]), 0)
                    out.append(sin6.ljust(_sa_size(28), b"\0"))
    except OSError:
        pass
    return out


class EifaceNode(netif.DeviceNode):
    """One TAP device; one ``ether`` hook; survives the loss of its hook."""

    declaration = ng_eiface.TYPE
    base = NG_EIFACE_EIFACE_NAME
    tap = True
    read_max = 65536 + 18

    def attached(self) -> None:
        self._carrier(False)  # no hook yet: link down

    def _carrier(self, up: bool) -> None:
        """The link state FreeBSD reports follows the hook; the TAP carrier follows it here."""
        try:
            fcntl.ioctl(self.fd, TUNSETCARRIER, _INT.pack(int(up)))
        except OSError as exc:
            log.debug("%s: TUNSETCARRIER: %s", self.ifname, exc)

    def output(self, packet: bytes) -> None:
        hook = self.hooks.get(NG_EIFACE_HOOK_ETHER)
        if hook is not None:
            self.send_data(hook, packet)

    def newhook(self, hook: Hook, name: str) -> Result:
        self._carrier(True)
        return None

    def disconnect(self, hook: Hook) -> None:
        self._carrier(False)

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        if len(data) < ETHER_HDR_LEN:
            raise fbsd_error(Errno.EINVAL, f"eiface {self.ifname}: frame shorter than an Ethernet header")
        self.input(bytes(data))
        return None

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        if msg.typecookie == NGM_FLOW_COOKIE:
            if msg.cmd in (NGM_LINK_IS_UP, NGM_LINK_IS_DOWN):
                self._carrier(msg.cmd == NGM_LINK_IS_UP)
            return None
        return run_command(self, _MESSAGES, item)

    def _msg_set(self, item: MsgItem) -> Result:
        """SET: the interface's Ethernet address."""
        if len(item.msg.data) != ETHER_ADDR_LEN:
            raise fbsd_error(Errno.EINVAL, f"eiface: set wants {ETHER_ADDR_LEN} bytes")
        netif.set_hwaddr(self.ifname, bytes(item.msg.data))
        return None

    def _msg_get_ifname(self, item: MsgItem) -> Result:
        return self.respond(item, self.ifname_reply())

    def _msg_get_ifaddrs(self, item: MsgItem) -> Result:
        link = link_sockaddr(self.ifname, netif.ifindex(self.ifname), netif.get_hwaddr(self.ifname))
        return self.respond(item, link + b"".join(inet_addresses(self.ifname)))


# ng_eiface_rcvmsg's switch: each NGM_EIFACE_* command and its handler
_MESSAGES: Dict[int, Callable[[EifaceNode, MsgItem], Result]] = {
    NGM_EIFACE_SET: EifaceNode._msg_set,
    NGM_EIFACE_GET_IFNAME: EifaceNode._msg_get_ifname,
    NGM_EIFACE_GET_IFADDRS: EifaceNode._msg_get_ifaddrs,
}

NODE_TYPE = EifaceNode
