"""Node type ``tee`` (ng_tee): left <-> right, with copies out of the tap hooks."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Callable, Dict, List, Optional, Tuple

from ...abi.constants import NGM_FLOW_COOKIE, Errno
from ...abi.nodetypes.ng_tee import NGM_TEE_CLR_STATS, NGM_TEE_COOKIE, NGM_TEE_GET_STATS, NGM_TEE_GETCLR_STATS
from ...abi.nodetypes import ng_tee
from ..kernel import fbsd_error
from ..node import Hook, MsgItem, Node, Result, Tags, run_command

if TYPE_CHECKING:
    from ..kernel import Kernel

SLOTS = ("right", "left", "right2left", "left2right")  # the order of struct ng_tee_stats
_HOOKSTAT = struct.Struct("=QQQQ")  # inOctets, inFrames, outOctets, outFrames
_MASK = 0xFFFFFFFFFFFFFFFF


class TeeNode(Node):
    """Four fixed hooks; per-slot counters that outlive a disconnect."""

    declaration = ng_tee.TYPE

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.stats: Dict[str, List[int]] = {slot: [0, 0, 0, 0] for slot in SLOTS}

    def newhook(self, hook: Hook, name: str) -> Result:
        self.stats[name] = [0, 0, 0, 0]
        return None

    def _routes(self, slot: str) -> Tuple[Optional[Hook], Optional[Hook]]:
        """(dest, dup) for a packet arriving on ``slot``, from the hooks present now."""
        h = self.hooks.get
        if slot == "left":
            right, tap = h("right"), h("left2right")
            return (right or tap), (tap if right is not None else None)
        if slot == "right":
            left, tap = h("left"), h("right2left")
            return (left or tap), (tap if left is not None else None)
        return h("left" if slot == "left2right" else "right"), None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        size = len(data)
        stat = self.stats[hook.name]
        stat[0] += size
        stat[1] += 1
        dest, dup = self._routes(hook.name)
        if dup is not None and self.send_data(dup, data, tuple(tags)) == 0:
            out = self.stats[dup.name]
            out[2] += size
            out[3] += 1
        if dest is None:
            return None
        out = self.stats[dest.name]
        out[2] += size
        out[3] += 1
        return self.send_data(dest, data, tags)

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        if msg.typecookie == NGM_TEE_COOKIE:
            return run_command(self, _MESSAGES, item)
        if msg.typecookie == NGM_FLOW_COOKIE:
            arrived = item.lasthook
            if arrived is not None and arrived.name in ("left", "right"):
                dest, _ = self._routes(arrived.name)
                if dest is not None:
                    return self.forward_msg(dest, item)
            return None
        raise fbsd_error(Errno.EINVAL, f"tee: foreign cookie {msg.typecookie}")

    def _msg_stats(self, item: MsgItem) -> Result:
        """GET_STATS replies, CLR_STATS clears, GETCLR_STATS does both."""
        if item.msg.cmd != NGM_TEE_CLR_STATS:
            body = b"".join(_HOOKSTAT.pack(*(v & _MASK for v in self.stats[s])) for s in SLOTS)
            error = self.respond(item, body)
            if error:
                return error
        if item.msg.cmd != NGM_TEE_GET_STATS:
            self.stats = {slot: [0, 0, 0, 0] for slot in SLOTS}
        return None

    def close(self) -> None:
        left, right = self.hooks.get("left"), self.hooks.get("right")
        if left is not None and right is not None:
            self.kernel.bypass(left, right)

    def disconnect(self, hook: Hook) -> None:
        if not self.hooks and self.valid:
            self.rmnode_self()


# ng_tee_rcvmsg's switch: each NGM_TEE_* command and its handler
_MESSAGES: Dict[int, Callable[[TeeNode, MsgItem], Result]] = {
    NGM_TEE_GET_STATS: TeeNode._msg_stats,
    NGM_TEE_CLR_STATS: TeeNode._msg_stats,
    NGM_TEE_GETCLR_STATS: TeeNode._msg_stats,
}

NODE_TYPE = TeeNode
