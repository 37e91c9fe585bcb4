"""Typed helpers for the node types that are network interfaces: iface, eiface, ether.

Each is a :class:`~.noderef.Node` with one method per common message, built
on the binary messages, so it runs the same on FreeBSD and on the emulator::

    with SockNode() as sock:
        ng = Iface.make(sock, hook="inet")          # mkpeer . iface inet inet
        print(ng.ifname())                          # "ng0"
        ks = ng.node.mkpeer("ksocket", "inet", "inet/dgram/udp")
        em0 = Ether.attach(sock, "em0")             # the node "em0:"
        em0.set_promisc(True)
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Union

from ..abi.constants import ETHER_ADDR_LEN
from ..abi.nodetypes.ng_eiface import NGM_EIFACE_COOKIE, NGM_EIFACE_GET_IFNAME, NGM_EIFACE_SET
from ..abi.nodetypes.ng_ether import (
    NGM_ETHER_ADD_MULTI, NGM_ETHER_COOKIE, NGM_ETHER_DEL_MULTI, NGM_ETHER_DETACH, NGM_ETHER_GET_AUTOSRC,
    NGM_ETHER_GET_ENADDR, NGM_ETHER_GET_IFINDEX, NGM_ETHER_GET_IFNAME, NGM_ETHER_GET_PROMISC,
    NGM_ETHER_SET_AUTOSRC, NGM_ETHER_SET_ENADDR, NGM_ETHER_SET_PROMISC,
)
from ..abi.nodetypes.ng_iface import (
    NGM_IFACE_BROADCAST, NGM_IFACE_COOKIE, NGM_IFACE_GET_IFINDEX, NGM_IFACE_GET_IFNAME,
    NGM_IFACE_POINT2POINT,
)
from .failures import invalid
from .noderef import NodeRef

if TYPE_CHECKING:
    from .socknode import SockNode

_U32 = struct.Struct("=I")
MacAddress = Union[str, bytes]


def enaddr(value: MacAddress, command: str, path: str) -> bytes:
    """An Ethernet address from ``"00:11:22:33:44:55"`` or 6 bytes."""
    if isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    else:
        parts = value.split(":")
        try:
            raw = bytes(int(p, 16) for p in parts) if all(0 < len(p) <= 2 for p in parts) else b""
        except ValueError:
            raw = b""
    if len(raw) != ETHER_ADDR_LEN:
        raise invalid(f"{value!r} is not an Ethernet address (xx:xx:xx:xx:xx:xx)", command, path)
    return raw


def _string(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "replace")


class _Interface(NodeRef):
    cookie = 0

    def _get(self, cmd: int) -> bytes:
        return bytes(self.send_msg(self.cookie, cmd, reply=True).data)

    def _set(self, cmd: int, arg: bytes = b"") -> None:
        self.send_msg(self.cookie, cmd, arg)


class Iface(_Interface):
    """An ng_iface node: a point-to-point interface ``ngN`` carrying bare IP packets."""

    cookie = NGM_IFACE_COOKIE

    @classmethod
    def make(cls, sock: "SockNode", *, hook: str = "inet", family_hook: str = "inet",
             path: str = ".") -> "Iface":
        """A new interface hooked by its ``family_hook`` (inet, inet6) to ``path``'s ``hook``."""
        node = sock.mkpeer(path, "iface", hook, family_hook).resolve()
        return cls(sock, node.path)

    def ifname(self) -> str:
        """NGM_IFACE_GET_IFNAME: the interface's name (``ng0``)."""
        return _string(self._get(NGM_IFACE_GET_IFNAME))

    def ifindex(self) -> int:
        """NGM_IFACE_GET_IFINDEX: the interface's index."""
        return int(_U32.unpack(self._get(NGM_IFACE_GET_IFINDEX)[:4])[0])

    def point2point(self) -> None:
        """NGM_IFACE_POINT2POINT (the interface must be down: EBUSY otherwise)."""
        self._set(NGM_IFACE_POINT2POINT)

    def broadcast(self) -> None:
        """NGM_IFACE_BROADCAST (the interface must be down: EBUSY otherwise)."""
        self._set(NGM_IFACE_BROADCAST)


class EIface(_Interface):
    """An ng_eiface node: an Ethernet interface ``ngethN`` whose frames use the ``ether`` hook."""

    cookie = NGM_EIFACE_COOKIE

    @classmethod
    def make(cls, sock: "SockNode", *, hook: str = "ether", path: str = ".") -> "EIface":
        """A new Ethernet interface hooked by ``ether`` to ``path``'s ``hook``."""
        node = sock.mkpeer(path, "eiface", hook, "ether").resolve()
        return cls(sock, node.path)

    def ifname(self) -> str:
        """NGM_EIFACE_GET_IFNAME: the interface's name (``ngeth0``)."""
        return _string(self._get(NGM_EIFACE_GET_IFNAME))

    def set_enaddr(self, address: MacAddress) -> None:
        """NGM_EIFACE_SET: give the interface an Ethernet address."""
        self._set(NGM_EIFACE_SET, enaddr(address, "set", self.path))


class Ether(_Interface):
    """The ng_ether node of an Ethernet interface (``em0:``)."""

    cookie = NGM_ETHER_COOKIE

    @classmethod
    def attach(cls, sock: "SockNode", ifname: str) -> "Ether":
        """The node of interface ``ifname`` (FreeBSD names it with ``.`` and ``:`` as ``_``)."""
        return cls(sock, ifname.replace(".", "_").replace(":", "_") + ":")

    def ifname(self) -> str:
        """NGM_ETHER_GET_IFNAME."""
        return _string(self._get(NGM_ETHER_GET_IFNAME))

    def ifindex(self) -> int:
        """NGM_ETHER_GET_IFINDEX."""
        return int(_U32.unpack(self._get(NGM_ETHER_GET_IFINDEX)[:4])[0])

    def enaddr(self) -> str:
        """NGM_ETHER_GET_ENADDR, as ``xx:xx:xx:xx:xx:xx``."""
        return ":".join("%02x" % b for b in self._get(NGM_ETHER_GET_ENADDR)[:ETHER_ADDR_LEN])

    def set_enaddr(self, address: MacAddress) -> None:
        """NGM_ETHER_SET_ENADDR."""
        self._set(NGM_ETHER_SET_ENADDR, enaddr(address, "setenaddr", self.path))

    def promisc(self) -> bool:
        """NGM_ETHER_GET_PROMISC: whether this node holds the interface promiscuous."""
        return bool(_U32.unpack(self._get(NGM_ETHER_GET_PROMISC)[:4])[0])

    def set_promisc(self, on: bool) -> None:
        """NGM_ETHER_SET_PROMISC."""
        self._set(NGM_ETHER_SET_PROMISC, _U32.pack(int(on)))

    def autosrc(self) -> bool:
        """NGM_ETHER_GET_AUTOSRC: whether frames sent on ``lower`` get the interface's source address."""
        return bool(_U32.unpack(self._get(NGM_ETHER_GET_AUTOSRC)[:4])[0])

    def set_autosrc(self, on: bool) -> None:
        """NGM_ETHER_SET_AUTOSRC."""
        self._set(NGM_ETHER_SET_AUTOSRC, _U32.pack(int(on)))

    def add_multi(self, address: MacAddress) -> None:
        """NGM_ETHER_ADD_MULTI: join a link-layer multicast group (EADDRINUSE: already joined)."""
        self._set(NGM_ETHER_ADD_MULTI, enaddr(address, "addmulti", self.path))

    def del_multi(self, address: MacAddress) -> None:
        """NGM_ETHER_DEL_MULTI."""
        self._set(NGM_ETHER_DEL_MULTI, enaddr(address, "delmulti", self.path))

    def detach(self) -> None:
        """NGM_ETHER_DETACH: remove the node for good (the interface stays)."""
        self._set(NGM_ETHER_DETACH)


__all__ = ["EIface", "Ether", "Iface", "MacAddress", "enaddr"]
