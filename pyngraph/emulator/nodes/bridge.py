"""Node type ``bridge`` (ng_bridge): a learning Ethernet bridge over ``linkN`` and ``uplinkN`` hooks.

As FreeBSD 14's: frames to a known unicast address go out of the link that
address was learned on; unknown, multicast and broadcast frames go out of
every other link (uplinks, and links when the first link was not an uplink,
receive unknown unicast; uplinks do not learn).  A host seen jumping between
links faster than ``minStableAge`` mutes the link it jumped to for
``loopTimeout`` seconds (loop detection).  Learning goes through a
MOVE_HOST message the node sends itself, as FreeBSD's does.

FreeBSD counts host ages and mute times with a one-second timer; here they
are computed from time stamps when they are read, in whole seconds.
"""

from __future__ import annotations

import ctypes
import struct
import time
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

from ...abi.constants import NG_HOOKSIZ, Errno
from ...abi.nodetypes.ng_bridge import (
    NG_BRIDGE_HOOK_LINK_PREFIX, NG_BRIDGE_HOOK_UPLINK_PREFIX, NGM_BRIDGE_CLR_STATS, NGM_BRIDGE_COOKIE,
    NGM_BRIDGE_GET_CONFIG, NGM_BRIDGE_GET_STATS, NGM_BRIDGE_GET_TABLE, NGM_BRIDGE_GETCLR_STATS,
    NGM_BRIDGE_MOVE_HOST, NGM_BRIDGE_RESET, NGM_BRIDGE_SET_CONFIG, NGM_BRIDGE_SET_PERSISTENT,
)
from ...abi.nodetypes import ng_bridge
from ...abi.message import NgMesg
from ...abi.structs import (
    ng_bridge_config, ng_bridge_hostent, ng_bridge_link_stats, ng_bridge_move_host,
)
from ..kernel import fbsd_error
from ..node import Hook, MsgItem, Node, Result, Tags, run_command

if TYPE_CHECKING:
    from ..kernel import Kernel

CONFIG_SIZE = ctypes.sizeof(ng_bridge_config)
MOVE_HOST_SIZE = ctypes.sizeof(ng_bridge_move_host)
_U32 = struct.Struct("=I")
_I32 = struct.Struct("=i")
ETHER_HDR_LEN = 14
BROADCAST = b"\xff" * 6
DEFAULT_LOOP_TIMEOUT = 60
DEFAULT_MAX_STALENESS = 15 * 60
DEFAULT_MIN_STABLE_AGE = 1
# indexes into a link's counters (the order of struct ng_bridge_link_stats)
(RECV_OCTETS, RECV_PACKETS, RECV_MULTI, RECV_BCAST, RECV_UNKNOWN, RECV_RUNTS, RECV_INVALID,
 XMIT_OCTETS, XMIT_PACKETS, XMIT_MULTI, XMIT_BCAST, LOOP_DROPS, LOOP_DETECTS, MEMORY_FAILURES) = range(14)
_MASK = (1 << 64) - 1


def link_hook_name(name: str) -> Optional[bool]:
    """True for ``uplinkN`` (N > 0), False for ``linkN``, None for any other name (FreeBSD's test)."""
    prefix = NG_BRIDGE_HOOK_LINK_PREFIX
    if len(name) <= len(prefix):
        return None
    uplink = name[0] == "u"
    if uplink:
        prefix = NG_BRIDGE_HOOK_UPLINK_PREFIX
    digits = name[len(prefix):]
    number = 0
    for ch in digits:  # strtoul(..., 10) then a round trip through "%s%u"
        if not "0" <= ch <= "9":
            break
        number = (number * 10 + ord(ch) - 48) & 0xFFFFFFFF
    if f"{prefix}{number}" != name or (uplink and number == 0):
        return None
    return uplink


class Link:
    """Per-hook data: learning and flooding flags, mute deadline, counters."""

    __slots__ = ("hook", "learn", "send_unknown", "muted_until", "stats")

    def __init__(self, hook: Hook, learn: bool, send_unknown: bool) -> None:
        self.hook = hook
        self.learn = learn
        self.send_unknown = send_unknown
        self.muted_until = 0.0
        self.stats = [0] * 14


class Host:
    """A learned address: its link, when it was (re)placed there, when it was last heard."""

    __slots__ = ("link", "placed", "heard")

    def __init__(self, link: Link, now: float) -> None:
        self.link = link
        self.placed = now
        self.heard = now


class BridgeNode(Node):
    """The learning bridge."""

    declaration = ng_bridge.TYPE

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.debug_level, self.loop_timeout = 1, DEFAULT_LOOP_TIMEOUT
        self.max_staleness, self.min_stable_age = DEFAULT_MAX_STALENESS, DEFAULT_MIN_STABLE_AGE
        self.hosts: Dict[bytes, Host] = {}
        self.persistent = False
        self.send_unknown = True  # classic bridge until the first link is an uplink
        self.num_links = 0

    # --- time ------------------------------------------------------------------------

    def _age(self, host: Host, now: float) -> int:
        return min(int(now - host.placed), 0xFFFF)

    def _expire(self, now: float) -> None:
        """Forget hosts not heard from for ``maxStaleness`` seconds (the timer's work)."""
        stale = [addr for addr, host in self.hosts.items() if int(now - host.heard) >= self.max_staleness]
        for addr in stale:
            del self.hosts[addr]

    # --- hooks -----------------------------------------------------------------------

    def newhook(self, hook: Hook, name: str) -> Result:
        uplink = link_hook_name(name)
        if uplink is None:
            raise fbsd_error(Errno.EINVAL, f"bridge: bad hook name {name!r} (linkN or uplinkN, N > 0)")
        if uplink:
            if self.num_links == 0:
                self.send_unknown = False  # the first link is an uplink: restrictive mode
            hook.private = Link(hook, learn=False, send_unknown=True)
        else:
            hook.private = Link(hook, learn=True, send_unknown=self.send_unknown)
        self.num_links += 1
        return None

    def connect(self, hook: Hook) -> Result:
        if hook.peer is not None and hook.peer.node is self:
            raise fbsd_error(Errno.ELOOP, "bridge: a link back to the bridge itself")
        return None

    def disconnect(self, hook: Hook) -> None:
        link = hook.private
        self._remove_hosts(link)
        self.num_links -= 1
        if not self.hooks and self.valid and not self.persistent:
            self.rmnode_self()

    def _remove_hosts(self, link: Optional[Link]) -> None:
        for addr in [a for a, h in self.hosts.items() if link is None or h.link is link]:
            del self.hosts[addr]

    # --- data ------------------------------------------------------------------------

    def _send(self, dest: Link, manycast: int, data: bytes, tags: Tags) -> int:
        error = self.send_data(dest.hook, data, tags)
        if error:
            if error == Errno.ENOMEM:
                dest.stats[MEMORY_FAILURES] += 1
            return error
        dest.stats[XMIT_PACKETS] += 1
        dest.stats[XMIT_OCTETS] += len(data)
        if manycast == 1:
            dest.stats[XMIT_MULTI] += 1
        elif manycast == 2:
            dest.stats[XMIT_BCAST] += 1
        return 0

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        incoming: Link = hook.private
        now = time.monotonic()
        if len(data) < ETHER_HDR_LEN:
            incoming.stats[RECV_RUNTS] += 1
            raise fbsd_error(Errno.EINVAL, "bridge: runt frame")
        dst, src = bytes(data[0:6]), bytes(data[6:12])
        if src[0] & 1:
            incoming.stats[RECV_INVALID] += 1
            raise fbsd_error(Errno.EINVAL, "bridge: multicast source address")
        if incoming.muted_until > now:
            incoming.stats[LOOP_DROPS] += 1
            raise fbsd_error(Errno.ELOOP, f"bridge: {hook.name} is muted (loop)")
        incoming.stats[RECV_PACKETS] += 1
        incoming.stats[RECV_OCTETS] += len(data)
        manycast = dst[0] & 1
        if manycast:
            if dst == BROADCAST:
                incoming.stats[RECV_BCAST] += 1
                manycast = 2
            else:
                incoming.stats[RECV_MULTI] += 1
        self._expire(now)
        host = self.hosts.get(src)
        if host is not None:
            host.heard = now
        if (host is None and incoming.learn) or (host is not None and host.link is not incoming):
            mh = ng_bridge_move_host(hook=hook.name.encode()[:NG_HOOKSIZ])
            mh.addr[:] = src
            move = NgMesg(NGM_BRIDGE_MOVE_HOST, NGM_BRIDGE_COOKIE, bytes(mh), 0, 0, "NGM_BRIDGE_MOVE_HOST")
            if self.send_msg(self.id, move):
                incoming.stats[MEMORY_FAILURES] += 1
        if host is not None and host.link is not incoming and self._age(host, now) < self.min_stable_age:
            incoming.stats[LOOP_DROPS] += 1
            raise fbsd_error(Errno.ELOOP, f"bridge: host moved too recently ({hook.name})")
        if not manycast:
            known = self.hosts.get(dst)
            if known is not None:
                if known.link is incoming:
                    return None
                return self._send(known.link, manycast, data, tags)
            incoming.stats[RECV_UNKNOWN] += 1
        targets: List[Link] = [
            h.private for h in self.hooks_newest_first()
            if h.private is not incoming and (manycast or h.private.send_unknown)
        ]
        if not targets:
            return None
        error = 0
        for dest in targets[1:]:  # copies first, the original to the first link found
            error = self._send(dest, manycast, data, tuple(tags)) or error
        return self._send(targets[0], manycast, data, tags) or error

    # --- messages --------------------------------------------------------------------

    def _put(self, addr: bytes, link: Link, now: float) -> int:
        """ng_bridge_put: learn or move ``addr``; ELOOP (and a muted link) on a jump."""
        host = self.hosts.get(addr)
        if host is None:
            self.hosts[addr] = Host(link, now)
            return 0
        if host.link is link:
            return 0
        if self._age(host, now) >= self.min_stable_age:
            host.link, host.placed = link, now
            return 0
        link.muted_until = now + self.loop_timeout
        link.stats[LOOP_DETECTS] += 1
        self._remove_hosts(link)
        return int(Errno.ELOOP)

    def _link_by_number(self, arg: bytes) -> Link:
        number = _I32.unpack(arg)[0]
        name = (f"{NG_BRIDGE_HOOK_UPLINK_PREFIX}{-number & 0xFFFFFFFF}" if number < 0
                else f"{NG_BRIDGE_HOOK_LINK_PREFIX}{number}")
        hook = self.hooks.get(name)
        if hook is None:
            raise fbsd_error(Errno.ENOTCONN, f"bridge: no hook {name}")
        link: Link = hook.private
        return link

    def rcvmsg(self, item: MsgItem) -> Result:
        return run_command(self, _MESSAGES, item)

    def _msg_get_config(self, item: MsgItem) -> Result:
        return self.respond(item, bytes(ng_bridge_config(
            self.debug_level, self.loop_timeout, self.max_staleness, self.min_stable_age)))

    def _msg_set_config(self, item: MsgItem) -> Result:
        arg = bytes(item.msg.data)
        if len(arg) != CONFIG_SIZE:
            raise fbsd_error(Errno.EINVAL, f"bridge: setconfig wants {CONFIG_SIZE} bytes")
        conf = ng_bridge_config.from_buffer_copy(arg)
        self.debug_level, self.loop_timeout = conf.debugLevel, conf.loopTimeout
        self.max_staleness, self.min_stable_age = conf.maxStaleness, conf.minStableAge
        return None

    def _msg_reset(self, item: MsgItem) -> Result:
        self._remove_hosts(None)
        for hook in self.hooks.values():
            hook.private.muted_until = 0.0
            hook.private.stats = [0] * 14
        return None

    def _msg_stats(self, item: MsgItem) -> Result:
        """GET_STATS replies, CLR_STATS clears, GETCLR_STATS does both, for the link numbered."""
        cmd, arg = item.msg.cmd, bytes(item.msg.data)
        if len(arg) != _U32.size:
            raise fbsd_error(Errno.EINVAL, "bridge: the link number is a 32-bit integer")
        link = self._link_by_number(arg)
        error = 0
        if cmd != NGM_BRIDGE_CLR_STATS:
            error = self.respond(item, bytes(ng_bridge_link_stats(*(v & _MASK for v in link.stats))))
        if cmd != NGM_BRIDGE_GET_STATS:
            link.stats = [0] * 14
        return error

    def _msg_get_table(self, item: MsgItem) -> Result:
        now = time.monotonic()
        self._expire(now)
        table = [bytes(ng_bridge_hostent((ctypes.c_uint8 * 6)(*addr), host.link.hook.name.encode()[:NG_HOOKSIZ],
                                         self._age(host, now), min(int(now - host.heard), 0xFFFF)))
                 for addr, host in self.hosts.items()]
        return self.respond(item, _U32.pack(len(table)) + b"".join(table))

    def _msg_set_persistent(self, item: MsgItem) -> Result:
        self.persistent = True
        return None

    def _msg_move_host(self, item: MsgItem) -> Result:
        arg = bytes(item.msg.data)
        if len(arg) < MOVE_HOST_SIZE:
            raise fbsd_error(Errno.EINVAL, f"bridge: movehost wants {MOVE_HOST_SIZE} bytes")
        mh = ng_bridge_move_host.from_buffer_copy(arg[:MOVE_HOST_SIZE])
        addr, name = bytes(mh.addr), mh.hook.decode("latin-1")
        target: Optional[Hook] = item.lasthook if not name else self.hooks.get(name)
        if target is None or target.node is not self:
            raise fbsd_error(Errno.ENOENT, f"bridge: no hook {name!r}")
        return self._put(addr, target.private, time.monotonic()) or None


# ng_bridge_rcvmsg's switch: each NGM_BRIDGE_* command and its handler
_MESSAGES: Dict[int, Callable[[BridgeNode, MsgItem], Result]] = {
    NGM_BRIDGE_GET_CONFIG: BridgeNode._msg_get_config,
    NGM_BRIDGE_SET_CONFIG: BridgeNode._msg_set_config,
    NGM_BRIDGE_RESET: BridgeNode._msg_reset,
    NGM_BRIDGE_GET_STATS: BridgeNode._msg_stats,
    NGM_BRIDGE_CLR_STATS: BridgeNode._msg_stats,
    NGM_BRIDGE_GETCLR_STATS: BridgeNode._msg_stats,
    NGM_BRIDGE_GET_TABLE: BridgeNode._msg_get_table,
    NGM_BRIDGE_SET_PERSISTENT: BridgeNode._msg_set_persistent,
    NGM_BRIDGE_MOVE_HOST: BridgeNode._msg_move_host,
}

NODE_TYPE = BridgeNode
