"""Node type ``hub`` (ng_hub): every packet goes out of every other hook."""

from __future__ import annotations

from typing import Callable, Dict

from ...abi.nodetypes import ng_hub
from ..node import Hook, MsgItem, Node, Result, Tags, run_command


class HubNode(Node):
    """Floods packets; removes itself with its last hook unless made persistent."""

    declaration = ng_hub.TYPE

    persistent = False

    def rcvmsg(self, item: MsgItem) -> Result:
        return run_command(self, _MESSAGES, item)

    def _msg_set_persistent(self, item: MsgItem) -> Result:
        self.persistent = True  # no reply, and no way to clear it
        return None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        others = [h for h in self.hooks_newest_first() if h is not hook]
        if not others:
            return None
        for copy_to in others[:-1]:  # copies to the newer hooks; their errors are ignored
            self.send_data(copy_to, data, tuple(tags))
        return self.send_data(others[-1], data, tags)  # the original to the oldest other hook

    def disconnect(self, hook: Hook) -> None:
        if not self.hooks and self.valid and not self.persistent:
            self.rmnode_self()


# ng_hub_rcvmsg's switch: each NGM_HUB_* command and its handler
_MESSAGES: Dict[int, Callable[[HubNode, MsgItem], Result]] = {
    ng_hub.NGM_HUB_SET_PERSISTENT: HubNode._msg_set_persistent,
}

NODE_TYPE = HubNode
