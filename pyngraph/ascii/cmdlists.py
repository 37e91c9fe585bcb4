"""Command lists: for each node type, its commands' ASCII names and argument types.

A node type declares its list as data, as FreeBSD's ``struct ng_cmdlist``
arrays do.  A conversion looks the command up in the target node type's list
first and then in :data:`GENERIC` (see :mod:`pyngraph.ascii.convert`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Sequence, Tuple

from ..abi import constants as C
from .sockaddr import ACCEPT, SOCKADDR, SOCKOPT
from .types import (
    CMDBUF, ENADDR, HINT16, HINT32, HOOKBUF, INT32, NODEBUF, PATHBUF, STRING, TYPEBUF, UINT8, UINT16, UINT32,
    UINT64, ArrayType, Buffer, ByteArrayType, Field, FixedArrayType, ParseType, StructType, c_int, read_u32,
)


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

def _list_length(ctx: object, buf: Buffer, pos: int) -> int:
    """The u_int32_t count just before the array (namelist, typelist, bridge table, vlan table)."""
    return c_int(read_u32(buf, pos - 4))


def _linkinfo_length(ctx: object, buf: Buffer, pos: int) -> int:
    """hooklist: ``nodeinfo.hooks`` at the start of the argument."""
    return c_int(read_u32(buf, 68))


def _mesg_data_length(ctx: object, buf: Buffer, pos: int) -> int:
    """ng_mesg: ``header.arglen`` of the message whose data starts at ``pos``."""
    return c_int(read_u32(buf, pos - 56 + 4))


MKPEER = StructType([Field("type", TYPEBUF), Field("ourhook", HOOKBUF), Field("peerhook", HOOKBUF)],
                    "ngm_mkpeer")
CONNECT = StructType([Field("path", PATHBUF), Field("ourhook", HOOKBUF), Field("peerhook", HOOKBUF)],
                     "ngm_connect")
NAME = StructType([Field("name", NODEBUF)], "ngm_name")
RMHOOK = StructType([Field("hook", HOOKBUF)], "ngm_rmhook")
NODEINFO = StructType(
    [Field("name", NODEBUF), Field("type", TYPEBUF), Field("id", HINT32), Field("hooks", UINT32)],
    "nodeinfo",
)
LINKINFO = StructType(
    [Field("ourhook", HOOKBUF), Field("peerhook", HOOKBUF), Field("nodeinfo", NODEINFO)], "linkinfo"
)
HOOKLIST = StructType(
    [Field("nodeinfo", NODEINFO), Field("linkinfo", ArrayType(LINKINFO, _linkinfo_length))], "hooklist"
)
NAMELIST = StructType(
    [Field("numnames", UINT32), Field("nodeinfo", ArrayType(NODEINFO, _list_length))], "namelist"
)
TYPEINFO = StructType([Field("typename", TYPEBUF), Field("numnodes", UINT32)], "typeinfo")
TYPELIST = StructType(
    [Field("numtypes", UINT32), Field("typeinfo", ArrayType(TYPEINFO, _list_length))], "typelist"
)
NG_MESG = StructType(
    [
        Field("version", UINT8), Field("spare", UINT8), Field("spare2", UINT16),
        Field("arglen", UINT32), Field("cmd", UINT32), Field("flags", HINT32),
        Field("token", UINT32), Field("typecookie", UINT32), Field("cmdstr", CMDBUF),
        Field("data", ByteArrayType(_mesg_data_length)),
    ],
    "ng_mesg",
)

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

HOLE_HOOKSTAT = StructType([Field("frames", UINT64), Field("octets", UINT64)], "ng_hole_hookstat")
_H = C.NGM_HOLE_COOKIE
HOLE = CmdList("hole", [
    Cmd(_H, C.NGM_HOLE_GET_STATS, "getstats", HOOKBUF, HOLE_HOOKSTAT),
    Cmd(_H, C.NGM_HOLE_CLR_STATS, "clrstats", HOOKBUF, None),
    Cmd(_H, C.NGM_HOLE_GETCLR_STATS, "getclrstats", HOOKBUF, HOLE_HOOKSTAT),
])

TEE_HOOKSTAT = StructType(
    [Field("inOctets", UINT64), Field("inFrames", UINT64),
     Field("outOctets", UINT64), Field("outFrames", UINT64)],
    "ng_tee_hookstat",
)
TEE_STATS = StructType(
    [Field("right", TEE_HOOKSTAT), Field("left", TEE_HOOKSTAT),
     Field("right2left", TEE_HOOKSTAT), Field("left2right", TEE_HOOKSTAT)],
    "ng_tee_stats",
)
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


BRIDGE_CONFIG = StructType(
    [Field("debugLevel", UINT8), Field("loopTimeout", UINT32), Field("maxStaleness", UINT32),
     Field("minStableAge", UINT32)],
    "ng_bridge_config",
)
BRIDGE_STATS = StructType(
    [Field(name, UINT64) for name in (
        "recvOctets", "recvPackets", "recvMulticast", "recvBroadcast", "recvUnknown", "recvRunts",
        "recvInvalid", "xmitOctets", "xmitPackets", "xmitMulticasts", "xmitBroadcasts", "loopDrops",
        "loopDetects", "memoryFailures")],
    "ng_bridge_link_stats",
)
BRIDGE_HOST = StructType(
    [Field("addr", ENADDR), Field("hook", HOOKBUF), Field("age", UINT16), Field("staleness", UINT16)],
    "ng_bridge_hostent",
)
BRIDGE_HOST_ARY = StructType(
    [Field("numHosts", UINT32), Field("hosts", ArrayType(BRIDGE_HOST, _list_length))],
    "ng_bridge_host_ary",
)
BRIDGE_MOVE_HOST = StructType([Field("addr", ENADDR), Field("hook", HOOKBUF)], "ng_bridge_move_host")
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

ONE2MANY_CONFIG = StructType(
    [Field("xmitAlg", UINT32), Field("failAlg", UINT32),
     Field("enabledLinks", FixedArrayType(UINT8, C.NG_ONE2MANY_MAX_LINKS))],
    "ng_one2many_config",
)
ONE2MANY_STATS = StructType(
    [Field(name, UINT64) for name in (
        "recvOctets", "recvPackets", "xmitOctets", "xmitPackets", "memoryFailures")],
    "ng_one2many_link_stats",
)
_O = C.NGM_ONE2MANY_COOKIE
ONE2MANY = CmdList("one2many", [
    Cmd(_O, C.NGM_ONE2MANY_SET_CONFIG, "setconfig", ONE2MANY_CONFIG, None),
    Cmd(_O, C.NGM_ONE2MANY_GET_CONFIG, "getconfig", None, ONE2MANY_CONFIG),
    Cmd(_O, C.NGM_ONE2MANY_GET_STATS, "getstats", INT32, ONE2MANY_STATS),
    Cmd(_O, C.NGM_ONE2MANY_CLR_STATS, "clrstats", INT32, None),
    Cmd(_O, C.NGM_ONE2MANY_GETCLR_STATS, "getclrstats", INT32, ONE2MANY_STATS),
])

# --- vlan ------------------------------------------------------------------------------

VLAN_FILTER = StructType(
    [Field("hook", HOOKBUF), Field("vlan", UINT16), Field("vid", UINT16), Field("pcp", UINT8),
     Field("cfi", UINT8)],
    "ng_vlan_filter",
)
VLAN_TABLE = StructType(
    [Field("n", UINT32), Field("filter", ArrayType(VLAN_FILTER, _list_length))], "ng_vlan_table"
)
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
