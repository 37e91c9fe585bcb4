"""ng_one2many.h: the ``one2many`` node type, one hook multiplexed over many links."""

from __future__ import annotations

from typing import Annotated

from ..nodetype import Command, Hooks, NgType
from ..schema import Octets, Struct, int32_t, u_int32_t, u_int64_t

NG_ONE2MANY_NODE_TYPE = "one2many"
NGM_ONE2MANY_COOKIE = 1100897444
NG_ONE2MANY_HOOK_ONE = "one"
NG_ONE2MANY_HOOK_MANY_PREFIX = "many"
NG_ONE2MANY_MAX_LINKS = 64
NG_ONE2MANY_ONE_LINKNUM = -1
NG_ONE2MANY_XMIT_ROUNDROBIN = 1
NG_ONE2MANY_XMIT_ALL = 2
NG_ONE2MANY_XMIT_FAILOVER = 3
NG_ONE2MANY_FAIL_MANUAL = 1
NG_ONE2MANY_FAIL_NOTIFY = 2
NGM_ONE2MANY_SET_CONFIG = 0
NGM_ONE2MANY_GET_CONFIG = 1
NGM_ONE2MANY_GET_STATS = 2
NGM_ONE2MANY_CLR_STATS = 3
NGM_ONE2MANY_GETCLR_STATS = 4


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


TYPE = NgType(
    name=NG_ONE2MANY_NODE_TYPE,
    cookie=NGM_ONE2MANY_COOKIE,
    commands=(
        Command(NGM_ONE2MANY_SET_CONFIG, "setconfig", One2ManyConfig),
        Command(NGM_ONE2MANY_GET_CONFIG, "getconfig", None, One2ManyConfig),
        Command(NGM_ONE2MANY_GET_STATS, "getstats", int32_t, One2ManyLinkStats),
        Command(NGM_ONE2MANY_CLR_STATS, "clrstats", int32_t),
        Command(NGM_ONE2MANY_GETCLR_STATS, "getclrstats", int32_t, One2ManyLinkStats),
    ),
    hooks=Hooks(names=(NG_ONE2MANY_HOOK_ONE,), prefixes=(NG_ONE2MANY_HOOK_MANY_PREFIX,)),
    summary="multiplexer: packets from one go out of the many links by the transmit algorithm",
)
