"""ng_vlan.h: the ``vlan`` node type, 802.1Q tagging between downstream and per-VLAN hooks."""

from __future__ import annotations

from typing import Annotated, List

from ..constants import NG_HOOKSIZ
from ..nodetype import Command, Hooks, NgType
from ..schema import Ascii, Counted, Struct, char, int32_t, u_char, u_int16_t

NG_VLAN_NODE_TYPE = "vlan"
NGM_VLAN_COOKIE = 1068486472
NG_VLAN_HOOK_DOWNSTREAM = "downstream"
NG_VLAN_HOOK_NOMATCH = "nomatch"
NGM_VLAN_ADD_FILTER = 1
NGM_VLAN_DEL_FILTER = 2
NGM_VLAN_GET_TABLE = 3
NGM_VLAN_DEL_VID_FLT = 4
NGM_VLAN_GET_DECAP = 5
NGM_VLAN_SET_DECAP = 6
NGM_VLAN_GET_ENCAP = 7
NGM_VLAN_SET_ENCAP = 8
NGM_VLAN_GET_ENCAP_PROTO = 9
NGM_VLAN_SET_ENCAP_PROTO = 10
VLAN_ENCAP_FROM_FILTER = 0x00000001
VLAN_ENCAP_FROM_NOMATCH = 0x00000002


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


TYPE = NgType(
    name=NG_VLAN_NODE_TYPE,
    cookie=NGM_VLAN_COOKIE,
    commands=(
        Command(NGM_VLAN_ADD_FILTER, "addfilter", VlanFilter),
        Command(NGM_VLAN_DEL_FILTER, "delfilter", char[NG_HOOKSIZ]),
        Command(NGM_VLAN_GET_TABLE, "gettable", None, VlanTable),
        Command(NGM_VLAN_DEL_VID_FLT, "delvidflt", u_int16_t),
        Command(NGM_VLAN_GET_DECAP, "getdecap", None, int32_t.hex),
        Command(NGM_VLAN_SET_DECAP, "setdecap", int32_t.hex),
        Command(NGM_VLAN_GET_ENCAP, "getencap", None, int32_t.hex),
        Command(NGM_VLAN_SET_ENCAP, "setencap", int32_t.hex),
        Command(NGM_VLAN_GET_ENCAP_PROTO, "getencapproto", None, u_int16_t.hex),
        Command(NGM_VLAN_SET_ENCAP_PROTO, "setencapproto", u_int16_t.hex),
    ),
    hooks=Hooks(any_name=True),
    summary="VLAN multiplexer: frames on downstream go to the hook filtering their VID, or to nomatch",
)
