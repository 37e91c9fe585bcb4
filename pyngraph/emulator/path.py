"""netgraph addressing: parse ``[node:][hook{.hook}]`` and resolve it, with FreeBSD's errors.

EINVAL for a malformed path or a relative path without a base node, ENOENT
for an unknown node or a missing hook on the way, ENXIO for a path that
reaches a dying node (``ng_path_parse``/``ng_path2noderef``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

from ..abi.constants import NG_PATHSIZ, Errno
from .node import Hook, Node, fbsd_error

if TYPE_CHECKING:
    from .kernel import Kernel

_ID = re.compile(r"\[((?:0[xX])?[0-9a-fA-F]+)\]\Z")
_ULONG_MAX = (1 << 64) - 1
# Paths parsed before (a handful in practice), bounded: path -> (node part, hook names).
# Only well-formed paths are kept; a malformed one is parsed (and refused) every time.
_PARSED_MAX = 1024
_parsed: Dict[str, Tuple[Optional[str], Sequence[str]]] = {}


def decode_id(name: str) -> int:
    """The node ID a ``[hex]`` name stands for, or 0 when it is not an ID (``ng_decodeidname``)."""
    match = _ID.match(name)
    if match is None:
        return 0
    value = int(match.group(1), 16)
    if value >= _ULONG_MAX:  # strtoul saturates: not an ID
        return 0
    return value & 0xFFFFFFFF


def parse_path(path: str) -> Tuple[Optional[str], List[str]]:
    """Split a path into its node part (None: relative) and hook names."""
    path = path[: NG_PATHSIZ - 1]
    node_part: Optional[str] = None
    hooks = path
    if ":" in path:
        node_part, hooks = path.split(":", 1)
        if not node_part:
            raise fbsd_error(Errno.EINVAL, "empty node name before ':'", path=path)
        if "." in node_part and node_part != ".":
            raise fbsd_error(Errno.EINVAL, "'.' in the node part", path=path)
    if ":" in hooks:
        raise fbsd_error(Errno.EINVAL, "more than one ':'", path=path)
    if ".." in hooks:
        raise fbsd_error(Errno.EINVAL, "empty hook name ('..')", path=path)
    if hooks.startswith("."):
        hooks = hooks[1:]
    if hooks.endswith("."):
        hooks = hooks[:-1]
    return node_part, hooks.split(".") if hooks else []


def find_node(kernel: Kernel, name: str, here: Optional[Node]) -> Optional[Node]:
    """Look up ``.``, ``[id]`` or a name among the valid nodes (``ng_name2noderef``)."""
    if name == ".":
        return here
    node_id = decode_id(name)
    if node_id:
        return kernel.node_by_id(node_id)
    node = kernel.node_by_name(name)
    if node is None:  # a type whose nodes come with host objects (ether) may attach one now
        for cls in list(kernel.types.values()):
            attach = getattr(cls, "node_for_name", None)
            node = attach(kernel, name) if attach is not None else None
            if node is not None:
                break
    return node


def resolve(kernel: Kernel, here: Optional[Node], path: str) -> Tuple[Node, Optional[Hook]]:
    """The node ``path`` names, seen from ``here``, and the hook the last hop arrives on."""
    parsed = _parsed.get(path)
    if parsed is None:
        node_part, names = parse_path(path)
        parsed = node_part, tuple(names)
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        _parsed[path] = parsed
    node_part, hooks = parsed
    if node_part is None:
        if here is None:
            raise fbsd_error(Errno.EINVAL, "relative path without a current node", path=path)
        node: Optional[Node] = here
    else:
        node = find_node(kernel, node_part, here)
    if node is None or not node.valid:
        raise fbsd_error(Errno.ENOENT, f"no node {node_part!r}", path=path)
    lasthook: Optional[Hook] = None
    for name in hooks:
        hook = node.hooks.get(name)
        peer = hook.peer if hook is not None else None
        if hook is None or not hook.valid or peer is None or not peer.valid:
            raise fbsd_error(Errno.ENOENT, f"no hook {name!r} on {node.path}", path=path)
        if not peer.node.valid:
            raise fbsd_error(Errno.ENXIO, f"node {peer.node.path} is going away", path=path)
        node, lasthook = peer.node, peer
    kernel.check_access(node, path)
    return node, lasthook
