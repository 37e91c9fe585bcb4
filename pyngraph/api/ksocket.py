"""The ksocket helper: a kernel socket as a node, with typed methods.

``sock.ksocket("inet", "stream", "tcp", hook="ks")`` creates an ng_ksocket
node hooked to our socket node; :class:`KSocket` then binds, listens,
connects (waiting for the asynchronous result), accepts (hooking the new
node where asked), and gets/sets socket options by FreeBSD name.  Commands go
to the node by ID, after NODEINFO confirmed it is a ksocket.
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Optional, Set, Tuple, Type, Union

from ..abi.constants import AF_INET, AF_INET6, AF_LOCAL, Errno, Family, Proto, SockType
from ..abi.hookname import FAMILY_ALIASES, PROTO_ALIAS_FAMILY, PROTO_ALIASES, TYPE_ALIASES, make_hookname, parse_hookname
from ..abi.sockaddr import Sockaddr, encode_sockaddr
from ..errors import NetgraphError, TimedOutError
from . import ops
from .events import AcceptEvent
from .failures import detail_of, invalid, rename
from .noderef import NodeRef, PathRef, id_path
from .sockopt import BEFORE_BIND, SockoptOrderWarning, Value, decode_value, encode_value, resolve_option

if TYPE_CHECKING:
    from .socknode import SockNode

FamilySpec = Union[str, Family]
TypeSpec = Union[str, SockType]
ProtoSpec = Union[str, int, Proto, None]

_DEFAULT_PROTO = {SockType.DGRAM: Proto.UDP, SockType.STREAM: Proto.TCP}


def _component(value: object, enum_type: Type[enum.IntEnum], aliases: Mapping[str, int], what: str) -> int:
    if isinstance(value, enum_type):
        return int(value)
    if isinstance(value, str) and value in aliases:
        return int(aliases[value])
    if isinstance(value, int) and not isinstance(value, bool):
        raise invalid(f"{what} {value!r} is a bare int: host numbers differ from FreeBSD's "
                      f"(Linux AF_INET6 is 10, FreeBSD's 28); use {enum_type.__name__} or a name "
                      f"({', '.join(aliases)})", "ksocket")
    raise invalid(f"unknown {what} {value!r} (one of {', '.join(aliases)})", "ksocket")


def hookname(family: FamilySpec = "inet", socktype: TypeSpec = "dgram", proto: ProtoSpec = None) -> str:
    """The ksocket hook name for a socket, in the form FreeBSD accepts, checked before use.

    ``family`` may also be a whole hook name (``"inet/dgram/udp"``), checked as
    FreeBSD parses it.  Protocol names exist only for inet; for inet6 and
    local the number is written (``inet6/dgram/17``).  ``proto`` defaults to
    UDP for datagram and TCP for stream sockets of inet/inet6, else 0.
    """
    if isinstance(family, str) and "/" in family:
        try:
            parse_hookname(family)
        except NetgraphError as exc:
            raise invalid(f"{detail_of(exc)}; {_hint(family)}", "ksocket") from exc
        return family
    fam = _component(family, Family, FAMILY_ALIASES, "family")
    typ = _component(socktype, SockType, TYPE_ALIASES, "socket type")
    if proto is None:
        number = int(_DEFAULT_PROTO.get(SockType(typ), 0)) if fam in (AF_INET, AF_INET6) else 0
    elif isinstance(proto, str):
        if proto not in PROTO_ALIASES:
            raise invalid(f"unknown protocol {proto!r} (one of {', '.join(PROTO_ALIASES)})", "ksocket")
        number = PROTO_ALIASES[proto]
    elif isinstance(proto, int) and not isinstance(proto, bool):
        number = int(proto)  # IP protocol numbers are the same on every system
    else:
        raise invalid(f"protocol {proto!r} is not a name or a number", "ksocket")
    name = make_hookname(fam, typ, number)
    if parse_hookname(name) != (fam, typ, number):
        raise invalid(f"hook name {name!r} would not mean ({fam}, {typ}, {number}) to ng_ksocket", "ksocket")
    return name


def _hint(name: str) -> str:
    if name.split("/", 1)[0] not in ("inet", str(PROTO_ALIAS_FAMILY)):
        return "protocol names (udp, tcp ...) exist only for inet; write the number (inet6/dgram/17)"
    return "the form is family/type/protocol, e.g. inet/dgram/udp"


def encode_address(address: Any, command: str, path: str) -> bytes:
    """A FreeBSD sockaddr for ``address``: ``(host, port)`` (IPv4 or IPv6 host), a path, or a Sockaddr.

    A bad address is an InvalidArgumentError of ``command`` at ``path``.
    """
    try:
        if isinstance(address, Sockaddr):
            return encode_sockaddr(address.family, address.address)
        if isinstance(address, str):
            return encode_sockaddr(AF_LOCAL, address)
        if isinstance(address, tuple) and address and isinstance(address[0], str):
            family = AF_INET6 if ":" in address[0] else AF_INET
            return encode_sockaddr(family, address)
    except NetgraphError as exc:
        raise rename(exc, command, path, detail=detail_of(exc)) from exc
    raise invalid(f"address {address!r} is not (host, port), a local path or a Sockaddr", command, path)


class Accepts:
    """A listener's ACCEPT requests: their tokens, and whether one is outstanding."""

    def __init__(self) -> None:
        self.tokens: Set[int] = set()
        self.armed = False

    def add(self, token: Optional[int]) -> None:
        if token is not None:
            self.tokens.add(token)
        self.armed = True

    def mine(self) -> Set[int]:
        return self.tokens


class Binding:
    """What a ksocket has done that matters for option order (SO_REUSEADDR before bind)."""

    def __init__(self, bound: bool) -> None:
        self.bound = bound

    def option(self, option: Any, value: Value, path: str) -> Tuple[int, int, bytes]:
        """Resolve and encode one SETOPT; warn when it comes too late to take effect."""
        try:
            opt = resolve_option(option)
            raw = encode_value(value)
        except NetgraphError as exc:
            raise rename(exc, "setopt", path, detail=detail_of(exc)) from exc
        if self.bound and (opt.level, opt.name) in BEFORE_BIND:
            warnings.warn(f"{opt.label} set on ksocket {path} after bind has no effect on that bind; "
                          "set it before bind()", SockoptOrderWarning, stacklevel=3)
        return opt.level, opt.name, raw


@dataclass
class Accepted:
    """A connection a listening ksocket accepted: the new ksocket node, the peer, the hook to it.

    As a context manager it shuts the connection's node down at the end.
    """

    ksocket: "KSocket"
    peer: Any
    hook: str
    event: AcceptEvent

    def __enter__(self) -> "Accepted":
        return self

    def __exit__(self, *exc: object) -> None:
        self.ksocket.close()


class KSocket(PathRef):
    """A ksocket node (addressed by ID); ``hook`` is our socket node's hook to it, if any."""

    def __init__(self, sock: "SockNode", node_id: int, hook: Optional[str] = None, *,
                 bound: bool = False) -> None:
        super().__init__(sock, id_path(node_id))
        self.id = node_id
        self.hook = hook
        self._binding = Binding(bound)
        self._accepts = Accepts()

    @property
    def node(self) -> NodeRef:
        """This node as a :class:`NodeRef`, for NGM_CONNECT (``ks.node.connect(peer, ourhook, peerhook)``)."""
        return NodeRef(self.sock, self.path)

    @classmethod
    def attach(cls, sock: "SockNode", path: str) -> "KSocket":
        """The ksocket at ``path``; refused (EINVAL) when that node is of another type."""
        node = sock.run(ops.check_ksocket(path, "ksocket"))
        return cls(sock, node.id)

    def __enter__(self) -> "KSocket":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the node down (closing its socket); no error if it is gone already."""
        try:
            self.shutdown()
        except NetgraphError as exc:
            if exc.fbsd_errno != Errno.ENOENT:
                raise

    # -- socket calls -------------------------------------------------------------

    def bind(self, address: Any) -> None:
        """Bind the socket: ``("127.0.0.1", 0)``, ``("::1", 5000)``, a local path."""
        self.sock.run(ops.ks_bind(self.path, encode_address(address, "bind", self.path)))
        self._binding.bound = True

    def listen(self, backlog: int = 128) -> None:
        """Listen, and send the first ACCEPT at once: a connection ng_ksocket accepts
        before any ACCEPT was sent is reported to nobody."""
        self.sock.run(ops.ks_listen(self.path, backlog))
        self._request_accepts()

    # connect(2) of the ksocket's socket, the ksocket "connect" message; NGM_CONNECT is ks.node.connect.
    def connect(self, address: Any, timeout: Optional[float] = None) -> None:
        """Connect; for stream sockets wait for the result (ConnectionRefused ...).

        After ``timeout`` seconds TimedOutError is raised, but the connect goes on
        in the kernel: its outcome arrives later as a ConnectEvent.
        """
        self.sock.run(ops.ks_connect(self.path, self.id, encode_address(address, "connect", self.path), timeout))
        self._binding.bound = True

    def accept(self, hook: Optional[str] = None, *, to: Optional[PathRef] = None,
               timeout: Optional[float] = None) -> Accepted:
        """The next accepted connection, its node hooked to ``to`` (default: our socket node).

        ``hook`` names the hook on ``to`` (default ``"conn<id>"``); the new
        node's own hook gets the same name.
        """
        return self._hook_clone(self.accept_event(timeout), hook, to)

    def connections(self, hook_prefix: str = "conn", *, to: Optional[PathRef] = None,
                    timeout: Optional[float] = None) -> Iterator[Accepted]:
        """Accepted connections as they come; stops after ``timeout`` seconds without one."""
        while True:
            try:
                event = self.accept_event(timeout)
            except TimedOutError:
                return
            yield self._hook_clone(event, f"{hook_prefix}{event.clone_id:x}", to)

    def accept_event(self, timeout: Optional[float] = None) -> AcceptEvent:
        """The next AcceptEvent of this listener; its node is left unhooked (it dies with the listener)."""
        self._request_accepts()
        event: AcceptEvent = self.sock.run(ops.ks_accept_wait(self.path, self._accepts.mine, timeout))
        self._accepts.armed = False
        return event

    def _request_accepts(self) -> None:
        if not self._accepts.armed:
            self._accepts.add(self.sock.run(ops.ks_accept_request(self.path)))

    def _hook_clone(self, event: AcceptEvent, hook: Optional[str], to: Optional[PathRef]) -> Accepted:
        hook = hook or f"conn{event.clone_id:x}"
        target = to.path if to is not None else "."
        self.sock.run(ops.connect_by_id(target, id_path(event.clone_id), hook, hook))
        clone = KSocket(self.sock, event.clone_id, hook if to is None else None, bound=True)
        return Accepted(clone, event.address, hook, event)

    def getname(self) -> Any:
        """The local address, ``("127.0.0.1", 40000)``-shaped."""
        return self.sock.run(ops.ks_getname(self.path, peer=False)).address

    def getpeername(self) -> Any:
        """The peer's address (NotConnectedError when not connected)."""
        return self.sock.run(ops.ks_getname(self.path, peer=True)).address

    def setopt(self, option: Any, value: Value) -> None:
        """Set an option named ``"SO_REUSEADDR"``, ``("IPPROTO_IP", "IP_TTL")`` or ``SO.REUSEADDR``."""
        level, name, raw = self._binding.option(option, value, self.path)
        self.sock.run(ops.ks_setopt(self.path, level, name, raw))

    def getopt(self, option: Any, *, raw: bool = False) -> Any:
        """An option's value: int, Linger, or bytes (always bytes with ``raw``)."""
        try:
            opt = resolve_option(option)
        except NetgraphError as exc:
            raise rename(exc, "getopt", self.path, detail=detail_of(exc)) from exc
        value = self.sock.run(ops.ks_getopt(self.path, opt.level, opt.name))
        return value if raw else decode_value(opt, value)

    # -- data through our socket node's hook ------------------------------------------------

    def send(self, data: bytes) -> None:
        """Send a packet into the socket through our hook."""
        self.sock.send(self._our_hook("send"), data)

    def recv(self, timeout: Optional[float] = None) -> bytes:
        """The next packet the socket received (b"" when a stream peer closed)."""
        return self.sock.recv(timeout, hook=self._our_hook("recv"))[1]

    def _our_hook(self, command: str) -> str:
        if self.hook is None:
            raise invalid("this ksocket is not hooked to our socket node", command, self.path)
        return self.hook


__all__ = ["Accepted", "Accepts", "Binding", "KSocket", "encode_address", "hookname"]
