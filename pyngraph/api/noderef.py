"""References to nodes, addressed by netgraph path from one socket node.

A :class:`PathRef` is a socket node and a path (``"ks"``, ``"foo:"``,
``"[1a]:"``, ``"foo:a.b"``): each method sends one generic message there.
Relative paths start at the socket node; :meth:`PathRef.resolve` pins a
reference to the node's ID so it keeps pointing at the same node when hooks
change.  :class:`NodeRef` adds ``connect`` (NGM_CONNECT); a
:class:`~.ksocket.KSocket` has the ksocket's own ``connect`` instead, and
``.node`` for NGM_CONNECT.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from ..abi.args import HookList, NodeInfo
from .replies import Reply

if TYPE_CHECKING:
    from .ksocket import KSocket
    from .socknode import SockNode


def join_path(path: str, hook: str) -> str:
    """The path of the node at the far end of ``hook`` of the node at ``path``."""
    if path in ("", ".", ".:"):
        return hook
    if path.endswith(":"):
        return path + hook
    return f"{path}.{hook}"


def is_absolute(path: str) -> bool:
    """Whether ``path`` names its node (``name:``, ``[id]:``), not a hook walk from ours."""
    return ":" in path and not path.startswith(".")


def id_path(node_id: int) -> str:
    """The absolute path of a node by ID: ``"[1a]:"``."""
    return f"[{node_id:x}]:"


class PathRef:
    """The node at ``path``, seen from socket node ``sock``: every generic message but CONNECT."""

    def __init__(self, sock: "SockNode", path: str) -> None:
        self.sock = sock
        self.path = path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathRef) and other.sock is self.sock and other.path == self.path

    def __hash__(self) -> int:
        return hash((id(self.sock), self.path))

    def info(self) -> NodeInfo:
        """NODEINFO: name, type, ID and number of hooks."""
        return self.sock.info(self.path)

    def hooks(self) -> HookList:
        """LISTHOOKS: this node and one ``LinkInfo`` per hook (newest first)."""
        return self.sock.hooks(self.path)

    def resolve(self) -> "NodeRef":
        """The same node addressed by its ID (``"[1a]:"``)."""
        return NodeRef(self.sock, id_path(self.info().id))

    def mkpeer(self, node_type: str, ourhook: str, peerhook: str) -> "NodeRef":
        """Create a ``node_type`` node hooked to ours: ``ourhook`` here, ``peerhook`` there."""
        return self.sock.mkpeer(self.path, node_type, ourhook, peerhook)

    def name(self, name: str) -> None:
        """Give this node the global name ``name`` (then reachable as ``"name:"``)."""
        self.sock.name(self.path, name)

    def rmhook(self, hook: str) -> None:
        """Remove this node's hook ``hook`` (no error when there is none)."""
        self.sock.rmhook(self.path, hook)

    def shutdown(self) -> None:
        """Shut this node down; its peers lose their hooks."""
        self.sock.shutdown(self.path)

    def status(self, timeout: Optional[float] = None) -> str:
        """TEXT_STATUS: the node type's status text."""
        return self.sock.status(self.path, timeout=timeout)

    def msg(self, text: str, *, reply: Optional[bool] = None, timeout: Optional[float] = None) -> Optional[Reply]:
        """Send ``"command args"`` in ASCII; the decoded reply, or None when there is none."""
        return self.sock.msg(self.path, text, reply=reply, timeout=timeout)

    def send_msg(self, cookie: int, cmd: int, args: bytes = b"", *, reply: bool = False,
                 timeout: Optional[float] = None) -> Any:
        """Send a binary message: its token, or with ``reply`` the reply (NgMesg)."""
        return self.sock.send_msg(self.path, cookie, cmd, args, reply=reply, timeout=timeout)

    def ksocket(self) -> "KSocket":
        """This node as a :class:`~.ksocket.KSocket` (refused if it is not a ksocket node)."""
        return self.sock.ksocket_at(self.path)


class NodeRef(PathRef):
    """The node at ``path``, seen from socket node ``sock``."""

    def connect(self, peer: Union[str, PathRef], ourhook: str, peerhook: str) -> None:
        """NGM_CONNECT: link ``ourhook`` here to ``peerhook`` of ``peer`` (a reference, or a path from this node)."""
        self.sock.connect(self.path, peer, ourhook, peerhook)


__all__ = ["NodeRef", "PathRef", "id_path", "is_absolute", "join_path"]
