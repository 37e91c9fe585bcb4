"""Typed helpers for the node types that are network interfaces: iface, eiface, ether.

Each is a node reference with one method per common message, built on the
binary messages, so it runs the same on FreeBSD and on the emulator; the
methods are written once (:class:`IfaceOps` ...) for both APIs, and
:mod:`pyngraph.aio` has the asyncio classes::

    with SockNode() as sock:
        ng = Iface.make(sock, hook="inet")          # mkpeer . iface inet inet
        print(ng.ifname())                          # "ng0"
        ks = ng.node.mkpeer("ksocket", "inet", "inet/dgram/udp")
        em0 = Ether.attach(sock, "em0")             # the node "em0:"
        em0.set_promisc(True)
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any, Type, TypeVar, Union

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
from . import ops
from .failures import invalid
from .noderef import KS, NR, NodeOps, NodeRef, id_path, join_path
from .ops import Op
from .runner import operation

if TYPE_CHECKING:
    from .ksocket import KSocket
    from .socknode import SockNode, SockNodeOps

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


I = TypeVar("I", bound="InterfaceOps[Any, Any]")


class InterfaceOps(NodeOps[NR, KS]):
    """A node of an interface type: its messages by cookie."""

    cookie = 0
    node_type = ""

    def _get(self, cmd: int) -> Op[bytes]:
        msg = yield from ops.binary_msg(self.path, self.cookie, cmd, b"", True, None)
        return bytes(msg.data)

    def _get_u32(self, cmd: int) -> Op[int]:
        return int(_U32.unpack((yield from self._get(cmd))[:4])[0])

    def _set(self, cmd: int, arg: bytes = b"") -> Op[None]:
        yield from ops.binary_msg(self.path, self.cookie, cmd, arg, False, None)

    @classmethod
    def making(cls: Type[I], sock: "SockNodeOps[NR, KS]", path: str, hook: str, peerhook: str) -> Op[I]:
        """Create a node of this type on ``path``'s ``hook`` (by its ``peerhook``), addressed by ID."""
        yield from ops.mkpeer(path, cls.node_type, hook, peerhook)
        node = yield from ops.info(join_path(path, hook))
        return cls(sock, id_path(node.id))


class IfaceOps(InterfaceOps[NR, KS]):
    """An ng_iface node: a point-to-point interface ``ngN`` carrying bare IP packets."""

    cookie = NGM_IFACE_COOKIE
    node_type = "iface"

    @operation
    def ifname(self) -> Op[str]:
        """NGM_IFACE_GET_IFNAME: the interface's name (``ng0``)."""
        return _string((yield from self._get(NGM_IFACE_GET_IFNAME)))

    @operation
    def ifindex(self) -> Op[int]:
        """NGM_IFACE_GET_IFINDEX: the interface's index."""
        return self._get_u32(NGM_IFACE_GET_IFINDEX)

    @operation
    def point2point(self) -> Op[None]:
        """NGM_IFACE_POINT2POINT (the interface must be down: EBUSY otherwise)."""
        return self._set(NGM_IFACE_POINT2POINT)

    @operation
    def broadcast(self) -> Op[None]:
        """NGM_IFACE_BROADCAST (the interface must be down: EBUSY otherwise)."""
        return self._set(NGM_IFACE_BROADCAST)


class EIfaceOps(InterfaceOps[NR, KS]):
    """An ng_eiface node: an Ethernet interface ``ngethN`` whose frames use the ``ether`` hook."""

    cookie = NGM_EIFACE_COOKIE
    node_type = "eiface"

    @operation
    def ifname(self) -> Op[str]:
        """NGM_EIFACE_GET_IFNAME: the interface's name (``ngeth0``)."""
        return _string((yield from self._get(NGM_EIFACE_GET_IFNAME)))

    @operation
    def set_enaddr(self, address: MacAddress) -> Op[None]:
        """NGM_EIFACE_SET: give the interface an Ethernet address."""
        return self._set(NGM_EIFACE_SET, enaddr(address, "set", self.path))


class EtherOps(InterfaceOps[NR, KS]):
    """The ng_ether node of an Ethernet interface (``em0:``)."""

    cookie = NGM_ETHER_COOKIE
    node_type = "ether"

    @classmethod
    def attach(cls: Type[I], sock: "SockNodeOps[NR, KS]", ifname: str) -> I:
        """The node of interface ``ifname`` (FreeBSD names it with ``.`` and ``:`` as ``_``)."""
        return cls(sock, ifname.replace(".", "_").replace(":", "_") + ":")

    @operation
    def ifname(self) -> Op[str]:
        """NGM_ETHER_GET_IFNAME."""
        return _string((yield from self._get(NGM_ETHER_GET_IFNAME)))

    @operation
    def ifindex(self) -> Op[int]:
        """NGM_ETHER_GET_IFINDEX."""
        return self._get_u32(NGM_ETHER_GET_IFINDEX)

    @operation
    def enaddr(self) -> Op[str]:
        """NGM_ETHER_GET_ENADDR, as ``xx:xx:xx:xx:xx:xx``."""
        raw = yield from self._get(NGM_ETHER_GET_ENADDR)
        return ":".join("%02x" % b for b in raw[:ETHER_ADDR_LEN])

    @operation
    def set_enaddr(self, address: MacAddress) -> Op[None]:
        """NGM_ETHER_SET_ENADDR."""
        return self._set(NGM_ETHER_SET_ENADDR, enaddr(address, "setenaddr", self.path))

    @operation
    def promisc(self) -> Op[bool]:
        """NGM_ETHER_GET_PROMISC: whether this node holds the interface promiscuous."""
        return bool((yield from self._get_u32(NGM_ETHER_GET_PROMISC)))

    @operation
    def set_promisc(self, on: bool) -> Op[None]:
        """NGM_ETHER_SET_PROMISC."""
        return self._set(NGM_ETHER_SET_PROMISC, _U32.pack(int(on)))

    @operation
    def autosrc(self) -> Op[bool]:
        """NGM_ETHER_GET_AUTOSRC: whether frames sent on ``lower`` get the interface's source address."""
        return bool((yield from self._get_u32(NGM_ETHER_GET_AUTOSRC)))

    @operation
    def set_autosrc(self, on: bool) -> Op[None]:
        """NGM_ETHER_SET_AUTOSRC."""
        return self._set(NGM_ETHER_SET_AUTOSRC, _U32.pack(int(on)))

    @operation
    def add_multi(self, address: MacAddress) -> Op[None]:
        """NGM_ETHER_ADD_MULTI: join a link-layer multicast group (EADDRINUSE: already joined)."""
        return self._set(NGM_ETHER_ADD_MULTI, enaddr(address, "addmulti", self.path))

    @operation
    def del_multi(self, address: MacAddress) -> Op[None]:
        """NGM_ETHER_DEL_MULTI."""
        return self._set(NGM_ETHER_DEL_MULTI, enaddr(address, "delmulti", self.path))

    @operation
    def detach(self) -> Op[None]:
        """NGM_ETHER_DETACH: remove the node for good (the interface stays)."""
        return self._set(NGM_ETHER_DETACH)


class Iface(IfaceOps[NodeRef, "KSocket"], NodeRef):
    """An ng_iface node: a point-to-point interface ``ngN`` carrying bare IP packets."""

    @classmethod
    def make(cls, sock: "SockNode", *, hook: str = "inet", family_hook: str = "inet", path: str = ".") -> "Iface":
        """A new interface hooked by its ``family_hook`` (inet, inet6) to ``path``'s ``hook``."""
        return sock.run(cls.making(sock, path, hook, family_hook))


class EIface(EIfaceOps[NodeRef, "KSocket"], NodeRef):
    """An ng_eiface node: an Ethernet interface ``ngethN`` whose frames use the ``ether`` hook."""

    @classmethod
    def make(cls, sock: "SockNode", *, hook: str = "ether", path: str = ".") -> "EIface":
        """A new Ethernet interface hooked by ``ether`` to ``path``'s ``hook``."""
        return sock.run(cls.making(sock, path, hook, "ether"))


class Ether(EtherOps[NodeRef, "KSocket"], NodeRef):
    """The ng_ether node of an Ethernet interface (``em0:``)."""


__all__ = ["EIface", "EIfaceOps", "Ether", "EtherOps", "Iface", "IfaceOps", "InterfaceOps", "MacAddress", "enaddr"]
