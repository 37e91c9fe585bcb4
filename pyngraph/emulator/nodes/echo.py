"""Node type ``echo`` (ng_echo): packets go back where they came from, messages too."""

from __future__ import annotations

import dataclasses

from ...abi.constants import NGF_RESP
from ...abi.nodetypes import ng_echo
from ..node import Hook, MsgItem, Node, Result, Tags


class EchoNode(Node):
    """Reflects every packet out of its arrival hook and every message to its sender."""

    declaration = ng_echo.TYPE

    def rcvmsg(self, item: MsgItem) -> Result:
        msg = item.msg
        return self.send_msg(item.retaddr, dataclasses.replace(msg, flags=msg.flags | NGF_RESP))

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        return self.send_data(hook, data, tags)

    def disconnect(self, hook: Hook) -> None:
        if not self.hooks and self.valid:
            self.rmnode_self()


NODE_TYPE = EchoNode
