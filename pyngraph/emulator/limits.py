"""Who may use a shared emulated kernel, and how much of it: peer checks and per-client limits.

``pyngraph-emud`` serves every process that can reach its socket file.  This
module decides, per connection, whether the peer may use netgraph at all
(``SO_PEERCRED``: the daemon's owner, root, or a member of an admin-named
group; FreeBSD asks for the netgraph-control privilege and says EPERM) and
keeps per-client accounts, a client being one peer process:

* ``max_nodes``: nodes made on the client's behalf (its socket nodes and what
  its messages MKPEER); one more is ENOMEM, as a failed node allocation;
* ``max_queued``: bytes of socket buffer its netgraph sockets reserve (the
  kernel end's send buffer: what the kernel may queue towards the client);
  one more socket over the budget is ENOBUFS, as FreeBSD's per-user
  socket-buffer limit (RLIMIT_SBSIZE);
* ``max_msg``: the largest control message it may send; larger is EMSGSIZE.

Nodes are charged to the client whose channel request (or the queued work it
started) creates them; connections accepted by a client's ksocket are not
charged (their creation is not a request of the client).
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from dataclasses import dataclass, field
from typing import Callable, Dict, List, NamedTuple, Optional, Set

from ..abi.constants import Errno
from .kernel import Kernel, fbsd_error
from .node import Node
from .transport import MAX_DGRAM, OP_OPEN, OP_SEND, SOCKBUF, ServerChannel, status

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
    """Per-client limits (see the module docstring); ``0`` means unlimited."""

    max_nodes: int = 1024
    max_queued: int = 64 << 20
    max_msg: int = MAX_DGRAM


@dataclass
class Client:
    """One peer process's account."""

    cred: Credentials
    nodes: Set[int] = field(default_factory=set)
    queued: int = 0  # socket-buffer bytes reserved by its open sockets
    channels: int = 0

    @property
    def idle(self) -> bool:
        return not self.nodes and not self.channels and not self.queued


class LimitedKernel(Kernel):
    """A kernel that charges nodes to clients and enforces :class:`Limits`.

    The client of a piece of work is found through ``current_source``: the
    watch of the channel whose request is running (queued items keep it).
    """

    def __init__(self, limits: Limits = Limits()) -> None:
        self.limits = limits
        self.clients: Dict[int, Client] = {}  # by pid
        self._client_by_fd: Dict[int, Client] = {}  # channel descriptor -> client
        self._owner: Dict[int, Client] = {}  # node ID -> client charged for it
        super().__init__()

    def client(self, cred: Credentials) -> Client:
        client = self.clients.get(cred.pid)
        if client is None or client.cred != cred:
            client = self.clients[cred.pid] = Client(cred)
        return client

    def current_client(self) -> Optional[Client]:
        source = self.current_source
        return None if source is None else self._client_by_fd.get(source.fd)

    def make_node_common(self, type_name: str) -> Node:
        client = self.current_client()
        if type_name in _DAEMON_RIGHTS and client is not None and client.cred.uid not in (0, os.geteuid()):
            # A ksocket's socket (an interface node's device) is the daemon's, with the daemon's
            # rights: a group member admitted by --group must not act with them (FreeBSD: only root uses netgraph).
            raise fbsd_error(Errno.EPERM, f"{type_name}: uid {client.cred.uid} is neither root nor the daemon's owner")
        limit = self.limits.max_nodes
        if client is not None and limit and len(client.nodes) >= limit:
            raise fbsd_error(Errno.ENOMEM, f"client pid {client.cred.pid} has {limit} nodes (--max-nodes)")
        node = super().make_node_common(type_name)
        if client is not None:
            client.nodes.add(node.id)
            self._owner[node.id] = client
        return node

    def _forget(self, node: Node) -> None:
        super()._forget(node)
        client = self._owner.pop(node.id, None)
        if client is not None:
            client.nodes.discard(node.id)
            self._drop_if_idle(client)

    def _drop_if_idle(self, client: Client) -> None:
        if client.idle and self.clients.get(client.cred.pid) is client:
            del self.clients[client.cred.pid]


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

    def __init__(self, kernel: LimitedKernel, sock: socket.socket, cred: Credentials,
                 on_close: Optional[Callable[[], None]] = None) -> None:
        self.client = kernel.client(cred)
        self.reserved = 0
        self._on_close = on_close
        fd = sock.fileno()
        kernel._client_by_fd[fd] = self.client
        self.client.channels += 1
        self._fd = fd
        super().__init__(kernel, sock)

    def _request(self, op: int, body: bytes, fds: List[int]) -> bytes:
        limits = self.kernel.limits
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
            result = super()._request(op, body, fds)
            self.reserved = size
            client.queued += size
            return result
        return super()._request(op, body, fds)

    @staticmethod
    def _close_fds(fds: List[int]) -> None:
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> None:
        if self not in self.kernel.channels:
            return
        super().close()
        kernel = self.kernel
        if kernel._client_by_fd.get(self._fd) is self.client:
            del kernel._client_by_fd[self._fd]
        client = self.client
        client.channels -= 1
        client.queued -= self.reserved
        self.reserved = 0
        kernel._drop_if_idle(client)
        if self._on_close is not None:
            self._on_close()


class RefusedChannel:
    """A connection that is answered with one errno and closed (EPERM peer, EMFILE daemon).

    The client's first request gets the status, so it sees the errno instead
    of a broken pipe.
    """

    def __init__(self, kernel: Kernel, sock: socket.socket, fbsd_errno: int,
                 on_close: Optional[Callable[[], None]] = None) -> None:
        sock.setblocking(False)
        self.kernel = kernel
        self.sock: Optional[socket.socket] = sock
        self.fbsd_errno = fbsd_errno
        self._on_close = on_close
        kernel.watch_fd(sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        sock = self.sock
        assert sock is not None
        try:
            data, ancdata, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(16 * 4))
        except BlockingIOError:
            return
        except OSError:
            data, ancdata = b"", []
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                LimitedChannel._close_fds(list(struct.unpack(f"={len(payload) // 4}i",
                                                             payload[: len(payload) // 4 * 4])))
        if data:
            try:
                sock.send(status(self.fbsd_errno))
            except OSError:
                pass
        self.close()

    def close(self) -> None:
        sock, self.sock = self.sock, None
        if sock is None:
            return
        self.kernel.unwatch_fd(sock.fileno())
        sock.close()
        if self._on_close is not None:
            self._on_close()


__all__ = [
    "Client", "Credentials", "LimitedChannel", "LimitedKernel", "Limits", "PeerPolicy",
    "RefusedChannel", "peer_credentials",
]
