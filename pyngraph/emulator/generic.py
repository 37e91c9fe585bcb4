"""The generic messages, which the base handles for every node type (``ng_generic_msg``).

Each handler checks the argument length as FreeBSD does, acts on the target
node and, for the commands that have one, queues a reply to the sender.
TEXT_STATUS and TEXT_CONFIG go to the node type; any other generic command
is EINVAL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Dict, List

from ..abi import args as abi
from ..abi.constants import (
    NGM_ASCII2BINARY, NGM_BINARY2ASCII, NGM_CONNECT, NGM_LISTHOOKS, NGM_LISTNAMES, NGM_LISTNODES,
    NGM_LISTTYPES, NGM_MKPEER, NGM_NAME, NGM_NODEINFO, NGM_RMHOOK, NGM_SHUTDOWN, NGM_TEXT_CONFIG,
    NGM_TEXT_STATUS, Errno,
)
from ..ascii import kernel_ascii2binary, kernel_binary2ascii
from .node import MsgItem, Node, Result, fbsd_error
from .path import resolve

if TYPE_CHECKING:
    from .kernel import Kernel

Handler = Callable[["Kernel", Node, MsgItem], Result]


def generic_msg(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    """Handle one generic-cookie request addressed to ``node``."""
    cmd = item.msg.cmd
    if cmd in (NGM_TEXT_STATUS, NGM_TEXT_CONFIG):
        return node.rcvmsg(item)
    handler = _HANDLERS.get(cmd)
    if handler is None:
        raise fbsd_error(Errno.EINVAL, f"unknown generic command {cmd}")
    return handler(kernel, node, item)


def _arglen(item: MsgItem, size: int, what: str) -> bytes:
    data = item.msg.data
    if len(data) != size:
        raise fbsd_error(Errno.EINVAL, f"{what}: arglen {len(data)}, expected {size}")
    return data


def nodeinfo(node: Node) -> abi.NodeInfo:
    return abi.NodeInfo(node.name, node.type_name, node.id, node.numhooks)


def _shutdown(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    kernel.rmnode(node)
    return None


def _mkpeer(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    mkp = abi.Mkpeer.decode(_arglen(item, abi.Mkpeer.SIZE, "mkpeer"))
    peer = kernel.make_node(mkp.type)
    try:
        hook = kernel.add_hook(node, mkp.ourhook)
    except BaseException:
        kernel.rmnode(peer)
        raise
    try:
        peer_hook = kernel.add_hook(peer, mkp.peerhook)
    except BaseException:
        kernel.destroy_hook(hook)
        kernel.rmnode(peer)
        raise
    try:
        kernel.link(hook, peer_hook, (hook, peer_hook))
    except BaseException:
        kernel.destroy_hook(hook)
        kernel.rmnode(peer)
        raise
    return None


def _connect(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    con = abi.Connect.decode(_arglen(item, abi.Connect.SIZE, "connect"))
    peer, _ = resolve(kernel, node, con.path)
    if con.peerhook in peer.hooks:
        raise fbsd_error(Errno.EEXIST, f"node {peer.path} already has a hook {con.peerhook!r}")
    hook = kernel.add_hook(node, con.ourhook)
    try:
        peer_hook = kernel.add_hook(peer, con.peerhook)
    except BaseException:
        kernel.destroy_hook(hook)
        raise
    kernel.link(hook, peer_hook, (peer_hook, hook))
    return None


def _name(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    kernel.name_node(node, abi.Name.decode(_arglen(item, abi.Name.SIZE, "name")).name)
    return None


def _rmhook(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    name = abi.Rmhook.decode(_arglen(item, abi.Rmhook.SIZE, "rmhook")).ourhook
    hook = node.hooks.get(name)
    if hook is not None:
        kernel.destroy_hook(hook)
    return None


def _nodeinfo(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    return node.respond(item, nodeinfo(node).encode())


def _listhooks(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    links: List[abi.LinkInfo] = []
    for hook in node.hooks_newest_first():
        peer = hook.peer
        if hook.valid and peer is not None and peer.valid:
            links.append(abi.LinkInfo(hook.name, peer.name, nodeinfo(peer.node)))
    body = abi.HookList(nodeinfo(node), links).encode()
    sized = abi.HookList.SIZE + abi.LinkInfo.SIZE * node.numhooks
    return node.respond(item, body.ljust(sized, b"\0"))


def _namelist(kernel: Kernel, node: Node, item: MsgItem, named_only: bool) -> Result:
    everyone = [n for n in kernel.nodes.values() if kernel.visible(n)]
    nodes = [n for n in everyone if n.valid and (n.name or not named_only)]
    body = abi.NameList([nodeinfo(n) for n in nodes]).encode()
    # LISTNODES sizes its reply for every node, dying ones included.
    sized = abi.NameList.SIZE + abi.NodeInfo.SIZE * (len(nodes) if named_only else len(everyone))
    return node.respond(item, body.ljust(sized, b"\0"))


def _listnames(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    return _namelist(kernel, node, item, True)


def _listnodes(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    return _namelist(kernel, node, item, False)


def _listtypes(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    counts: Dict[str, int] = {}
    for n in kernel.nodes.values():
        if kernel.visible(n):
            counts[n.type_name] = counts.get(n.type_name, 0) + 1
    types = [abi.TypeInfo(name, counts.get(name, 0)) for name in reversed(list(kernel.types))]
    return node.respond(item, abi.TypeList(types).encode())


def _binary2ascii(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    return node.respond(item, kernel_binary2ascii(node.cmdlist, item.msg.data))


def _ascii2binary(kernel: Kernel, node: Node, item: MsgItem) -> Result:
    return node.respond(item, kernel_ascii2binary(node.cmdlist, item.msg.data))


_HANDLERS: Dict[int, Handler] = {
    NGM_SHUTDOWN: _shutdown,
    NGM_MKPEER: _mkpeer,
    NGM_CONNECT: _connect,
    NGM_NAME: _name,
    NGM_RMHOOK: _rmhook,
    NGM_NODEINFO: _nodeinfo,
    NGM_LISTHOOKS: _listhooks,
    NGM_LISTNAMES: _listnames,
    NGM_LISTNODES: _listnodes,
    NGM_LISTTYPES: _listtypes,
    NGM_BINARY2ASCII: _binary2ascii,
    NGM_ASCII2BINARY: _ascii2binary,
}

__all__ = ["generic_msg", "nodeinfo"]
