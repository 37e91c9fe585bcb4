"""ng_hole.h: the ``hole`` node type, which discards packets and counts them per hook."""

from __future__ import annotations

from typing import Annotated

from ..constants import NG_HOOKSIZ
from ..nodetype import Command, Hooks, NgType
from ..schema import Struct, char, u_int64_t

NG_HOLE_NODE_TYPE = "hole"
NGM_HOLE_COOKIE = 915433206
NGM_HOLE_GET_STATS = 1
NGM_HOLE_CLR_STATS = 2
NGM_HOLE_GETCLR_STATS = 3


class HoleHookStat(Struct, c_name="ng_hole_hookstat"):
    """A hole hook's counters."""

    frames: Annotated[int, u_int64_t]
    octets: Annotated[int, u_int64_t]


TYPE = NgType(
    name=NG_HOLE_NODE_TYPE,
    cookie=NGM_HOLE_COOKIE,
    commands=(
        Command(NGM_HOLE_GET_STATS, "getstats", char[NG_HOOKSIZ], HoleHookStat),
        Command(NGM_HOLE_CLR_STATS, "clrstats", char[NG_HOOKSIZ]),
        Command(NGM_HOLE_GETCLR_STATS, "getclrstats", char[NG_HOOKSIZ], HoleHookStat),
    ),
    hooks=Hooks(any_name=True),
    summary="sink: discards every packet, counting frames and octets per hook",
)
