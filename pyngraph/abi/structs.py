"""ctypes layouts of the FreeBSD structs netgraph users see (host byte order).

Class names are the C struct names; field names are the C member names.  A C
flexible array member is a zero-length array, so ``sizeof`` matches C.  Only
fixed-width fields are used, so one layout serves every FreeBSD target;
``sockaddr_storage`` and ``ngm_bandwidth`` hold a 64-bit integer and are
4-aligned on i386 (8 elsewhere): ctypes reports the host's alignment.
"""

from __future__ import annotations

import ctypes
from typing import List, Type

from .constants import (
    ETHER_ADDR_LEN, NG_CMDSTRSIZ, NG_HOOKSIZ, NG_NODESIZ, NG_ONE2MANY_MAX_LINKS, NG_PATHSIZ, NG_TYPESIZ,
)

u_char = ctypes.c_uint8
u_int16_t = ctypes.c_uint16
u_int32_t = ctypes.c_uint32
int32_t = ctypes.c_int32
u_int64_t = ctypes.c_uint64
int64_t = ctypes.c_int64
char = ctypes.c_char
ng_ID_t = ctypes.c_uint32
sa_family_t = ctypes.c_uint8
in_port_t = ctypes.c_uint16
in_addr_t = ctypes.c_uint32


# --- netgraph core (ng_message.h) --------------------------------------------------


class ng_msghdr(ctypes.Structure):
    _fields_ = [
        ("version", u_char),
        ("spare", u_char),
        ("spare2", u_int16_t),
        ("arglen", u_int32_t),
        ("cmd", u_int32_t),
        ("flags", u_int32_t),
        ("token", u_int32_t),
        ("typecookie", u_int32_t),
        ("cmdstr", u_char * NG_CMDSTRSIZ),
    ]


class ng_mesg(ctypes.Structure):
    _fields_ = [("header", ng_msghdr), ("data", char * 0)]


class ngm_mkpeer(ctypes.Structure):
    _fields_ = [("type", char * NG_TYPESIZ), ("ourhook", char * NG_HOOKSIZ), ("peerhook", char * NG_HOOKSIZ)]


class ngm_connect(ctypes.Structure):
    _fields_ = [("path", char * NG_PATHSIZ), ("ourhook", char * NG_HOOKSIZ), ("peerhook", char * NG_HOOKSIZ)]


class ngm_name(ctypes.Structure):
    _fields_ = [("name", char * NG_NODESIZ)]


class ngm_rmhook(ctypes.Structure):
    _fields_ = [("ourhook", char * NG_HOOKSIZ)]


class nodeinfo(ctypes.Structure):
    _fields_ = [("name", char * NG_NODESIZ), ("type", char * NG_TYPESIZ), ("id", ng_ID_t), ("hooks", u_int32_t)]


class linkinfo(ctypes.Structure):
    _fields_ = [("ourhook", char * NG_HOOKSIZ), ("peerhook", char * NG_HOOKSIZ), ("nodeinfo", nodeinfo)]


class hooklist(ctypes.Structure):
    _fields_ = [("nodeinfo", nodeinfo), ("link", linkinfo * 0)]


class namelist(ctypes.Structure):
    _fields_ = [("numnames", u_int32_t), ("nodeinfo", nodeinfo * 0)]


class typeinfo(ctypes.Structure):
    _fields_ = [("type_name", char * NG_TYPESIZ), ("numnodes", u_int32_t)]


class typelist(ctypes.Structure):
    _fields_ = [("numtypes", u_int32_t), ("typeinfo", typeinfo * 0)]


class ngm_bandwidth(ctypes.Structure):
    _fields_ = [
        ("nominal_in", u_int64_t),
        ("seen_in", u_int64_t),
        ("nominal_out", u_int64_t),
        ("seen_out", u_int64_t),
    ]


class ngm_queue_state(ctypes.Structure):
    _fields_ = [
        ("queue_priority", u_int32_t),
        ("max_queuelen_bytes", u_int32_t),
        ("max_queuelen_packets", u_int32_t),
        ("low_watermark", u_int32_t),
        ("high_watermark", u_int32_t),
        ("current", u_int32_t),
    ]


class flow_manager(ctypes.Structure):
    _fields_ = [("id", ng_ID_t)]


# --- socket addresses (sys/socket.h, netinet/in.h, netinet6/in6.h, sys/un.h) ---------


class sockaddr(ctypes.Structure):
    _fields_ = [("sa_len", u_char), ("sa_family", sa_family_t), ("sa_data", char * 14)]


class sockaddr_in(ctypes.Structure):
    _fields_ = [
        ("sin_len", u_char),
        ("sin_family", sa_family_t),
        ("sin_port", in_port_t),  # network order
        ("sin_addr", in_addr_t),  # network order
        ("sin_zero", char * 8),
    ]


class sockaddr_in6(ctypes.Structure):
    _fields_ = [
        ("sin6_len", u_char),
        ("sin6_family", sa_family_t),
        ("sin6_port", in_port_t),  # network order
        ("sin6_flowinfo", u_int32_t),  # network order
        ("sin6_addr", u_char * 16),
        ("sin6_scope_id", u_int32_t),  # host order
    ]


class sockaddr_un(ctypes.Structure):
    _fields_ = [("sun_len", u_char), ("sun_family", sa_family_t), ("sun_path", char * 104)]


class sockaddr_storage(ctypes.Structure):
    _fields_ = [
        ("ss_len", u_char),
        ("ss_family", sa_family_t),
        ("__ss_pad1", char * 6),
        ("__ss_align", int64_t),
        ("__ss_pad2", char * 112),
    ]


# --- node types (ng_ksocket.h, ng_socket.h) ----------------------------------------------


class ng_ksocket_sockopt(ctypes.Structure):
    _fields_ = [("level", int32_t), ("name", int32_t), ("value", u_char * 0)]


class ng_ksocket_accept(ctypes.Structure):
    _fields_ = [("nodeid", u_int32_t), ("addr", sockaddr)]


class sockaddr_ng(ctypes.Structure):
    """``sg_data`` is variable length: the headers ziglang ships size it NG_NODESIZ (32,
    sizeof 34); older FreeBSD trees (and abi.md §1.5) size it 14 (sizeof 16)."""

    _fields_ = [("sg_len", u_char), ("sg_family", sa_family_t), ("sg_data", char * NG_NODESIZ)]


# --- the interface companions (ng_bridge.h, ng_one2many.h, ng_vlan.h) ---------------------


class ng_bridge_config(ctypes.Structure):
    _fields_ = [("debugLevel", u_char), ("loopTimeout", u_int32_t), ("maxStaleness", u_int32_t),
                ("minStableAge", u_int32_t)]


class ng_bridge_link_stats(ctypes.Structure):
    _fields_ = [(name, u_int64_t) for name in (
        "recvOctets", "recvPackets", "recvMulticasts", "recvBroadcasts", "recvUnknown", "recvRunts",
        "recvInvalid", "xmitOctets", "xmitPackets", "xmitMulticasts", "xmitBroadcasts", "loopDrops",
        "loopDetects", "memoryFailures")]


class ng_bridge_hostent(ctypes.Structure):
    _fields_ = [("addr", u_char * ETHER_ADDR_LEN), ("hook", char * NG_HOOKSIZ), ("age", u_int16_t),
                ("staleness", u_int16_t)]


class ng_bridge_host_ary(ctypes.Structure):
    _fields_ = [("numHosts", u_int32_t), ("hosts", ng_bridge_hostent * 0)]


class ng_bridge_move_host(ctypes.Structure):
    _fields_ = [("addr", u_char * ETHER_ADDR_LEN), ("hook", char * NG_HOOKSIZ)]


class ng_one2many_config(ctypes.Structure):
    _fields_ = [("xmitAlg", u_int32_t), ("failAlg", u_int32_t), ("enabledLinks", u_char * NG_ONE2MANY_MAX_LINKS)]


class ng_one2many_link_stats(ctypes.Structure):
    _fields_ = [(name, u_int64_t) for name in (
        "recvOctets", "recvPackets", "xmitOctets", "xmitPackets", "memoryFailures")]


class ng_vlan_filter(ctypes.Structure):
    _fields_ = [("hook_name", char * NG_HOOKSIZ), ("vlan", u_int16_t), ("vid", u_int16_t), ("pcp", u_char),
                ("cfi", u_char)]


class ng_vlan_table(ctypes.Structure):
    _fields_ = [("n", u_int32_t), ("filter", ng_vlan_filter * 0)]


NgMesgHeader = ng_msghdr

ALL_STRUCTS: List[Type[ctypes.Structure]] = [
    ng_msghdr, ng_mesg, ngm_mkpeer, ngm_connect, ngm_name, ngm_rmhook, nodeinfo, linkinfo,
    hooklist, namelist, typeinfo, typelist, ngm_bandwidth, ngm_queue_state, flow_manager,
    sockaddr, sockaddr_in, sockaddr_in6, sockaddr_un, sockaddr_storage,
    ng_ksocket_sockopt, ng_ksocket_accept, sockaddr_ng,
    ng_bridge_config, ng_bridge_link_stats, ng_bridge_hostent, ng_bridge_host_ary, ng_bridge_move_host,
    ng_one2many_config, ng_one2many_link_stats, ng_vlan_filter, ng_vlan_table,
]
