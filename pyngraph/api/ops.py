"""Every operation of the API, written once as a generator of steps.

An operation yields :class:`Send` (send a control message; receive its token,
or with ``reply`` its matched reply), :class:`Claim` (wait for an event,
e.g. a ksocket's connect completion), :class:`SendData` and :class:`RecvData`
(a packet out of or into our hooks) and :class:`Call` (run an event handler).
A runner performs the steps (:mod:`.runner`): the blocking one in
:mod:`.socknode`, the asyncio one in :mod:`pyngraph.aio`.  A failed step is
thrown back into the generator, which names the error after its command and
path.
"""

from __future__ import annotations

import errno
import sys
from dataclasses import dataclass
from typing import Any, Callable, Collection, Generator, List, Optional, Tuple, TypeVar, Union

from ..abi import constants as C
from ..abi.nodetypes import ng_ksocket
from ..abi.args import Connect, HookList, Mkpeer, Name, NameList, NodeInfo, Rmhook, TypeInfo, TypeList
from ..abi.nodetypes.ng_ksocket import Sockopt
from ..abi.message import HEADER_SIZE, NgMesg
from ..abi.sockaddr import Sockaddr, decode_sockaddr
from ..errors import InProgressError, NetgraphError
from .events import AcceptEvent, ConnectEvent, Event
from .failures import detail_of, invalid, no_such_type, rename
from .replies import Reply, expects_reply, value_of


@dataclass(frozen=True)
class Send:
    """Send ``cmd`` to ``path``: the result is the token, or with ``reply`` ``(reply, sender)``."""

    path: str
    cookie: int
    cmd: int
    args: bytes = b""
    reply: bool = False
    timeout: Optional[float] = None
    command: str = ""


@dataclass(frozen=True)
class Claim:
    """Wait for the first event ``match`` accepts and take it out of the events queue.

    With ``last``, only an event no other claim wants (a reader of the events,
    not a waiter for one ksocket's completion).
    """

    match: Callable[[Event], bool]
    timeout: Optional[float]
    command: str
    path: str
    last: bool = False


@dataclass(frozen=True)
class SendData:
    """Send a packet out of our hook ``hook`` (None: our only hook)."""

    hook: Optional[str]
    data: bytes


@dataclass(frozen=True)
class RecvData:
    """Wait for the next packet ``(hook, data)`` on our data socket (only from ``hook``, if given)."""

    hook: Optional[str]
    timeout: Optional[float]


@dataclass(frozen=True)
class Call:
    """Run an event handler (the asyncio runner awaits what it returns)."""

    handler: Callable[[Event], object]
    event: Event


T = TypeVar("T")
Step = Union[Send, Claim, SendData, RecvData, Call]
Op = Generator[Step, Any, T]  # an operation whose result is a T
_G, _K = C.NGM_GENERIC_COOKIE, ng_ksocket.NGM_KSOCKET_COOKIE


def send(path: str, cookie: int, cmd: int, args: bytes = b"", *, command: str, reply: bool = False,
         timeout: Optional[float] = None, node_type: Optional[str] = None) -> Op[Any]:
    """One :class:`Send` step, its failure named after ``command`` and ``path``."""
    try:
        return (yield Send(path, cookie, cmd, bytes(args), reply, timeout, command))
    except NetgraphError as exc:
        error = rename(exc, command, path, node_type=node_type)
        if error is exc:  # named already (e.g. a timeout)
            raise
        raise error from exc


def request(path: str, cookie: int, cmd: int, args: bytes = b"", *, command: str,
            timeout: Optional[float] = None) -> Op[NgMesg]:
    """Send a message and return its reply (NgMesg)."""
    msg: NgMesg
    msg, _ = yield from send(path, cookie, cmd, args, command=command, reply=True, timeout=timeout)
    return msg


def _decode(decoder: Callable[[bytes], T], msg: NgMesg, command: str, path: str) -> T:
    try:
        return decoder(msg.data)
    except NetgraphError as exc:
        raise rename(exc, command, path, detail=f"malformed reply: {detail_of(exc)}") from exc


# --- generic messages -----------------------------------------------------------------

def info(path: str) -> Op[NodeInfo]:
    msg = yield from request(path, _G, C.NGM_NODEINFO, command="nodeinfo")
    return _decode(NodeInfo.decode, msg, "nodeinfo", path)


def hooks(path: str) -> Op[HookList]:
    msg = yield from request(path, _G, C.NGM_LISTHOOKS, command="listhooks")
    return _decode(HookList.decode, msg, "listhooks", path)


def list_nodes(path: str, named_only: bool) -> Op[List[NodeInfo]]:
    command, cmd = ("listnames", C.NGM_LISTNAMES) if named_only else ("listnodes", C.NGM_LISTNODES)
    msg = yield from request(path, _G, cmd, command=command)
    nodes: List[NodeInfo] = _decode(NameList.decode, msg, command, path).nodes
    return nodes


def list_types(path: str) -> Op[List[TypeInfo]]:
    msg = yield from request(path, _G, C.NGM_LISTTYPES, command="listtypes")
    types: List[TypeInfo] = _decode(TypeList.decode, msg, "listtypes", path).types
    return types


def status(path: str, timeout: Optional[float]) -> Op[str]:
    msg = yield from request(path, _G, C.NGM_TEXT_STATUS, command="textstatus", timeout=timeout)
    return msg.data.split(b"\0", 1)[0].decode("latin-1")


def mkpeer(path: str, node_type: str, ourhook: str, peerhook: str) -> Op[None]:
    """MKPEER; ENOENT/ENXIO where ``path`` resolves and the type is not installed is NoSuchTypeError."""
    args = _encode(lambda: Mkpeer(node_type, ourhook, peerhook).encode(), "mkpeer", path)
    try:
        yield from send(path, _G, C.NGM_MKPEER, args, command="mkpeer", node_type=node_type)
    except NetgraphError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENXIO):
            raise
        try:
            yield from info(path)
            installed = yield from list_types(".")
        except NetgraphError:
            raise exc from None  # the path is what did not resolve
        if any(t.type_name == node_type for t in installed):
            raise
        raise no_such_type(exc, path, node_type, sorted(t.type_name for t in installed)) from None


def connect(path: str, peer: str, ourhook: str, peerhook: str) -> Op[None]:
    args = _encode(lambda: Connect(peer, ourhook, peerhook).encode(), "connect", path)
    yield from send(path, _G, C.NGM_CONNECT, args, command="connect")


def connect_by_id(path: str, peer: str, ourhook: str, peerhook: str) -> Op[None]:
    """CONNECT to ``peer`` given relative to *our* socket node (made absolute by ID first)."""
    if ":" not in peer or peer.startswith("."):
        node = yield from info(peer)
        peer = f"[{node.id:x}]:"
    yield from connect(path, peer, ourhook, peerhook)


def name(path: str, new_name: str) -> Op[None]:
    yield from send(path, _G, C.NGM_NAME, _encode(lambda: Name(new_name).encode(), "name", path), command="name")


def rmhook(path: str, hook: str) -> Op[None]:
    yield from send(path, _G, C.NGM_RMHOOK, _encode(lambda: Rmhook(hook).encode(), "rmhook", path),
                    command="rmhook")


def shutdown(path: str) -> Op[None]:
    yield from send(path, _G, C.NGM_SHUTDOWN, command="shutdown")


def _encode(build: Callable[[], bytes], command: str, path: str) -> bytes:
    try:
        return build()
    except NetgraphError as exc:
        raise rename(exc, command, path, detail=detail_of(exc)) from exc


# --- ASCII messages -------------------------------------------------------------------

def split_command(text: str) -> Tuple[str, str]:
    """``"cmd args"`` split as libnetgraph does: the first word, then the rest."""
    line = text.lstrip()
    parts = line.split(None, 1)
    if not parts:
        raise invalid("empty message text", "msg")
    return parts[0], parts[1] if len(parts) > 1 else ""


def ascii_msg(path: str, text: str, reply: Optional[bool], timeout: Optional[float]) -> Op[Optional[Reply]]:
    """Send ``"cmd args"``, converted by the target node; the decoded reply, or None."""
    word, args = split_command(text)
    try:
        ascii_form = NgMesg(0, 0, args.encode("latin-1") + b"\0", cmdstr=word).encode()
    except (UnicodeEncodeError, NetgraphError) as exc:
        raise invalid(f"cannot send {text!r}: {exc}", word, path) from exc
    converted = yield from request(path, _G, C.NGM_ASCII2BINARY, ascii_form, command=word)
    binary, arglen = NgMesg.decode_header(converted.data)
    binary.data = converted.data[HEADER_SIZE:HEADER_SIZE + arglen]
    wait = expects_reply(binary.typecookie, binary.cmd) if reply is None else reply
    result = yield from send(path, binary.typecookie, binary.cmd, binary.data, command=word, reply=wait,
                             timeout=timeout)
    if not wait:
        return None
    msg, sender = result
    return (yield from decode_reply(msg, sender))


def binary_msg(path: str, cookie: int, cmd: int, args: bytes, reply: bool, timeout: Optional[float]) -> Op[Any]:
    """Send a binary message: its token, or with ``reply`` its reply (NgMesg)."""
    command = f"cookie {cookie} cmd {cmd}"
    if reply:
        return (yield from request(path, cookie, cmd, args, command=command, timeout=timeout))
    return (yield from send(path, cookie, cmd, args, command=command))


def decode_reply(msg: NgMesg, sender: str) -> Op[Reply]:
    """The :class:`Reply` for ``msg``: its text from the sender (BINARY2ASCII) and its value."""
    try:
        converted = yield from request(sender, _G, C.NGM_BINARY2ASCII, msg.encode(), command="binary2ascii")
        inner, arglen = NgMesg.decode_header(converted.data)
    except NetgraphError:  # the sender cannot convert it (ENOSYS) or has gone
        return Reply(msg, sender, msg.cmdstr, None, value_of(msg, None))
    raw = converted.data[HEADER_SIZE:HEADER_SIZE + arglen]
    text = raw.split(b"\0", 1)[0].decode("latin-1")
    return Reply(msg, sender, inner.cmdstr, text, value_of(msg, text))


# --- ksocket --------------------------------------------------------------------------

def check_ksocket(path: str, command: str) -> Op[NodeInfo]:
    """NODEINFO of the node at ``path``, refusing any node that is not a ksocket."""
    node = yield from info(path)
    if node.type != ng_ksocket.NG_KSOCKET_NODE_TYPE:
        raise invalid(f"node [{node.id:x}] is a {node.type!r} node, not a ksocket: ksocket commands "
                      "would be refused", command, path)
    return node


def ks_bind(path: str, sockaddr: bytes) -> Op[None]:
    yield from send(path, _K, ng_ksocket.NGM_KSOCKET_BIND, sockaddr, command="bind")


def ks_listen(path: str, backlog: int) -> Op[None]:
    yield from send(path, _K, ng_ksocket.NGM_KSOCKET_LISTEN, _int32(backlog, "backlog", "listen", path), command="listen")


def ks_connect(path: str, node_id: int, sockaddr: bytes, timeout: Optional[float]) -> Op[None]:
    """CONNECT; when it is in progress, wait for the ksocket's completion message.

    ng_ksocket sends that message by node ID, with the token of the CONNECT;
    libnetgraph reports EINPROGRESS without the token, so the completion is
    recognised by its sender, the ksocket (one connect at a time per node).
    """
    try:
        yield from send(path, _K, ng_ksocket.NGM_KSOCKET_CONNECT, sockaddr, command="connect")
        return
    except InProgressError:
        pass

    def done(event: Event) -> bool:
        return isinstance(event, ConnectEvent) and event.node_id == node_id

    event = yield Claim(done, timeout, "connect", path)
    if event.error is not None:
        raise event.error


def ks_accept_request(path: str) -> Op[Optional[int]]:
    """Send ACCEPT: its token marks the accepted connections reported to us; None if one is pending.

    Depending on the FreeBSD version, a listening ksocket reports either every
    connection after one ACCEPT or one connection per ACCEPT; asking again
    after each connection works with both (EALREADY: the last one still waits).
    """
    try:
        token: int = yield from send(path, _K, ng_ksocket.NGM_KSOCKET_ACCEPT, command="accept")
    except NetgraphError as exc:
        if exc.errno != errno.EALREADY:
            raise
        return None
    return token


def ks_accept_wait(path: str, tokens: Callable[[], Collection[int]], timeout: Optional[float]) -> Op[AcceptEvent]:
    """The next connection the listening ksocket at ``path`` reports (an AcceptEvent)."""
    def accepted(event: Event) -> bool:
        return isinstance(event, AcceptEvent) and event.token in tokens()

    event: AcceptEvent = yield Claim(accepted, timeout, "accept", path)
    return event


def ks_getname(path: str, peer: bool) -> Op[Sockaddr]:
    command, cmd = ("getpeername", ng_ksocket.NGM_KSOCKET_GETPEERNAME) if peer else ("getname", ng_ksocket.NGM_KSOCKET_GETNAME)
    msg = yield from request(path, _K, cmd, command=command)
    return _decode(decode_sockaddr, msg, command, path)


def ks_setopt(path: str, level: int, option: int, value: bytes) -> Op[None]:
    yield from send(path, _K, ng_ksocket.NGM_KSOCKET_SETOPT, Sockopt(level, option, value).encode(), command="setopt")


def ks_getopt(path: str, level: int, option: int) -> Op[bytes]:
    msg = yield from request(path, _K, ng_ksocket.NGM_KSOCKET_GETOPT, Sockopt(level, option).encode(), command="getopt")
    opt: Sockopt = _decode(Sockopt.decode, msg, "getopt", path)
    return opt.value


# --- data and events ------------------------------------------------------------------

def send_data(hook: Optional[str], data: bytes) -> Op[None]:
    yield SendData(hook, data)


def recv_data(hook: Optional[str], timeout: Optional[float]) -> Op[Tuple[str, bytes]]:
    packet: Tuple[str, bytes] = yield RecvData(hook, timeout)
    return packet


def next_event(timeout: Optional[float], match: Callable[[Event], bool] = lambda event: True,
               command: str = "event") -> Op[Event]:
    """The oldest queued event (that ``match`` accepts), or the next to arrive that no other claim
    wants; TimedOutError after ``timeout``."""
    event: Event = yield Claim(match, timeout, command, ".", last=True)
    return event


def _int32(value: int, what: str, command: str, path: str) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int) or not -(1 << 31) <= value < 1 << 31:
        raise invalid(f"{what} {value!r} is not a 32-bit int", command, path)
    return value.to_bytes(4, sys.byteorder, signed=True)


__all__ = [
    "Call", "Claim", "Op", "RecvData", "Send", "SendData", "Step", "ascii_msg", "binary_msg", "check_ksocket", "connect", "connect_by_id", "decode_reply", "hooks", "info",
    "ks_accept_request", "ks_accept_wait", "ks_bind", "ks_connect", "ks_getname", "ks_getopt", "ks_listen",
    "ks_setopt", "list_nodes", "list_types", "mkpeer", "name", "next_event", "recv_data", "request", "rmhook",
    "send", "send_data", "shutdown", "split_command", "status",
]
