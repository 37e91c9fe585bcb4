"""Who may use a shared emulated kernel, what they may touch, and how much of it.

``pyngraph-emud`` serves every process that can reach its socket file.  This
module decides, per connection, whether the peer may use netgraph at all
(``SO_PEERCRED``: the daemon's owner, root, or a member of an admin-named
group; FreeBSD asks for the netgraph-control privilege and says EPERM), what
it may touch, and keeps per-client and global accounts.

**Access** (docs/EMULATION.md, "The daemon's users").  Root and the daemon's
owner are *privileged*: they act as FreeBSD's root on every node.  A group
member touches only the nodes of its own uid (what it made, and what the
kernel made on its behalf: MKPEER peers, accepted clones of its ksockets);
it never makes the daemon use a socket (no ksocket, no message to one), and
LISTNODES/LISTNAMES/LISTTYPES show it only its own nodes.  Every refusal is
EPERM with the rule in its message.

**Clients.**  A client is one peer process, known by its pid *and* its start
time (``/proc/PID/stat``), so a new process reusing a pid starts afresh.  Its
account lives while it has channels or while the process lives; then its
charges die with it (its nodes stay, owned by its uid, counted globally).

**Limits** (:class:`Limits`, ``0`` is unlimited), per client and for the
whole daemon: channels (one per netgraph socket; over: EMFILE), nodes (its
socket nodes, MKPEER peers and the clones its ksockets accept; over: ENOMEM),
hooks (over: ENOMEM), socket-buffer bytes its sockets reserve (over: ENOBUFS,
as RLIMIT_SBSIZE) and the largest control message (over: EMSGSIZE).
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple

from ..abi.constants import Errno
from .kernel import Kernel, Watch, fbsd_error
from .node import Hook, Node
from .sockbuf import MAXDGRAM
from .channel import ServerChannel
from .transport import OP_OPEN, OP_SEND, SOCKBUF, status

_UCRED = struct.Struct("=iII")  # struct ucred: pid, uid, gid
_DAEMON_RIGHTS = ("ksocket", "iface", "eiface", "ether")  # node types acting on the host with the daemon's rights


class Credentials(NamedTuple):
    """A connected peer's process and identity (``SO_PEERCRED``)."""

    pid: int
    uid: int
    gid: int


def peer_credentials(sock: socket.socket) -> Credentials:
    """The credentials the peer of an AF_UNIX connection had when it connected."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    return Credentials(*_UCRED.unpack(raw))


def start_time(pid: int) -> int:
    """When process ``pid`` started (clock ticks since boot); -1 when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[19])  # field 22 of stat(5); the fields after ")" start at field 3
    except (OSError, IndexError, ValueError):
        return -1


def _groups_of(pid: int) -> Set[int]:
    """The supplementary groups of process ``pid`` (empty if it cannot be read)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Groups:"):
                    return {int(g) for g in line.split()[1:]}
    except (OSError, ValueError):
        pass
    return set()


@dataclass(frozen=True)
class PeerPolicy:
    """Which peers may use the daemon: root, the owner uid, and (optionally) one group."""

    owner_uid: int
    group_gid: Optional[int] = None

    def allows(self, cred: Credentials) -> bool:
        if cred.uid in (0, self.owner_uid):
            return True
        gid = self.group_gid
        return gid is not None and (cred.gid == gid or gid in _groups_of(cred.pid))


@dataclass(frozen=True)
class Limits:
    """Per-client (``max_*``) and daemon-wide (``total_*``) limits; ``0`` means unlimited."""

    max_nodes: int = 1024
    max_hooks: int = 4096
    max_channels: int = 256
    max_queued: int = 64 << 20
    max_msg: int = MAXDGRAM
    total_nodes: int = 8192
    total_hooks: int = 32768
    total_channels: int = 4096  # the daemon lowers it to what its descriptor limit allows
    total_queued: int = 1 << 30


@dataclass(eq=False)
class Client:
    """One peer process's account."""

    cred: Credentials
    start: int  # the process's start time: with the pid, who it is
    nodes: Set[int] = field(default_factory=set)
    hooks: int = 0
    queued: int = 0  # socket-buffer bytes reserved by its open sockets
    channels: int = 0

    @property
    def key(self) -> Tuple[int, int]:
        return self.cred.pid, self.start

    def alive(self) -> bool:
        return start_time(self.cred.pid) == self.start


class LimitedKernel(Kernel):
    """A kernel that knows who owns each node, enforces the access model and :class:`Limits`.

    The client of a piece of work is found through ``current_source``: the
    watch of the channel whose request is running (queued items keep it).
    """

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self.privileged = frozenset((0, os.geteuid()))
        self.clients: Dict[Tuple[int, int], Client] = {}  # by (pid, start time)
        self._client_by_watch: Dict[Watch, Client] = {}  # a channel's or its descriptor's watch -> client
        self._owner: Dict[int, Client] = {}  # node ID -> client charged for it
        self._uid: Dict[int, int] = {}  # node ID -> uid it belongs to (access)
        self._hooks: Dict[Hook, Optional[Client]] = {}  # every hook -> client charged for it
        self.queued = 0  # socket-buffer bytes reserved by every client
        super().__init__()

    # --- clients ---------------------------------------------------------------------

    def client(self, cred: Credentials) -> Client:
        """The account of the process ``cred`` names (a new one for a new process)."""
        key = (cred.pid, start_time(cred.pid))
        client = self.clients.get(key)
        if client is None or client.cred != cred:
            self.sweep_clients()
            client = self.clients[key] = Client(cred, key[1])
        return client

    def sweep_clients(self) -> None:
        """Drop the accounts of processes that have gone without a channel open."""
        for client in list(self.clients.values()):
            self._drop_if_idle(client)

    def _drop_if_idle(self, client: Client) -> None:
        if client.channels or (client.nodes and client.alive()):
            return
        if self.clients.get(client.key) is client:
            del self.clients[client.key]  # its charges die with it; its nodes stay its uid's

    def current_client(self) -> Optional[Client]:
        source = self.current_source
        return None if source is None else self._client_by_watch.get(source)

    def lane_of(self, source: Optional[Watch]) -> Any:
        """Work waits in its client's lane (None: the kernel's own, e.g. a ksocket's socket)."""
        return None if source is None else self._client_by_watch.get(source)

    def _member(self) -> Optional[Client]:
        """The client whose request runs, when it is not privileged (a group member)."""
        client = self.current_client()
        return None if client is None or client.cred.uid in self.privileged else client

    # --- access ----------------------------------------------------------------------

    def check_access(self, node: Node, path: str) -> None:
        member = self._member()
        if member is None:
            return
        uid = member.cred.uid
        if node.type_name in _DAEMON_RIGHTS:
            raise fbsd_error(Errno.EPERM, f"uid {uid} is a group member: only root or the daemon's owner "
                                          f"may address a {node.type_name} node (its socket or device has the "
                                          "daemon's rights)", path=path)
        if self._uid.get(node.id) != uid:
            raise fbsd_error(Errno.EPERM, f"node [{node.id:x}] is not uid {uid}'s: a group member may touch "
                                          "only its own nodes", path=path)

    def visible(self, node: Node) -> bool:
        member = self._member()
        return member is None or self._uid.get(node.id) == member.cred.uid

    # --- nodes and hooks -------------------------------------------------------------

    def make_node_common(self, type_name: str, for_node: Optional[Node] = None) -> Node:
        client = self.current_client()
        uid = None if client is None else client.cred.uid
        if for_node is not None:  # made by the kernel on behalf of for_node's owner
            client, uid = self._owner.get(for_node.id), self._uid.get(for_node.id)
        elif type_name in _DAEMON_RIGHTS and uid is not None and uid not in self.privileged:
            raise fbsd_error(Errno.EPERM, f"uid {uid} is a group member: only root or the daemon's owner "
                                          f"may make a {type_name} node (its socket or device has the daemon's "
                                          "rights; FreeBSD lets only root use netgraph)")
        limits = self.limits
        if client is not None and limits.max_nodes and len(client.nodes) >= limits.max_nodes:
            raise fbsd_error(Errno.ENOMEM, f"client pid {client.cred.pid} has {limits.max_nodes} nodes "
                                           "(--max-nodes)")
        if limits.total_nodes and len(self.nodes) >= limits.total_nodes:
            raise fbsd_error(Errno.ENOMEM, f"the daemon has {limits.total_nodes} nodes (--total-nodes)")
        node = super().make_node_common(type_name, for_node)
        if client is not None:
            client.nodes.add(node.id)
            self._owner[node.id] = client
        if uid is not None:
            self._uid[node.id] = uid
        return node

    def _forget(self, node: Node) -> None:
        super()._forget(node)
        self._uid.pop(node.id, None)
        client = self._owner.pop(node.id, None)
        if client is not None:
            client.nodes.discard(node.id)
            self._drop_if_idle(client)

    def add_hook(self, node: Node, name: str) -> Hook:
        client = self.current_client() or self._owner.get(node.id)
        limits = self.limits
        if client is not None and limits.max_hooks and client.hooks >= limits.max_hooks:
            raise fbsd_error(Errno.ENOMEM, f"client pid {client.cred.pid} has {limits.max_hooks} hooks "
                                           "(--max-hooks)")
        if limits.total_hooks and len(self._hooks) >= limits.total_hooks:
            raise fbsd_error(Errno.ENOMEM, f"the daemon has {limits.total_hooks} hooks (--total-hooks)")
        hook = super().add_hook(node, name)
        self._hooks[hook] = client
        if client is not None:
            client.hooks += 1
        return hook

    @property
    def hook_count(self) -> int:
        return len(self._hooks)

    def destroy_hook(self, hook: Hook) -> None:
        if hook in self._hooks:
            client = self._hooks.pop(hook)
            if client is not None:
                client.hooks -= 1
        super().destroy_hook(hook)


def _check_descriptor(fd: int) -> int:
    """Clamp a user socket's kernel end and return its reservation (EINVAL: not one of ours)."""
    try:
        sock = socket.socket(fileno=fd)
    except OSError as exc:
        raise fbsd_error(Errno.EINVAL, f"the descriptor is not a socket: {exc}") from None
    try:
        if sock.family != socket.AF_UNIX or sock.type != socket.SOCK_SEQPACKET:
            raise fbsd_error(Errno.EINVAL, "the descriptor is not an AF_UNIX SOCK_SEQPACKET socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKBUF)
        return sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    finally:
        sock.detach()


def _out_of_descriptors() -> bool:
    """Whether this process cannot open one more descriptor (an SCM_RIGHTS fd was then dropped)."""
    try:
        os.close(os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC))
    except OSError as exc:
        return exc.errno in (errno.EMFILE, errno.ENFILE)
    return False


class LimitedChannel(ServerChannel):
    """A client channel of the daemon: requests checked against the client's limits."""

    kernel: LimitedKernel

    def __init__(self, kernel: LimitedKernel, sock: socket.socket, client: Client,
                 on_close: Optional[Callable[[], None]] = None) -> None:
        self.client = client
        self.reserved = 0
        self._on_close = on_close
        self._watches: List[Watch] = []  # the channel's and its descriptor's: their work is the client's
        client.channels += 1
        super().__init__(kernel, sock)
        self._charge_watch(sock.fileno())

    def _charge_watch(self, fd: int) -> None:
        watch = self.kernel.watch_of(fd)
        if watch is not None:
            self.kernel._client_by_watch[watch] = self.client
            self._watches.append(watch)

    def _request(self, op: int, body: bytes, fds: List[int]) -> bytes:
        kernel = self.kernel
        limits = kernel.limits
        client = self.client
        if op == OP_SEND:
            if not body or len(body) < 1 + body[0]:
                self._close_fds(fds)
                raise fbsd_error(Errno.EINVAL, "send request shorter than its address")
            if limits.max_msg and len(body) - 1 - body[0] > limits.max_msg:
                self._close_fds(fds)
                raise fbsd_error(Errno.EMSGSIZE, f"message larger than {limits.max_msg} bytes (--max-msg)")
        if op == OP_OPEN and not fds and len(body) == 1 and _out_of_descriptors():
            raise fbsd_error(Errno.EMFILE, "the daemon has no descriptor for the socket")
        if op == OP_OPEN and len(fds) == 1 and self.pcb is None:
            try:
                size = _check_descriptor(fds[0])
            except OSError:
                self._close_fds(fds)
                raise
            if limits.max_queued and client.queued + size > limits.max_queued:
                self._close_fds(fds)
                raise fbsd_error(Errno.ENOBUFS, f"client pid {client.cred.pid} would reserve more than "
                                                f"{limits.max_queued} bytes (--max-queued)")
            if limits.total_queued and kernel.queued + size > limits.total_queued:
                self._close_fds(fds)
                raise fbsd_error(Errno.ENOBUFS, f"the daemon's sockets would reserve more than "
                                                f"{limits.total_queued} bytes (--total-queued)")
            result = super()._request(op, body, fds)
            self.reserved = size
            client.queued += size
            kernel.queued += size
            if self.pcb is not None and self.pcb.sock is not None:
                self._charge_watch(self.pcb.sock.fileno())
            return result
        return super()._request(op, body, fds)

    @staticmethod
    def _close_fds(fds: List[int]) -> None:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> bool:
        if not super().close():
            return False
        kernel = self.kernel
        for watch in self._watches:
            kernel._client_by_watch.pop(watch, None)
        self._watches = []
        client = self.client
        client.channels -= 1
        client.queued -= self.reserved
        kernel.queued -= self.reserved
        self.reserved = 0
        kernel._drop_if_idle(client)
        if self._on_close is not None:
            self._on_close()
        return True


def refuse(sock: socket.socket, fbsd_errno: int, reason: str) -> None:
    """Answer a connection with one error status (its reason as body) and close it at once.

    The client reads the status as the answer to its first request (or after
    that request failed with EPIPE), so it sees the errno, never a hang; the
    daemon keeps no descriptor for it.
    """
    try:
        sock.send(status(fbsd_errno, reason.encode("utf-8", "replace")[:512]), socket.MSG_DONTWAIT)
    except OSError:
        pass
    sock.close()


__all__ = [
    "Client", "Credentials", "LimitedChannel", "LimitedKernel", "Limits", "PeerPolicy",
    "peer_credentials", "refuse", "start_time",
]
