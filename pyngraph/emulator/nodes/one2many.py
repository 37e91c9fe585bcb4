"""Node type ``one2many`` (ng_one2many): one ``one`` hook, up to 64 ``manyN`` hooks.

Packets from a ``many`` hook go out of ``one``; packets from ``one`` go to
the active ``many`` hooks round-robin, to all of them, or to the first
(failover), as configured.  With failure detection NOTIFY, link up/down
flow messages arriving on a ``many`` hook enable or disable it; the node
tells ``one``'s peer when it loses its last active link or gains its first.
"""

from __future__ import annotations

import ctypes
import struct
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

from ...abi.constants import NGM_FLOW_COOKIE, NGM_LINK_IS_DOWN, NGM_LINK_IS_UP, Errno
from ...abi.nodetypes.ng_one2many import (
    NG_ONE2MANY_FAIL_MANUAL, NG_ONE2MANY_FAIL_NOTIFY, NG_ONE2MANY_HOOK_MANY_PREFIX, NG_ONE2MANY_HOOK_ONE, NG_ONE2MANY_MAX_LINKS, NG_ONE2MANY_ONE_LINKNUM, NG_ONE2MANY_XMIT_ALL, NG_ONE2MANY_XMIT_FAILOVER, NG_ONE2MANY_XMIT_ROUNDROBIN, NGM_ONE2MANY_CLR_STATS, NGM_ONE2MANY_GET_CONFIG, NGM_ONE2MANY_GET_STATS, NGM_ONE2MANY_GETCLR_STATS, NGM_ONE2MANY_SET_CONFIG,
)
from ...abi.nodetypes import ng_one2many
from ...abi.structs import ng_one2many_config, ng_one2many_link_stats
from .. import netif
from ..kernel import fbsd_error
from ..node import Hook, MsgItem, Node, Result, Tags, run_command

if TYPE_CHECKING:
    from ..kernel import Kernel

CONFIG_SIZE = ctypes.sizeof(ng_one2many_config)
_I32 = struct.Struct("=i")
_MASK = (1 << 64) - 1
_XMIT = (NG_ONE2MANY_XMIT_ROUNDROBIN, NG_ONE2MANY_XMIT_ALL, NG_ONE2MANY_XMIT_FAILOVER)
_FAIL = (NG_ONE2MANY_FAIL_MANUAL, NG_ONE2MANY_FAIL_NOTIFY)
RECV_OCTETS, RECV_PACKETS, XMIT_OCTETS, XMIT_PACKETS, MEMORY_FAILURES = range(5)


def link_number(name: str) -> Optional[int]:
    """``one`` -> -1, ``manyN`` (0 <= N < 64, no leading zero) -> N, else None."""
    if name == NG_ONE2MANY_HOOK_ONE:
        return NG_ONE2MANY_ONE_LINKNUM
    if not name.startswith(NG_ONE2MANY_HOOK_MANY_PREFIX):
        return None
    digits = name[len(NG_ONE2MANY_HOOK_MANY_PREFIX):]
    if not digits.isdigit() or not digits.isascii() or (digits[0] == "0" and len(digits) > 1):
        return None
    number = int(digits)
    return number if number < NG_ONE2MANY_MAX_LINKS else None


class One2ManyNode(Node):
    """Fan-out/fan-in with per-link counters."""

    declaration = ng_one2many.TYPE

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.xmit_alg, self.fail_alg = NG_ONE2MANY_XMIT_ROUNDROBIN, NG_ONE2MANY_FAIL_MANUAL
        self.enabled = bytearray(NG_ONE2MANY_MAX_LINKS)
        self.links: Dict[int, Hook] = {}
        self.stats: Dict[int, List[int]] = {n: [0] * 5 for n in range(-1, NG_ONE2MANY_MAX_LINKS)}
        self.active: List[int] = []
        self.next_many = 0

    def _update_many(self) -> None:
        was = len(self.active)
        self.active = [n for n in range(NG_ONE2MANY_MAX_LINKS) if n in self.links and self.enabled[n]]
        if not self.active and was:
            self._notify(NGM_LINK_IS_DOWN)
        if self.active and not was:
            self._notify(NGM_LINK_IS_UP)
        if self.xmit_alg == NG_ONE2MANY_XMIT_ROUNDROBIN and self.active:
            self.next_many %= len(self.active)

    def _notify(self, cmd: int) -> None:
        one = self.links.get(NG_ONE2MANY_ONE_LINKNUM)
        if one is not None:
            netif.send_msg_hook(self, one, netif.link_message(cmd))

    def newhook(self, hook: Hook, name: str) -> Result:
        number = link_number(name)
        if number is None:
            raise fbsd_error(Errno.EINVAL, f"one2many: bad hook name {name!r} (one, many0 .. many63)")
        hook.private = number
        self.links[number] = hook
        self.stats[number] = [0] * 5
        if number != NG_ONE2MANY_ONE_LINKNUM:
            self.enabled[number] = 1
            self._update_many()
        return None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        number: int = hook.private
        size = len(data)
        src = self.stats[number]
        src[RECV_PACKETS] += 1
        src[RECV_OCTETS] += size
        if number != NG_ONE2MANY_ONE_LINKNUM:
            dest = NG_ONE2MANY_ONE_LINKNUM
        elif not self.active:
            raise fbsd_error(Errno.ENOTCONN, "one2many: no active many link")
        elif self.xmit_alg == NG_ONE2MANY_XMIT_ROUNDROBIN:
            dest = self.active[self.next_many]
            self.next_many = (self.next_many + 1) % len(self.active)
        else:
            dest = self.active[0]
            if self.xmit_alg == NG_ONE2MANY_XMIT_ALL:
                for other in self.active[1:]:
                    out = self.stats[other]
                    out[XMIT_PACKETS] += 1
                    out[XMIT_OCTETS] += size
                    self.send_data(self.links[other], data, tuple(tags))
        out = self.stats[dest]
        out[XMIT_PACKETS] += 1
        out[XMIT_OCTETS] += size
        target = self.links.get(dest)
        if target is None:  # "one" is not connected: ng_address_hook frees the packet
            return int(Errno.ENETDOWN)
        return self.send_data(target, data, tags)

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        if msg.typecookie == NGM_FLOW_COOKIE:
            hook = item.lasthook
            if self.fail_alg == NG_ONE2MANY_FAIL_NOTIFY and hook is not None and hook.node is self:
                number: int = hook.private
                if number != NG_ONE2MANY_ONE_LINKNUM and msg.cmd in (NGM_LINK_IS_UP, NGM_LINK_IS_DOWN):
                    self.enabled[number] = int(msg.cmd == NGM_LINK_IS_UP)
                    self._update_many()
            return None
        return run_command(self, _MESSAGES, item)

    def _msg_set_config(self, item: MsgItem) -> Result:
        arg = bytes(item.msg.data)
        if len(arg) != CONFIG_SIZE:
            raise fbsd_error(Errno.EINVAL, f"one2many: setconfig wants {CONFIG_SIZE} bytes")
        conf = ng_one2many_config.from_buffer_copy(arg)
        xmit, fail, enabled = conf.xmitAlg, conf.failAlg, bytes(conf.enabledLinks)
        if xmit not in _XMIT or fail not in _FAIL:
            raise fbsd_error(Errno.EINVAL, f"one2many: bad xmitAlg {xmit} or failAlg {fail}")
        self.xmit_alg, self.fail_alg = xmit, fail
        self.enabled = bytearray(int(b != 0) for b in enabled)
        self._update_many()
        return None

    def _msg_get_config(self, item: MsgItem) -> Result:
        conf = ng_one2many_config(self.xmit_alg, self.fail_alg)
        conf.enabledLinks[:] = self.enabled
        return self.respond(item, bytes(conf))

    def _msg_stats(self, item: MsgItem) -> Result:
        """GET_STATS replies, CLR_STATS clears, GETCLR_STATS does both, for the link numbered."""
        cmd, arg = item.msg.cmd, bytes(item.msg.data)
        if len(arg) != _I32.size:
            raise fbsd_error(Errno.EINVAL, "one2many: the link number is a 32-bit integer")
        number = _I32.unpack(arg)[0]
        if not NG_ONE2MANY_ONE_LINKNUM <= number < NG_ONE2MANY_MAX_LINKS:
            raise fbsd_error(Errno.EINVAL, f"one2many: no link {number}")
        error = 0
        if cmd != NGM_ONE2MANY_CLR_STATS:
            error = self.respond(item, bytes(ng_one2many_link_stats(*(v & _MASK for v in self.stats[number]))))
        if cmd != NGM_ONE2MANY_GET_STATS:
            self.stats[number] = [0] * 5
        return error

    def disconnect(self, hook: Hook) -> None:
        number: int = hook.private
        self.links.pop(number, None)
        if number != NG_ONE2MANY_ONE_LINKNUM:
            self.enabled[number] = 0
            self._update_many()
        if not self.hooks and self.valid:
            self.rmnode_self()



# ng_one2many_rcvmsg's switch: each NGM_ONE2MANY_* command and its handler
_MESSAGES: Dict[int, Callable[[One2ManyNode, MsgItem], Result]] = {
    NGM_ONE2MANY_SET_CONFIG: One2ManyNode._msg_set_config,
    NGM_ONE2MANY_GET_CONFIG: One2ManyNode._msg_get_config,
    NGM_ONE2MANY_GET_STATS: One2ManyNode._msg_stats,
    NGM_ONE2MANY_CLR_STATS: One2ManyNode._msg_stats,
    NGM_ONE2MANY_GETCLR_STATS: One2ManyNode._msg_stats,
}

NODE_TYPE = One2ManyNode
