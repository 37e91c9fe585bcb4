"""Node type ``hole`` (ng_hole): swallows packets, counting them per hook."""

from __future__ import annotations

import struct
from typing import Callable, Dict

from ...abi.constants import NG_HOOKSIZ, Errno
from ...abi.nodetypes.ng_hole import NGM_HOLE_CLR_STATS, NGM_HOLE_GET_STATS, NGM_HOLE_GETCLR_STATS
from ...abi.nodetypes import ng_hole
from ..kernel import fbsd_error
from ..node import Hook, MsgItem, Node, Result, Tags, run_command

_HOOKSTAT = struct.Struct("=QQ")  # struct ng_hole_hookstat: frames, octets


class HookStat:
    """One hook's counters."""

    __slots__ = ("frames", "octets")

    def __init__(self) -> None:
        self.frames = self.octets = 0

    def encode(self) -> bytes:
        return _HOOKSTAT.pack(self.frames & 0xFFFFFFFFFFFFFFFF, self.octets & 0xFFFFFFFFFFFFFFFF)


class HoleNode(Node):
    """Discards every packet; getstats/clrstats/getclrstats per hook."""

    declaration = ng_hole.TYPE

    def newhook(self, hook: Hook, name: str) -> Result:
        hook.private = HookStat()
        return None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        stat: HookStat = hook.private
        stat.frames += 1
        stat.octets += len(data)
        return None

    def rcvmsg(self, item: MsgItem) -> Result:
        return run_command(self, _MESSAGES, item)

    def _msg_stats(self, item: MsgItem) -> Result:
        """GET_STATS replies, CLR_STATS clears, GETCLR_STATS does both, for the hook named."""
        msg = item.msg
        if len(msg.data) != NG_HOOKSIZ:
            raise fbsd_error(Errno.EINVAL, f"hole: arglen {len(msg.data)}, expected {NG_HOOKSIZ}")
        end = msg.data.find(b"\0")
        hook = self.hooks.get(msg.data[:end].decode("latin-1")) if end >= 0 else None
        if hook is None or not hook.valid:
            raise fbsd_error(Errno.ENOENT, "hole: no such hook")
        stat: HookStat = hook.private
        if msg.cmd != NGM_HOLE_CLR_STATS:
            error = self.respond(item, stat.encode())
            if error:
                return error
        if msg.cmd != NGM_HOLE_GET_STATS:
            stat.frames = stat.octets = 0
        return None

    def disconnect(self, hook: Hook) -> None:
        if not self.hooks:
            self.rmnode_self()



# ng_hole_rcvmsg's switch: each NGM_HOLE_* command and its handler
_MESSAGES: Dict[int, Callable[[HoleNode, MsgItem], Result]] = {
    NGM_HOLE_GET_STATS: HoleNode._msg_stats,
    NGM_HOLE_CLR_STATS: HoleNode._msg_stats,
    NGM_HOLE_GETCLR_STATS: HoleNode._msg_stats,
}

NODE_TYPE = HoleNode
