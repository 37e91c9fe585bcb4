"""The ksocket helper: a kernel socket as a node, with typed methods.

``sock.ksocket("inet", "stream", "tcp", hook="ks")`` creates an ng_ksocket
node hooked to our socket node; :class:`KSocket` then binds, listens,
connects (waiting for the asynchronous result), accepts (hooking the new
node where asked), and gets/sets socket options by FreeBSD name.  Commands go
to the node by ID, after NODEINFO confirmed it is a ksocket.
"""

from __future__ import annotations

import enum
import os
import sys
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Mapping, Optional, Set, Tuple, Type, TypeVar, Union

from ..abi.constants import AF_INET, AF_INET6, AF_LOCAL, Errno, Family, Proto, SockType
from ..abi.hookname import FAMILY_ALIASES, PROTO_ALIAS_FAMILY, PROTO_ALIASES, TYPE_ALIASES, make_hookname, parse_hookname
from ..abi.sockaddr import Sockaddr, encode_sockaddr
from ..errors import NetgraphError, TimedOutError
from . import ops
from .events import AcceptEvent
from .failures import detail_of, invalid, rename
from .noderef import KS, NR, NodeRef, PathOps, PathRef, id_path
from .ops import Op
from .runner import Closing, iteration, operation
from .sockopt import BEFORE_BIND, Linger, SockoptOrderWarning, Value, decode_value, encode_value, resolve_option

if TYPE_CHECKING:
    from .socknode import SockNode, SockNodeOps

AC = TypeVar("AC")  # the API's Accepted class

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


def encode_address(address: object, command: str, path: str) -> bytes:
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


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _user_level() -> int:
    """The ``stacklevel`` for a warning of our caller that points at the user's line, outside pyngraph."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


class Binding:
    """What a ksocket has done that matters for option order (SO_REUSEADDR before bind)."""

    def __init__(self, bound: bool) -> None:
        self.bound = bound

    def option(self, option: object, value: Value, path: str) -> Tuple[int, int, bytes]:
        """Resolve and encode one SETOPT; warn when it comes too late to take effect."""
        try:
            opt = resolve_option(option)
            raw = encode_value(value)
        except NetgraphError as exc:
            raise rename(exc, "setopt", path, detail=detail_of(exc)) from exc
        if self.bound and (opt.level, opt.name) in BEFORE_BIND:
            warnings.warn(f"{opt.label} set on ksocket {path} after bind has no effect on that bind; "
                          "set it before bind()", SockoptOrderWarning, stacklevel=_user_level())
        return opt.level, opt.name, raw


@dataclass
class Connection(Generic[KS]):
    """A connection a listening ksocket accepted: the new ksocket node, the peer, the hook to it."""

    ksocket: KS
    peer: Any
    hook: str
    event: AcceptEvent


class KSocketOps(PathOps[NR, KS], Generic[NR, KS, AC]):
    """A ksocket node (addressed by ID); ``hook`` is our socket node's hook to it, if any."""

    def __init__(self, sock: "SockNodeOps[NR, KS]", node_id: int, hook: Optional[str] = None, *,
                 bound: bool = False) -> None:
        super().__init__(sock, id_path(node_id))
        self.id = node_id
        self.hook = hook
        self._binding = Binding(bound)
        self._accepts = Accepts()

    def _accepted(self, clone: KS, event: AcceptEvent, hook: str) -> AC:
        raise NotImplementedError

    @property
    def node(self) -> NR:
        """This node as a node reference, for NGM_CONNECT (``ks.node.connect(peer, ourhook, peerhook)``)."""
        return self.sock.node(self.path)

    @operation
    def close(self) -> Op[None]:
        """Shut the node down (closing its socket); no error if it is gone already."""
        try:
            yield from ops.shutdown(self.path)
        except NetgraphError as exc:
            if exc.fbsd_errno != Errno.ENOENT:
                raise

    # -- socket calls -------------------------------------------------------------

    @operation
    def bind(self, address: object) -> Op[None]:
        """Bind the socket: ``("127.0.0.1", 0)``, ``("::1", 5000)``, a local path."""
        yield from ops.ks_bind(self.path, encode_address(address, "bind", self.path))
        self._binding.bound = True

    @operation
    def listen(self, backlog: int = 128) -> Op[None]:
        """Listen, and send the first ACCEPT at once: a connection ng_ksocket accepts
        before any ACCEPT was sent is reported to nobody."""
        yield from ops.ks_listen(self.path, backlog)
        yield from self._request_accepts()

    # connect(2) of the ksocket's socket, the ksocket "connect" message; NGM_CONNECT is ks.node.connect.
    @operation
    def connect(self, address: object, timeout: Optional[float] = None) -> Op[None]:
        """Connect; for stream sockets wait for the result (ConnectionRefused ...).

        After ``timeout`` seconds TimedOutError is raised, but the connect goes on
        in the kernel: its outcome arrives later as a ConnectEvent.
        """
        yield from ops.ks_connect(self.path, self.id, encode_address(address, "connect", self.path), timeout)
        self._binding.bound = True

    @operation
    def accept(self, hook: Optional[str] = None, *, to: Optional[PathOps[Any, Any]] = None,
               timeout: Optional[float] = None) -> Op[AC]:
        """The next accepted connection, its node hooked to ``to`` (default: our socket node).

        ``hook`` names the hook on ``to`` (default ``"conn<id>"``); the new
        node's own hook gets the same name.
        """
        event = yield from self._accept_event(timeout)
        return (yield from self._hook_clone(event, hook, to))

    @iteration
    def connections(self, hook_prefix: str = "conn", *, to: Optional[PathOps[Any, Any]] = None,
                    timeout: Optional[float] = None) -> Op[Optional[AC]]:
        """Accepted connections as they come; stops after ``timeout`` seconds without one."""
        try:
            event = yield from self._accept_event(timeout)
        except TimedOutError:
            return None
        return (yield from self._hook_clone(event, f"{hook_prefix}{event.clone_id:x}", to))

    def _accept_event(self, timeout: Optional[float] = None) -> Op[AcceptEvent]:
        """The next AcceptEvent of this listener; its node is left unhooked (it dies with the listener)."""
        yield from self._request_accepts()
        event = yield from ops.ks_accept_wait(self.path, self._accepts.mine, timeout)
        self._accepts.armed = False
        return event

    accept_event = operation(_accept_event)

    def _request_accepts(self) -> Op[None]:
        if not self._accepts.armed:
            self._accepts.add((yield from ops.ks_accept_request(self.path)))

    def _hook_clone(self, event: AcceptEvent, hook: Optional[str], to: Optional[PathOps[Any, Any]]) -> Op[AC]:
        hook = hook or f"conn{event.clone_id:x}"
        target = to.path if to is not None else "."
        yield from ops.connect_by_id(target, id_path(event.clone_id), hook, hook)
        clone = self.sock.ksocket_ref(event.clone_id, hook if to is None else None, bound=True)
        return self._accepted(clone, event, hook)

    @operation
    def getname(self) -> Op[Any]:
        """The local address, ``("127.0.0.1", 40000)``-shaped."""
        return (yield from ops.ks_getname(self.path, peer=False)).address

    @operation
    def getpeername(self) -> Op[Any]:
        """The peer's address (NotConnectedError when not connected)."""
        return (yield from ops.ks_getname(self.path, peer=True)).address

    @operation
    def setopt(self, option: object, value: Value) -> Op[None]:
        """Set an option named ``"SO_REUSEADDR"``, ``("IPPROTO_IP", "IP_TTL")`` or ``SO.REUSEADDR``."""
        level, name, raw = self._binding.option(option, value, self.path)
        yield from ops.ks_setopt(self.path, level, name, raw)

    @operation
    def getopt(self, option: object, *, raw: bool = False) -> Op[Union[int, Linger, bytes]]:
        """An option's value: int, Linger, or bytes (always bytes with ``raw``)."""
        try:
            opt = resolve_option(option)
        except NetgraphError as exc:
            raise rename(exc, "getopt", self.path, detail=detail_of(exc)) from exc
        value = yield from ops.ks_getopt(self.path, opt.level, opt.name)
        return value if raw else decode_value(opt, value)

    # -- data through our socket node's hook ------------------------------------------------

    @operation
    def send(self, data: bytes) -> Op[None]:
        """Send a packet into the socket through our hook."""
        return ops.send_data(self._our_hook("send"), data)

    @operation
    def recv(self, timeout: Optional[float] = None) -> Op[bytes]:
        """The next packet the socket received (b"" when a stream peer closed)."""
        _, data = yield from ops.recv_data(self._our_hook("recv"), timeout)
        return data

    def _our_hook(self, command: str) -> str:
        if self.hook is None:
            raise invalid("this ksocket is not hooked to our socket node", command, self.path)
        return self.hook


class KSocket(Closing, KSocketOps[NodeRef, "KSocket", "Accepted"], PathRef):
    """A ksocket node (addressed by ID); ``hook`` is our socket node's hook to it, if any."""

    sock: "SockNode"

    @classmethod
    def attach(cls, sock: "SockNode", path: str) -> "KSocket":
        """The ksocket at ``path``; refused (EINVAL) when that node is of another type."""
        return sock.ksocket_at(path)

    def _accepted(self, clone: "KSocket", event: AcceptEvent, hook: str) -> "Accepted":
        return Accepted(clone, event.address, hook, event)


class Accepted(Closing, Connection[KSocket]):
    """A connection a listening ksocket accepted; as a context manager it shuts the connection's node down."""

    def close(self) -> None:
        """Shut the connection's node down."""
        self.ksocket.close()


__all__ = ["Accepted", "Accepts", "Binding", "Connection", "KSocket", "KSocketOps", "encode_address", "hookname"]
