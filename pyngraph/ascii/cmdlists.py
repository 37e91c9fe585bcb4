"""Command lists: for each node type, its commands' ASCII names and argument types.

A node type declares its list as data, as FreeBSD's ``struct ng_cmdlist``
arrays do.  A conversion looks the command up in the target node type's list
first and then in :data:`GENERIC` (see :mod:`pyngraph.ascii.convert`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Sequence, Tuple

from ..abi import args as A
from ..abi import constants as C
from ..abi.message import Mesg
from .derive import parse_type
from .sockaddr import SOCKADDR
from .types import ENADDR, HINT16, HINT32, HOOKBUF, INT32, STRING, UINT16, UINT32, ParseType


@dataclass(frozen=True)
class Cmd:
    """One command: its cookie and number, ASCII name, request and reply types (None: no argument)."""

    cookie: int
    cmd: int
    name: str
    request: Optional[ParseType]
    reply: Optional[ParseType]

    def argtype(self, response: bool) -> Optional[ParseType]:
        """The type of the arguments of a request (or, with ``response``, of a reply)."""
        return self.reply if response else self.request


class CmdList:
    """A node type's commands, searched like FreeBSD's: the first match wins."""

    def __init__(self, typename: str, cmds: Sequence[Cmd] = ()) -> None:
        self.typename = typename
        self.cmds: Tuple[Cmd, ...] = tuple(cmds)
        self._by_name: Dict[str, Cmd] = {}
        self._by_number: Dict[Tuple[int, int], Cmd] = {}
        for c in self.cmds:
            self._by_name.setdefault(c.name, c)
            self._by_number.setdefault((c.cookie, c.cmd), c)

    def __repr__(self) -> str:
        return f"CmdList({self.typename!r}, {[c.name for c in self.cmds]})"

    def __iter__(self) -> Iterator[Cmd]:
        return iter(self.cmds)

    def __len__(self) -> int:
        return len(self.cmds)

    def by_name(self, name: str) -> Optional[Cmd]:
        """The command with this exact (case-sensitive) ASCII name, or None."""
        return self._by_name.get(name)

    def by_number(self, cookie: int, cmd: int) -> Optional[Cmd]:
        """The command with this (cookie, cmd) pair, or None."""
        return self._by_number.get((cookie, cmd))


# --- generic messages (ng_message.h, ng_base.c) -----------------------------------

MKPEER = parse_type(A.Mkpeer)
CONNECT = parse_type(A.Connect)
NAME = parse_type(A.Name)
RMHOOK = parse_type(A.Rmhook)
NODEINFO = parse_type(A.NodeInfo)
LINKINFO = parse_type(A.LinkInfo)
HOOKLIST = parse_type(A.HookList)
NAMELIST = parse_type(A.NameList)
TYPEINFO = parse_type(A.TypeInfo)
TYPELIST = parse_type(A.TypeList)
NG_MESG = parse_type(Mesg)

_G = C.NGM_GENERIC_COOKIE
GENERIC = CmdList("generic", [
    Cmd(_G, C.NGM_SHUTDOWN, "shutdown", None, None),
    Cmd(_G, C.NGM_MKPEER, "mkpeer", MKPEER, None),
    Cmd(_G, C.NGM_CONNECT, "connect", CONNECT, None),
    Cmd(_G, C.NGM_NAME, "name", NAME, None),
    Cmd(_G, C.NGM_RMHOOK, "rmhook", RMHOOK, None),
    Cmd(_G, C.NGM_NODEINFO, "nodeinfo", None, NODEINFO),
    Cmd(_G, C.NGM_LISTHOOKS, "listhooks", None, HOOKLIST),
    Cmd(_G, C.NGM_LISTNAMES, "listnames", None, NAMELIST),
    Cmd(_G, C.NGM_LISTNODES, "listnodes", None, NAMELIST),
    Cmd(_G, C.NGM_LISTTYPES, "listtypes", None, TYPELIST),
    Cmd(_G, C.NGM_TEXT_CONFIG, "textconfig", None, STRING),
    Cmd(_G, C.NGM_TEXT_STATUS, "textstatus", None, STRING),
    Cmd(_G, C.NGM_ASCII2BINARY, "ascii2binary", NG_MESG, NG_MESG),
    Cmd(_G, C.NGM_BINARY2ASCII, "binary2ascii", NG_MESG, NG_MESG),
])
"""The generic commands every node understands (FreeBSD's ``ng_generic_cmds``)."""

# --- ksocket, socket, hub, echo ------------------------------------------------------

SOCKOPT = parse_type(A.Sockopt)
"""``{ level=.. name=.. value=[..] }``; the value's length comes from the header arglen."""
ACCEPT = parse_type(A.AcceptReply)
"""The accept reply: the new node's ID and the peer address (always in the generic form)."""

_K = C.NGM_KSOCKET_COOKIE
KSOCKET = CmdList("ksocket", [
    Cmd(_K, C.NGM_KSOCKET_BIND, "bind", SOCKADDR, None),
    Cmd(_K, C.NGM_KSOCKET_LISTEN, "listen", INT32, None),
    Cmd(_K, C.NGM_KSOCKET_ACCEPT, "accept", None, ACCEPT),
    Cmd(_K, C.NGM_KSOCKET_CONNECT, "connect", SOCKADDR, INT32),
    Cmd(_K, C.NGM_KSOCKET_GETNAME, "getname", None, SOCKADDR),
    Cmd(_K, C.NGM_KSOCKET_GETPEERNAME, "getpeername", None, SOCKADDR),
    Cmd(_K, C.NGM_KSOCKET_SETOPT, "setopt", SOCKOPT, None),
    Cmd(_K, C.NGM_KSOCKET_GETOPT, "getopt", SOCKOPT, SOCKOPT),
])

SOCKET = CmdList("socket")
"""The socket type has no command list: only generic commands convert at a socket node."""

HUB = CmdList("hub", [Cmd(C.NGM_HUB_COOKIE, C.NGM_HUB_SET_PERSISTENT, "setpersistent", None, None)])
ECHO = CmdList("echo")

# --- hole, tee -------------------------------------------------------------------------

HOLE_HOOKSTAT = parse_type(A.HoleHookStat)
_H = C.NGM_HOLE_COOKIE
HOLE = CmdList("hole", [
    Cmd(_H, C.NGM_HOLE_GET_STATS, "getstats", HOOKBUF, HOLE_HOOKSTAT),
    Cmd(_H, C.NGM_HOLE_CLR_STATS, "clrstats", HOOKBUF, None),
    Cmd(_H, C.NGM_HOLE_GETCLR_STATS, "getclrstats", HOOKBUF, HOLE_HOOKSTAT),
])

TEE_HOOKSTAT = parse_type(A.TeeHookStat)
TEE_STATS = parse_type(A.TeeStats)
_T = C.NGM_TEE_COOKIE
TEE = CmdList("tee", [
    Cmd(_T, C.NGM_TEE_GET_STATS, "getstats", None, TEE_STATS),
    Cmd(_T, C.NGM_TEE_CLR_STATS, "clrstats", None, None),
    Cmd(_T, C.NGM_TEE_GETCLR_STATS, "getclrstats", None, TEE_STATS),
])

# --- iface, eiface, ether, bridge, one2many -----------------------------------------

_I = C.NGM_IFACE_COOKIE
IFACE = CmdList("iface", [
    Cmd(_I, C.NGM_IFACE_GET_IFNAME, "getifname", None, STRING),
    Cmd(_I, C.NGM_IFACE_POINT2POINT, "point2point", None, None),
    Cmd(_I, C.NGM_IFACE_BROADCAST, "broadcast", None, None),
    Cmd(_I, C.NGM_IFACE_GET_IFINDEX, "getifindex", None, UINT32),
])

_EI = C.NGM_EIFACE_COOKIE
EIFACE = CmdList("eiface", [  # GET_IFADDRS has no ASCII form in FreeBSD's list
    Cmd(_EI, C.NGM_EIFACE_GET_IFNAME, "getifname", None, STRING),
    Cmd(_EI, C.NGM_EIFACE_SET, "set", ENADDR, None),
])

_E = C.NGM_ETHER_COOKIE
ETHER = CmdList("ether", [
    Cmd(_E, C.NGM_ETHER_GET_IFNAME, "getifname", None, STRING),
    Cmd(_E, C.NGM_ETHER_GET_IFINDEX, "getifindex", None, INT32),
    Cmd(_E, C.NGM_ETHER_GET_ENADDR, "getenaddr", None, ENADDR),
    Cmd(_E, C.NGM_ETHER_SET_ENADDR, "setenaddr", ENADDR, None),
    Cmd(_E, C.NGM_ETHER_GET_PROMISC, "getpromisc", None, INT32),
    Cmd(_E, C.NGM_ETHER_SET_PROMISC, "setpromisc", INT32, None),
    Cmd(_E, C.NGM_ETHER_GET_AUTOSRC, "getautosrc", None, INT32),
    Cmd(_E, C.NGM_ETHER_SET_AUTOSRC, "setautosrc", INT32, None),
    Cmd(_E, C.NGM_ETHER_ADD_MULTI, "addmulti", ENADDR, None),
    Cmd(_E, C.NGM_ETHER_DEL_MULTI, "delmulti", ENADDR, None),
    Cmd(_E, C.NGM_ETHER_DETACH, "detach", None, None),
])


BRIDGE_CONFIG = parse_type(A.BridgeConfig)
BRIDGE_STATS = parse_type(A.BridgeLinkStats)
BRIDGE_HOST = parse_type(A.BridgeHostent)
BRIDGE_HOST_ARY = parse_type(A.BridgeHostAry)
BRIDGE_MOVE_HOST = parse_type(A.BridgeMoveHost)
_B = C.NGM_BRIDGE_COOKIE
BRIDGE = CmdList("bridge", [
    Cmd(_B, C.NGM_BRIDGE_SET_CONFIG, "setconfig", BRIDGE_CONFIG, None),
    Cmd(_B, C.NGM_BRIDGE_GET_CONFIG, "getconfig", None, BRIDGE_CONFIG),
    Cmd(_B, C.NGM_BRIDGE_RESET, "reset", None, None),
    Cmd(_B, C.NGM_BRIDGE_GET_STATS, "getstats", UINT32, BRIDGE_STATS),
    Cmd(_B, C.NGM_BRIDGE_CLR_STATS, "clrstats", UINT32, None),
    Cmd(_B, C.NGM_BRIDGE_GETCLR_STATS, "getclrstats", UINT32, BRIDGE_STATS),
    Cmd(_B, C.NGM_BRIDGE_GET_TABLE, "gettable", None, BRIDGE_HOST_ARY),
    Cmd(_B, C.NGM_BRIDGE_SET_PERSISTENT, "setpersistent", None, None),
    Cmd(_B, C.NGM_BRIDGE_MOVE_HOST, "movehost", BRIDGE_MOVE_HOST, None),
])

ONE2MANY_CONFIG = parse_type(A.One2ManyConfig)
ONE2MANY_STATS = parse_type(A.One2ManyLinkStats)
_O = C.NGM_ONE2MANY_COOKIE
ONE2MANY = CmdList("one2many", [
    Cmd(_O, C.NGM_ONE2MANY_SET_CONFIG, "setconfig", ONE2MANY_CONFIG, None),
    Cmd(_O, C.NGM_ONE2MANY_GET_CONFIG, "getconfig", None, ONE2MANY_CONFIG),
    Cmd(_O, C.NGM_ONE2MANY_GET_STATS, "getstats", INT32, ONE2MANY_STATS),
    Cmd(_O, C.NGM_ONE2MANY_CLR_STATS, "clrstats", INT32, None),
    Cmd(_O, C.NGM_ONE2MANY_GETCLR_STATS, "getclrstats", INT32, ONE2MANY_STATS),
])

# --- vlan ------------------------------------------------------------------------------

VLAN_FILTER = parse_type(A.VlanFilter)
VLAN_TABLE = parse_type(A.VlanTable)
_V = C.NGM_VLAN_COOKIE
VLAN = CmdList("vlan", [
    Cmd(_V, C.NGM_VLAN_ADD_FILTER, "addfilter", VLAN_FILTER, None),
    Cmd(_V, C.NGM_VLAN_DEL_FILTER, "delfilter", HOOKBUF, None),
    Cmd(_V, C.NGM_VLAN_GET_TABLE, "gettable", None, VLAN_TABLE),
    Cmd(_V, C.NGM_VLAN_DEL_VID_FLT, "delvidflt", UINT16, None),
    Cmd(_V, C.NGM_VLAN_GET_DECAP, "getdecap", None, HINT32),
    Cmd(_V, C.NGM_VLAN_SET_DECAP, "setdecap", HINT32, None),
    Cmd(_V, C.NGM_VLAN_GET_ENCAP, "getencap", None, HINT32),
    Cmd(_V, C.NGM_VLAN_SET_ENCAP, "setencap", HINT32, None),
    Cmd(_V, C.NGM_VLAN_GET_ENCAP_PROTO, "getencapproto", None, HINT16),
    Cmd(_V, C.NGM_VLAN_SET_ENCAP_PROTO, "setencapproto", HINT16, None),
])

CMDLISTS: Dict[str, CmdList] = {c.typename: c for c in (
    KSOCKET, SOCKET, HUB, ECHO, HOLE, TEE, IFACE, EIFACE, ETHER, BRIDGE, ONE2MANY, VLAN)}
"""Each node type's own command list, by type name."""

__all__ = [
    "BRIDGE", "BRIDGE_CONFIG", "BRIDGE_HOST", "BRIDGE_HOST_ARY", "BRIDGE_MOVE_HOST", "BRIDGE_STATS",
    "EIFACE", "ETHER", "IFACE", "ONE2MANY", "ONE2MANY_CONFIG", "ONE2MANY_STATS", "VLAN", "VLAN_FILTER",
    "VLAN_TABLE", "ACCEPT", "CMDLISTS", "CONNECT", "Cmd", "CmdList", "ECHO", "GENERIC", "HOLE", "HOLE_HOOKSTAT",
    "HOOKLIST", "HUB", "KSOCKET", "LINKINFO", "MKPEER", "NAME", "NAMELIST", "NG_MESG", "NODEINFO",
    "RMHOOK", "SOCKADDR", "SOCKET", "SOCKOPT", "TEE", "TEE_HOOKSTAT", "TEE_STATS", "TYPEINFO",
    "TYPELIST",
]
