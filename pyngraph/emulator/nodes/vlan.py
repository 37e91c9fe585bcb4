"""Node type ``vlan`` (ng_vlan): 802.1Q tagging between ``downstream`` and per-VID filter hooks.

Frames from ``downstream`` carrying a tag (in the frame, or out of band)
whose VID has a filter go, untagged, out of that filter's hook; the others
go out of ``nomatch`` (with ``setdecap`` the in-frame tag moves out of
band).  Frames from a filter hook are tagged with its VID, PCP and CFI; from
``nomatch`` an out-of-band tag is put back into the frame when ``setencap``
asks for it.  FreeBSD's out-of-band tag (M_VLANTAG) is an emulator mbuf tag
here (:data:`pyngraph.emulator.netif.VLANTAG_COOKIE`).
"""

from __future__ import annotations

import ctypes
import struct
from typing import TYPE_CHECKING, Callable, Dict, Optional, Tuple

from ...abi.constants import NG_HOOKSIZ, NGM_FLOW_COOKIE, Errno
from ...abi.nodetypes.ng_vlan import (
    NG_VLAN_HOOK_DOWNSTREAM, NG_VLAN_HOOK_NOMATCH, NGM_VLAN_ADD_FILTER, NGM_VLAN_DEL_FILTER, NGM_VLAN_DEL_VID_FLT, NGM_VLAN_GET_DECAP, NGM_VLAN_GET_ENCAP, NGM_VLAN_GET_ENCAP_PROTO, NGM_VLAN_GET_TABLE, NGM_VLAN_SET_DECAP, NGM_VLAN_SET_ENCAP, NGM_VLAN_SET_ENCAP_PROTO, VLAN_ENCAP_FROM_FILTER, VLAN_ENCAP_FROM_NOMATCH,
)
from ...abi.nodetypes import ng_vlan
from ...abi.message import NgMesg
from ...abi.structs import ng_vlan_filter
from ..kernel import fbsd_error
from ..netif import ETHERTYPE_VLAN, EVL_VLID_MASK, send_msg_hook, split_tags, vlantag
from ..node import Hook, MsgItem, Node, Result, Tag, Tags, argument, run_command

if TYPE_CHECKING:
    from ..kernel import Kernel

ETHER_HDR_LEN, ETHER_VLAN_ENCAP_LEN = 14, 4
FILTER_SIZE = ctypes.sizeof(ng_vlan_filter)
_U16 = struct.Struct("=H")
_U32 = struct.Struct("=I")
_TAG = struct.Struct("!H")


def make_tag(vid: int, pcp: int, cfi: int) -> int:
    """EVL_MAKETAG."""
    return (pcp << 13) | (cfi << 12) | vid


class VlanNode(Node):
    """The 802.1Q (de)multiplexer."""

    declaration = ng_vlan.TYPE

    def __init__(self, kernel: "Kernel", node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.decap_enable = 0
        self.encap_enable = VLAN_ENCAP_FROM_FILTER
        self.encap_proto = ETHERTYPE_VLAN
        self.vlan_hook: Dict[int, Hook] = {}  # VID -> filter hook; hook.private is its tag (None: no filter)

    def newhook(self, hook: Hook, name: str) -> Result:
        hook.private = None  # any name is valid; a filter may claim it later
        return None

    def disconnect(self, hook: Hook) -> None:
        if hook.private is not None:
            self.vlan_hook.pop(hook.private & EVL_VLID_MASK, None)
        hook.private = None
        if not self.hooks and self.valid:
            self.rmnode_self()

    def _special(self, hook: Hook) -> bool:
        return hook.name in (NG_VLAN_HOOK_DOWNSTREAM, NG_VLAN_HOOK_NOMATCH)

    # --- data --------------------------------------------------------------------------

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        if len(data) < ETHER_HDR_LEN:
            raise fbsd_error(Errno.EINVAL, "vlan: frame shorter than an Ethernet header")
        vtag, other = split_tags(tags)
        frame = bytes(data)
        if hook.name == NG_VLAN_HOOK_DOWNSTREAM:
            return self._from_downstream(frame, vtag, other)
        dest = self.hooks.get(NG_VLAN_HOOK_DOWNSTREAM)
        if dest is None:
            raise fbsd_error(Errno.ENETDOWN, "vlan: no downstream hook")
        if hook.name == NG_VLAN_HOOK_NOMATCH:
            if not self.encap_enable & VLAN_ENCAP_FROM_NOMATCH or vtag is None:
                return self.send_data(dest, frame, tags)
            tag, kept = vtag, other  # the out-of-band tag goes into the frame
        else:
            if hook.private is None:
                raise fbsd_error(Errno.EOPNOTSUPP, f"vlan: hook {hook.name!r} has no filter (addfilter)")
            tag, kept = hook.private, tuple(tags)  # encapsulation leaves M_VLANTAG as it was
            if not self.encap_enable & VLAN_ENCAP_FROM_FILTER:
                return self.send_data(dest, frame, other + (vlantag(tag),))
        encapsulated = frame[:12] + _TAG.pack(self.encap_proto) + _TAG.pack(tag) + frame[12:]
        return self.send_data(dest, encapsulated, kept)

    def _from_downstream(self, frame: bytes, vtag: Optional[int], other: Tuple[Tag, ...]) -> Result:
        nomatch = self.hooks.get(NG_VLAN_HOOK_NOMATCH)
        in_frame = vtag is None and _TAG.unpack_from(frame, 12)[0] == self.encap_proto
        if vtag is None and not in_frame:
            if nomatch is None:
                raise fbsd_error(Errno.ENETDOWN, "vlan: untagged frame and no nomatch hook")
            return self.send_data(nomatch, frame, other)
        if in_frame:
            if len(frame) < ETHER_HDR_LEN + ETHER_VLAN_ENCAP_LEN:
                raise fbsd_error(Errno.EINVAL, "vlan: tagged frame shorter than its header")
            tag = _TAG.unpack_from(frame, 14)[0]
        else:
            assert vtag is not None
            tag = vtag
        target = self.vlan_hook.get(tag & EVL_VLID_MASK)
        if target is not None:  # a filter: always untagged
            if not in_frame:
                return self.send_data(target, frame, other)
            return self.send_data(target, frame[:12] + frame[16:], other)
        if nomatch is None:
            raise fbsd_error(Errno.ENETDOWN, "vlan: no filter for the VID and no nomatch hook")
        if not in_frame:
            return self.send_data(nomatch, frame, other + (vlantag(tag),))
        if not self.decap_enable:
            return self.send_data(nomatch, frame, other)
        return self.send_data(nomatch, frame[:12] + frame[16:], other + (vlantag(tag),))

    # --- messages ------------------------------------------------------------------------

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        if msg.typecookie == NGM_FLOW_COOKIE:
            last = item.lasthook
            if last is not None and last.node is self and last.name == NG_VLAN_HOOK_DOWNSTREAM:
                for hook in list(self.vlan_hook.values()):  # a copy to every filter hook's peer
                    copy = NgMesg(msg.cmd, msg.typecookie, msg.data, msg.flags, msg.token, msg.cmdstr)
                    send_msg_hook(self, hook, copy)
            return None
        return run_command(self, _MESSAGES, item)

    def _msg_del_filter(self, item: MsgItem) -> Result:
        arg = bytes(item.msg.data)
        if len(arg) != NG_HOOKSIZ:
            raise fbsd_error(Errno.EINVAL, f"vlan: delfilter wants a {NG_HOOKSIZ}-byte hook name")
        named = self.hooks.get(arg.split(b"\0", 1)[0].decode("latin-1"))
        if named is None or named.private is None:
            raise fbsd_error(Errno.ENOENT, "vlan: no filter on that hook")
        return self._drop_filter(named)

    def _msg_del_vid_flt(self, item: MsgItem) -> Result:
        arg = bytes(item.msg.data)
        if len(arg) != _U16.size:
            raise fbsd_error(Errno.EINVAL, "vlan: delvidflt wants a 16-bit VID")
        vid = _U16.unpack(arg)[0]
        if vid & ~EVL_VLID_MASK:
            raise fbsd_error(Errno.EINVAL, f"vlan: VID {vid} out of range")
        target = self.vlan_hook.get(vid)
        if target is None or target.private is None:
            raise fbsd_error(Errno.ENOENT, f"vlan: no filter for VID {vid}")
        return self._drop_filter(target)

    def _msg_get_table(self, item: MsgItem) -> Result:
        return self.respond(item, self._table())

    def _msg_get_decap(self, item: MsgItem) -> Result:
        return self.respond(item, _U32.pack(self.decap_enable))

    def _msg_get_encap(self, item: MsgItem) -> Result:
        return self.respond(item, _U32.pack(self.encap_enable))

    def _msg_get_encap_proto(self, item: MsgItem) -> Result:
        return self.respond(item, _U16.pack(self.encap_proto))

    def _msg_set_decap(self, item: MsgItem) -> Result:
        self.decap_enable = _U32.unpack(argument(self, item, _U32.size))[0]
        return None

    def _msg_set_encap(self, item: MsgItem) -> Result:
        self.encap_enable = _U32.unpack(argument(self, item, _U32.size))[0]
        return None

    def _msg_set_encap_proto(self, item: MsgItem) -> Result:
        arg = bytes(item.msg.data)
        if len(arg) != _U16.size:
            raise fbsd_error(Errno.EINVAL, "vlan: a 16-bit Ethernet type is expected")
        self.encap_proto = _U16.unpack(arg)[0]
        return None

    def _msg_add_filter(self, item: MsgItem) -> Result:
        arg = bytes(item.msg.data)
        if len(arg) != FILTER_SIZE:
            raise fbsd_error(Errno.EINVAL, f"vlan: addfilter wants {FILTER_SIZE} bytes")
        vf = ng_vlan_filter.from_buffer_copy(arg)
        vid = vf.vid
        if vid == 0 and vf.vlan != 0:  # the old field name
            vid = vf.vlan
        elif vid != 0 and vf.vlan != 0 and vid != vf.vlan:
            raise fbsd_error(Errno.EINVAL, f"vlan: vid {vid} and vlan {vf.vlan} differ")
        if vid & ~EVL_VLID_MASK or vf.pcp & ~7 or vf.cfi & ~1:
            raise fbsd_error(Errno.EINVAL, "vlan: VID, PCP or CFI out of range")
        hook = self.hooks.get(vf.hook_name.decode("latin-1"))
        if hook is None:
            raise fbsd_error(Errno.ENOENT, f"vlan: no hook {vf.hook_name!r}")
        if self._special(hook):
            raise fbsd_error(Errno.EINVAL, f"vlan: {hook.name} cannot carry a filter")
        if hook.private is not None or vid in self.vlan_hook:
            raise fbsd_error(Errno.EEXIST, f"vlan: hook {hook.name} or VID {vid} already has a filter")
        hook.private = make_tag(vid, vf.pcp, vf.cfi)
        self.vlan_hook[vid] = hook
        return None

    def _drop_filter(self, hook: Hook) -> Result:
        self.vlan_hook.pop(hook.private & EVL_VLID_MASK, None)
        hook.private = None
        return None

    def _table(self) -> bytes:
        entries = []
        for vid in sorted(self.vlan_hook):
            hook = self.vlan_hook[vid]
            if not hook.valid or hook.private is None:
                continue
            tag = hook.private
            entries.append(bytes(ng_vlan_filter(hook.name.encode()[:NG_HOOKSIZ], vid, vid, tag >> 13,
                                                (tag >> 12) & 1)))
        return _U32.pack(len(entries)) + b"".join(entries)




# ng_vlan_rcvmsg's switch: each NGM_VLAN_* command and its handler
_MESSAGES: Dict[int, Callable[[VlanNode, MsgItem], Result]] = {
    NGM_VLAN_ADD_FILTER: VlanNode._msg_add_filter,
    NGM_VLAN_DEL_FILTER: VlanNode._msg_del_filter,
    NGM_VLAN_DEL_VID_FLT: VlanNode._msg_del_vid_flt,
    NGM_VLAN_GET_TABLE: VlanNode._msg_get_table,
    NGM_VLAN_GET_DECAP: VlanNode._msg_get_decap,
    NGM_VLAN_SET_DECAP: VlanNode._msg_set_decap,
    NGM_VLAN_GET_ENCAP: VlanNode._msg_get_encap,
    NGM_VLAN_SET_ENCAP: VlanNode._msg_set_encap,
    NGM_VLAN_GET_ENCAP_PROTO: VlanNode._msg_get_encap_proto,
    NGM_VLAN_SET_ENCAP_PROTO: VlanNode._msg_set_encap_proto,
}

NODE_TYPE = VlanNode
