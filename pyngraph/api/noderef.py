"""References to nodes, addressed by netgraph path from one socket node.

A :class:`PathRef` is a socket node and a path (``"ks"``, ``"foo:"``,
``"[1a]:"``, ``"foo:a.b"``): each method sends one generic message there.
Relative paths start at the socket node; :meth:`PathOps.resolve` pins a
reference to the node's ID so it keeps pointing at the same node when hooks
change.  :class:`NodeRef` adds ``connect`` (NGM_CONNECT); a
:class:`~.ksocket.KSocket` has the ksocket's own ``connect`` instead, and
``.node`` for NGM_CONNECT.

The methods are written once (:class:`PathOps`, :class:`NodeOps`) for both
APIs: :class:`PathRef` and :class:`NodeRef` are the blocking references,
:mod:`pyngraph.aio` has the asyncio ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union

from ..abi.args import HookList, NodeInfo
from . import ops
from .ops import Op
from .replies import Reply
from .runner import Blocking, operation

if TYPE_CHECKING:
    from .ksocket import KSocket
    from .socknode import SockNode, SockNodeOps

NR = TypeVar("NR")  # the API's NodeRef class
KS = TypeVar("KS")  # the API's KSocket class
T = TypeVar("T")


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


class PathOps(Generic[NR, KS]):
    """The node at ``path``, seen from socket node ``sock``: every generic message but CONNECT."""

    def __init__(self, sock: "SockNodeOps[NR, KS]", path: str) -> None:
        self.sock = sock
        self.path = path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path!r}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PathOps) and other.sock is self.sock and other.path == self.path

    def __hash__(self) -> int:
        return hash((id(self.sock), self.path))

    def _run(self, op: Op[T]) -> Any:
        return self.sock._run(op)

    @operation
    def info(self) -> Op[NodeInfo]:
        """NODEINFO: name, type, ID and number of hooks."""
        return ops.info(self.path)

    @operation
    def hooks(self) -> Op[HookList]:
        """LISTHOOKS: this node and one ``LinkInfo`` per hook (newest first)."""
        return ops.hooks(self.path)

    @operation
    def resolve(self) -> Op[NR]:
        """The same node addressed by its ID (``"[1a]:"``)."""
        node = yield from ops.info(self.path)
        return self.sock.node(id_path(node.id))

    @operation
    def mkpeer(self, node_type: str, ourhook: str, peerhook: str) -> Op[NR]:
        """Create a ``node_type`` node hooked to ours: ``ourhook`` here, ``peerhook`` there."""
        return self.sock.mkpeer_op(self.path, node_type, ourhook, peerhook)

    @operation
    def name(self, name: str) -> Op[None]:
        """Give this node the global name ``name`` (then reachable as ``"name:"``)."""
        return ops.name(self.path, name)

    @operation
    def rmhook(self, hook: str) -> Op[None]:
        """Remove this node's hook ``hook`` (no error when there is none)."""
        return ops.rmhook(self.path, hook)

    @operation
    def shutdown(self) -> Op[None]:
        """Shut this node down; its peers lose their hooks."""
        return ops.shutdown(self.path)

    @operation
    def status(self, timeout: Optional[float] = None) -> Op[str]:
        """TEXT_STATUS: the node type's status text."""
        return ops.status(self.path, timeout)

    @operation
    def msg(self, text: str, *, reply: Optional[bool] = None, timeout: Optional[float] = None) -> Op[Optional[Reply]]:
        """Send ``"command args"`` in ASCII; the decoded reply, or None when there is none."""
        return ops.ascii_msg(self.path, text, reply, timeout)

    @operation
    def send_msg(self, cookie: int, cmd: int, args: bytes = b"", *, reply: bool = False,
                 timeout: Optional[float] = None) -> Op[Any]:
        """Send a binary message: its token, or with ``reply`` the reply (NgMesg)."""
        return ops.binary_msg(self.path, cookie, cmd, args, reply, timeout)

    @operation
    def ksocket(self) -> Op[KS]:
        """This node as a :class:`~.ksocket.KSocket` (refused if it is not a ksocket node)."""
        return self.sock.attach_op(self.path)


class NodeOps(PathOps[NR, KS]):
    """The node at ``path``, seen from socket node ``sock``."""

    @operation
    def connect(self, peer: Union[str, PathOps[Any, Any]], ourhook: str, peerhook: str) -> Op[None]:
        """NGM_CONNECT: link ``ourhook`` here to ``peerhook`` of ``peer`` (a reference, or a path from this node)."""
        return self.sock.connect_op(self.path, peer, ourhook, peerhook)


class PathRef(Blocking, PathOps["NodeRef", "KSocket"]):
    """The node at ``path``, seen from socket node ``sock``: every generic message but CONNECT."""

    sock: "SockNode"


class NodeRef(PathRef, NodeOps["NodeRef", "KSocket"]):
    """The node at ``path``, seen from socket node ``sock``."""


__all__ = ["NodeOps", "NodeRef", "PathOps", "PathRef", "id_path", "is_absolute", "join_path"]
