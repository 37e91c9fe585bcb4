"""ctypes layouts of the FreeBSD structs netgraph users see (host byte order).

The netgraph structs are derived from their one declaration (``LAYOUT`` of
:mod:`.args`, :mod:`.message` and the node types' :mod:`.nodetypes`), under
their C names.  The socket addresses
other than ``struct sockaddr`` are declared here: their codecs are
family-specific (:mod:`.sockaddr`).  Class names are the C struct names; field
names are the C member names; a C flexible array member is a zero-length array,
so ``sizeof`` matches C.  ``sockaddr_storage`` and ``ngm_bandwidth`` hold a
64-bit integer and are 4-aligned on i386 (8 elsewhere): ctypes reports the
host's alignment.
"""

from __future__ import annotations

import ctypes
from typing import List, Type

from . import args
from .constants import NG_NODESIZ
from .message import Mesg, MsgHdr
from .nodetypes import HEADERS, ng_bridge, ng_ksocket, ng_one2many, ng_vlan
from .schema import Struct, walk

u_char = ctypes.c_uint8
u_int32_t = ctypes.c_uint32
int64_t = ctypes.c_int64
char = ctypes.c_char
sa_family_t = ctypes.c_uint8
in_port_t = ctypes.c_uint16
in_addr_t = ctypes.c_uint32

_TYPES_STRUCTS = [value for module in HEADERS for value in vars(module).values()
                  if isinstance(value, type) and issubclass(value, Struct) and value.__module__ == module.__name__]
DECLARED: List[Type[Struct]] = list(dict.fromkeys(
    inner for cls in (Mesg, *(getattr(args, name) for name in args.__all__), *_TYPES_STRUCTS) for inner in walk(cls)))
"""Every declared struct, each after the structs it contains."""

ng_msghdr = MsgHdr.LAYOUT
ng_mesg = Mesg.LAYOUT
ngm_mkpeer = args.Mkpeer.LAYOUT
ngm_connect = args.Connect.LAYOUT
ngm_name = args.Name.LAYOUT
ngm_rmhook = args.Rmhook.LAYOUT
nodeinfo = args.NodeInfo.LAYOUT
linkinfo = args.LinkInfo.LAYOUT
hooklist = args.HookList.LAYOUT
namelist = args.NameList.LAYOUT
typeinfo = args.TypeInfo.LAYOUT
typelist = args.TypeList.LAYOUT
ngm_bandwidth = args.Bandwidth.LAYOUT
ngm_queue_state = args.QueueState.LAYOUT
flow_manager = args.FlowManager.LAYOUT
sockaddr = args.SockaddrHead.LAYOUT
ng_ksocket_sockopt = ng_ksocket.Sockopt.LAYOUT
ng_ksocket_accept = ng_ksocket.AcceptReply.LAYOUT
ng_bridge_config = ng_bridge.BridgeConfig.LAYOUT
ng_bridge_link_stats = ng_bridge.BridgeLinkStats.LAYOUT
ng_bridge_hostent = ng_bridge.BridgeHostent.LAYOUT
ng_bridge_host_ary = ng_bridge.BridgeHostAry.LAYOUT
ng_bridge_move_host = ng_bridge.BridgeMoveHost.LAYOUT
ng_one2many_config = ng_one2many.One2ManyConfig.LAYOUT
ng_one2many_link_stats = ng_one2many.One2ManyLinkStats.LAYOUT
ng_vlan_filter = ng_vlan.VlanFilter.LAYOUT
ng_vlan_table = ng_vlan.VlanTable.LAYOUT


# --- socket addresses (sys/socket.h, netinet/in.h, netinet6/in6.h, sys/un.h) ---------


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


class sockaddr_ng(ctypes.Structure):
    """``sg_data`` is variable length: the headers ziglang ships size it NG_NODESIZ (32,
    sizeof 34); older FreeBSD trees (and abi.md §1.5) size it 14 (sizeof 16)."""

    _fields_ = [("sg_len", u_char), ("sg_family", sa_family_t), ("sg_data", char * NG_NODESIZ)]


ALL_STRUCTS: List[Type[ctypes.Structure]] = [cls.LAYOUT for cls in DECLARED] + [
    sockaddr_in, sockaddr_in6, sockaddr_un, sockaddr_storage, sockaddr_ng]
