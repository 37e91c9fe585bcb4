"""The structs of control-message arguments (the ``data`` of an ``NgMesg``), each declared once.

Generic messages (``ng_message.h``), ksocket's (``ng_ksocket.h``) and those of
the node types with structured arguments (hole, tee, bridge, one2many, vlan).
Each class is the struct's only declaration: its C layout, codec and ASCII
parse type derive from it (see :mod:`pyngraph.abi.schema`).
"""

from __future__ import annotations

from typing import Annotated, List

from .constants import ETHER_ADDR_LEN, NG_HOOKSIZ, NG_NODESIZ, NG_ONE2MANY_MAX_LINKS, NG_PATHSIZ, NG_TYPESIZ
from .schema import (
    Ascii, Counted, Octets, Rest, Struct, char, int32_t, ng_ID_t, u_char, u_int16_t, u_int32_t, u_int64_t,
)
from .sockaddr import Sockaddr, decode_sockaddr

# --- generic (ng_message.h) ----------------------------------------------------------


class Mkpeer(Struct, c_name="ngm_mkpeer"):
    """MKPEER: make a node of ``type`` and link our ``ourhook`` to its ``peerhook``."""

    type: Annotated[str, char[NG_TYPESIZ]]
    ourhook: Annotated[str, char[NG_HOOKSIZ]]
    peerhook: Annotated[str, char[NG_HOOKSIZ]]


class Connect(Struct, c_name="ngm_connect"):
    """CONNECT: link our ``ourhook`` to ``peerhook`` of the node at ``path``."""

    path: Annotated[str, char[NG_PATHSIZ]]
    ourhook: Annotated[str, char[NG_HOOKSIZ]]
    peerhook: Annotated[str, char[NG_HOOKSIZ]]


class Name(Struct, c_name="ngm_name"):
    """NAME: the node's new name."""

    name: Annotated[str, char[NG_NODESIZ]]


class Rmhook(Struct, c_name="ngm_rmhook"):
    """RMHOOK: the hook to remove."""

    ourhook: Annotated[str, char[NG_HOOKSIZ], Ascii("hook")]


class NodeInfo(Struct, c_name="nodeinfo"):
    """The NODEINFO reply."""

    name: Annotated[str, char[NG_NODESIZ]]
    type: Annotated[str, char[NG_TYPESIZ]]
    id: Annotated[int, ng_ID_t]
    hooks: Annotated[int, u_int32_t]


class LinkInfo(Struct, c_name="linkinfo"):
    """One hook and the node at its far end."""

    ourhook: Annotated[str, char[NG_HOOKSIZ]]
    peerhook: Annotated[str, char[NG_HOOKSIZ]]
    nodeinfo: NodeInfo


class HookList(Struct, c_name="hooklist"):
    """The LISTHOOKS reply; ``nodeinfo.hooks`` counts the links (``encode`` writes ``len(links)``)."""

    nodeinfo: NodeInfo
    links: Annotated[List[LinkInfo], Counted(LinkInfo, "nodeinfo.hooks", "link"), Ascii("linkinfo")]


class NameList(Struct, c_name="namelist"):
    """The LISTNAMES / LISTNODES reply."""

    nodes: Annotated[List[NodeInfo], Counted(NodeInfo, "numnames", "nodeinfo")]


class TypeInfo(Struct, c_name="typeinfo"):
    """One node type and how many nodes of it exist."""

    type_name: Annotated[str, char[NG_TYPESIZ], Ascii("typename")]
    numnodes: Annotated[int, u_int32_t]


class TypeList(Struct, c_name="typelist"):
    """The LISTTYPES reply."""

    types: Annotated[List[TypeInfo], Counted(TypeInfo, "numtypes", "typeinfo")]


class Bandwidth(Struct, c_name="ngm_bandwidth"):
    """Flow-control bandwidth report (``ngm_bandwidth``)."""

    nominal_in: Annotated[int, u_int64_t]
    seen_in: Annotated[int, u_int64_t]
    nominal_out: Annotated[int, u_int64_t]
    seen_out: Annotated[int, u_int64_t]


class QueueState(Struct, c_name="ngm_queue_state"):
    """Flow-control queue report (``ngm_queue_state``)."""

    queue_priority: Annotated[int, u_int32_t]
    max_queuelen_bytes: Annotated[int, u_int32_t]
    max_queuelen_packets: Annotated[int, u_int32_t]
    low_watermark: Annotated[int, u_int32_t]
    high_watermark: Annotated[int, u_int32_t]
    current: Annotated[int, u_int32_t]


class FlowManager(Struct, c_name="flow_manager"):
    """Flow-control manager (``flow_manager``)."""

    id: Annotated[int, ng_ID_t]


# --- ksocket (ng_ksocket.h) -------------------------------------------------------------


class SockaddrHead(Struct, c_name="sockaddr"):
    """``struct sockaddr``: the generic 16-byte form (the address codecs are in :mod:`.sockaddr`)."""

    sa_len: Annotated[int, u_char]
    sa_family: Annotated[int, u_char]
    sa_data: Annotated[bytes, Octets(14)]


class Sockopt(Struct, c_name="ng_ksocket_sockopt"):
    """SETOPT / GETOPT: FreeBSD level and name, then the value bytes."""

    level: Annotated[int, int32_t]
    name: Annotated[int, int32_t]
    value: Annotated[bytes, Rest()] = b""


class AcceptReply(Struct, c_name="ng_ksocket_accept"):
    """The ACCEPT reply: the new node's ID, then the peer's sockaddr (``4 + sa_len`` bytes, kept raw)."""

    nodeid: Annotated[int, ng_ID_t]
    addr: Annotated[bytes, Rest(layout=SockaddrHead, sockaddr=True)]

    def sockaddr(self) -> Sockaddr:
        """The peer address decoded (see ``decode_sockaddr``)."""
        return decode_sockaddr(self.addr)


# --- hole, tee (ng_hole.h, ng_tee.h) --------------------------------------------------------


class HoleHookStat(Struct, c_name="ng_hole_hookstat"):
    """A hole hook's counters."""

    frames: Annotated[int, u_int64_t]
    octets: Annotated[int, u_int64_t]


class TeeHookStat(Struct, c_name="ng_tee_hookstat"):
    """A tee hook's counters."""

    inOctets: Annotated[int, u_int64_t]
    inFrames: Annotated[int, u_int64_t]
    outOctets: Annotated[int, u_int64_t]
    outFrames: Annotated[int, u_int64_t]


class TeeStats(Struct, c_name="ng_tee_stats"):
    """GETSTATS of a tee: each hook's counters."""

    right: TeeHookStat
    left: TeeHookStat
    right2left: TeeHookStat
    left2right: TeeHookStat


# --- bridge, one2many, vlan (ng_bridge.h, ng_one2many.h, ng_vlan.h) ----------------------


class BridgeConfig(Struct, c_name="ng_bridge_config"):
    """SETCONFIG / GETCONFIG of a bridge."""

    debugLevel: Annotated[int, u_char]
    loopTimeout: Annotated[int, u_int32_t]
    maxStaleness: Annotated[int, u_int32_t]
    minStableAge: Annotated[int, u_int32_t]


class BridgeLinkStats(Struct, c_name="ng_bridge_link_stats"):
    """GETSTATS of one bridge link."""

    recvOctets: Annotated[int, u_int64_t]
    recvPackets: Annotated[int, u_int64_t]
    recvMulticasts: Annotated[int, u_int64_t, Ascii("recvMulticast")]
    recvBroadcasts: Annotated[int, u_int64_t, Ascii("recvBroadcast")]
    recvUnknown: Annotated[int, u_int64_t]
    recvRunts: Annotated[int, u_int64_t]
    recvInvalid: Annotated[int, u_int64_t]
    xmitOctets: Annotated[int, u_int64_t]
    xmitPackets: Annotated[int, u_int64_t]
    xmitMulticasts: Annotated[int, u_int64_t]
    xmitBroadcasts: Annotated[int, u_int64_t]
    loopDrops: Annotated[int, u_int64_t]
    loopDetects: Annotated[int, u_int64_t]
    memoryFailures: Annotated[int, u_int64_t]


class BridgeHostent(Struct, c_name="ng_bridge_hostent"):
    """One learned host: its address, the hook it is behind, age and staleness."""

    addr: Annotated[bytes, Octets(ETHER_ADDR_LEN, enaddr=True)]
    hook: Annotated[str, char[NG_HOOKSIZ]]
    age: Annotated[int, u_int16_t]
    staleness: Annotated[int, u_int16_t]


class BridgeHostAry(Struct, c_name="ng_bridge_host_ary"):
    """GETTABLE of a bridge."""

    hosts: Annotated[List[BridgeHostent], Counted(BridgeHostent, "numHosts", "hosts")]


class BridgeMoveHost(Struct, c_name="ng_bridge_move_host"):
    """MOVEHOST: put ``addr`` behind ``hook``."""

    addr: Annotated[bytes, Octets(ETHER_ADDR_LEN, enaddr=True)]
    hook: Annotated[str, char[NG_HOOKSIZ]]


class One2ManyConfig(Struct, c_name="ng_one2many_config"):
    """SETCONFIG / GETCONFIG of a one2many."""

    xmitAlg: Annotated[int, u_int32_t]
    failAlg: Annotated[int, u_int32_t]
    enabledLinks: Annotated[bytes, Octets(NG_ONE2MANY_MAX_LINKS)]


class One2ManyLinkStats(Struct, c_name="ng_one2many_link_stats"):
    """GETSTATS of one one2many link."""

    recvOctets: Annotated[int, u_int64_t]
    recvPackets: Annotated[int, u_int64_t]
    xmitOctets: Annotated[int, u_int64_t]
    xmitPackets: Annotated[int, u_int64_t]
    memoryFailures: Annotated[int, u_int64_t]


class VlanFilter(Struct, c_name="ng_vlan_filter"):
    """ADDFILTER: frames of ``vid`` go to ``hook_name`` (a GETTABLE entry)."""

    hook_name: Annotated[str, char[NG_HOOKSIZ], Ascii("hook")]
    vlan: Annotated[int, u_int16_t]
    vid: Annotated[int, u_int16_t]
    pcp: Annotated[int, u_char]
    cfi: Annotated[int, u_char]


class VlanTable(Struct, c_name="ng_vlan_table"):
    """GETTABLE of a vlan."""

    filter: Annotated[List[VlanFilter], Counted(VlanFilter, "n", "filter")]


__all__ = [
    "AcceptReply", "Bandwidth", "BridgeConfig", "BridgeHostAry", "BridgeHostent", "BridgeLinkStats",
    "BridgeMoveHost", "Connect", "FlowManager", "HoleHookStat", "HookList", "LinkInfo", "Mkpeer", "Name",
    "NameList", "NodeInfo", "One2ManyConfig", "One2ManyLinkStats", "QueueState", "Rmhook", "SockaddrHead",
    "Sockopt", "TeeHookStat", "TeeStats", "TypeInfo", "TypeList", "VlanFilter", "VlanTable",
]
