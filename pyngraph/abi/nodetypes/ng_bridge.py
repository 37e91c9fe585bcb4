"""ng_bridge.h: the ``bridge`` node type, an Ethernet bridge over its link hooks."""

from __future__ import annotations

from typing import Annotated, List

from ..constants import ETHER_ADDR_LEN, NG_HOOKSIZ
from ..nodetype import Command, Hooks, NgType
from ..schema import Ascii, Counted, Octets, Struct, char, u_char, u_int16_t, u_int32_t, u_int64_t

NG_BRIDGE_NODE_TYPE = "bridge"
NGM_BRIDGE_COOKIE = 1569321993
NG_BRIDGE_HOOK_LINK_PREFIX = "link"
NG_BRIDGE_HOOK_UPLINK_PREFIX = "uplink"
NGM_BRIDGE_SET_CONFIG = 1
NGM_BRIDGE_GET_CONFIG = 2
NGM_BRIDGE_RESET = 3
NGM_BRIDGE_GET_STATS = 4
NGM_BRIDGE_CLR_STATS = 5
NGM_BRIDGE_GETCLR_STATS = 6
NGM_BRIDGE_GET_TABLE = 7
NGM_BRIDGE_SET_PERSISTENT = 8
NGM_BRIDGE_MOVE_HOST = 9


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


TYPE = NgType(
    name=NG_BRIDGE_NODE_TYPE,
    cookie=NGM_BRIDGE_COOKIE,
    commands=(
        Command(NGM_BRIDGE_SET_CONFIG, "setconfig", BridgeConfig),
        Command(NGM_BRIDGE_GET_CONFIG, "getconfig", None, BridgeConfig),
        Command(NGM_BRIDGE_RESET, "reset"),
        Command(NGM_BRIDGE_GET_STATS, "getstats", u_int32_t, BridgeLinkStats),
        Command(NGM_BRIDGE_CLR_STATS, "clrstats", u_int32_t),
        Command(NGM_BRIDGE_GETCLR_STATS, "getclrstats", u_int32_t, BridgeLinkStats),
        Command(NGM_BRIDGE_GET_TABLE, "gettable", None, BridgeHostAry),
        Command(NGM_BRIDGE_SET_PERSISTENT, "setpersistent"),
        Command(NGM_BRIDGE_MOVE_HOST, "movehost", BridgeMoveHost),
    ),
    hooks=Hooks(prefixes=(NG_BRIDGE_HOOK_LINK_PREFIX, NG_BRIDGE_HOOK_UPLINK_PREFIX)),
    summary="Ethernet bridge: learns which link each host is behind and forwards frames there",
)
