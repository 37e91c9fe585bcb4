"""ng_tee.h: the ``tee`` node type, a two-way pipe with a copy of each direction on the side."""

from __future__ import annotations

from typing import Annotated

from ..nodetype import Command, Hooks, NgType
from ..schema import Struct, u_int64_t

NG_TEE_NODE_TYPE = "tee"
NGM_TEE_COOKIE = 916107047
NGM_TEE_GET_STATS = 1
NGM_TEE_CLR_STATS = 2
NGM_TEE_GETCLR_STATS = 3


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


TYPE = NgType(
    name=NG_TEE_NODE_TYPE,
    cookie=NGM_TEE_COOKIE,
    commands=(
        Command(NGM_TEE_GET_STATS, "getstats", None, TeeStats),
        Command(NGM_TEE_CLR_STATS, "clrstats"),
        Command(NGM_TEE_GETCLR_STATS, "getclrstats", None, TeeStats),
    ),
    hooks=Hooks(names=("right", "left", "right2left", "left2right")),
    summary="tee: left and right pass packets through; left2right and right2left get copies",
)
