"""The structs of control-message arguments (the ``data`` of an ``NgMesg``), each declared once.

The generic messages' (``ng_message.h``) and ``struct sockaddr``; a node
type's own structs are in its declaration (:mod:`pyngraph.abi.nodetypes`).
Each class is the struct's only declaration: its C layout, codec and ASCII
parse type derive from it (see :mod:`pyngraph.abi.schema`).
"""

from __future__ import annotations

from typing import Annotated, List

from .constants import NG_HOOKSIZ, NG_NODESIZ, NG_PATHSIZ, NG_TYPESIZ
from .schema import (
    Ascii, Counted, Octets, Struct, char, ng_ID_t, u_char, u_int32_t, u_int64_t,
)

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


__all__ = [
    "Bandwidth", "Connect", "FlowManager", "HookList", "LinkInfo", "Mkpeer", "Name", "NameList", "NodeInfo",
    "QueueState", "Rmhook", "SockaddrHead", "TypeInfo", "TypeList",
]
