"""ngctl's ``msg`` (ASCII control messages, optionally waiting for the reply) and ``write``."""

from __future__ import annotations

import errno
import re
import struct
import time
from typing import List, Optional

from .. import libnetgraph as ng
from ..abi import NodeInfo
from ..abi.constants import NGF_RESP, NGM_GENERIC_COOKIE, NGM_NODEINFO
from ..abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE
from ..abi.strerror import fbsd_strerror
from .command import Command
from .diagnose import report
from .incoming import describe_message
from .session import ERROR, OK, USAGE, Received, Session

WRITE_MAX = 8192  # ngctl's packet buffer
_NUMBER = re.compile(r"^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)")
MAX_WAIT = 1e6  # seconds: far beyond any reply, within what select()/poll() accept
_SECONDS = re.compile(r"^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


def scan_int(word: str) -> Optional[int]:
    """C's ``sscanf(word, "%i")``: decimal, 0x hex or 0 octal, sign allowed, junk after ignored."""
    match = _NUMBER.match(word)
    if match is None:
        return None
    sign, digits = match.groups()
    value = int(digits, 16) if digits[:2].lower() == "0x" else int(digits, 8) if digits.startswith("0") else int(digits)
    return -value if sign == "-" else value


def _display(session: Session, received: Received) -> None:
    session.out.write(describe_message(session, *received))


def _connect_failed(session: Session, received: Received) -> bool:
    """For ksocket's asynchronous CONNECT reply: report a non-zero errno it carries."""
    msg = received[0]
    if msg.typecookie != NGM_KSOCKET_COOKIE or msg.cmd != NGM_KSOCKET_CONNECT or len(msg.data) != 4:
        return False
    (code,) = struct.unpack("=i", msg.data)
    if code == 0:
        return False
    session.diag.warnx(f"connect: {fbsd_strerror(code)}")  # FreeBSD's words for FreeBSD's errno
    return True


def _node_id(session: Session, path: str) -> Optional[int]:
    try:
        return NodeInfo.decode(session.request(path, NGM_GENERIC_COOKIE, NGM_NODEINFO).data).id
    except OSError:
        return None


def _wait_from(session: Session, sender: str, seconds: float) -> Optional[Received]:
    """The first response from ``sender`` (a "[id]:" path) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        for item in list(session.pending):
            if item[0].flags & NGF_RESP and item[1] == sender:
                session.pending.remove(item)
                return item
        left = deadline - time.monotonic()
        if left <= 0 or not session.socket_readable(left):
            return None
        session.drain()


def _seconds_text(value: float) -> str:
    return f"{value:g}"


def msg_cmd(session: Session, argv: List[str]) -> int:
    args = argv[1:]
    wait: Optional[float] = None
    if len(args) >= 2 and args[0] == "-w":
        if not _SECONDS.match(args[1]) or float(args[1]) > MAX_WAIT:
            session.diag.warnx(f"msg -w: \"{args[1]}\" is not a number of seconds from 0 to {MAX_WAIT:g}"
                               " (e.g. msg -w 5 ks: connect inet/127.0.0.1:7)")
            return USAGE
        wait, args = float(args[1]), args[2:]
    if len(args) < 2:
        return USAGE
    path, text = args[0], " ".join(args[1:])
    try:
        token = ng.NgSendAsciiMsg(session.cs, path, text)
    except OSError as exc:
        if exc.errno == errno.EINPROGRESS and wait is not None:
            return _await_async(session, path, wait)
        if exc.errno == errno.EINPROGRESS:
            session.diag.warn("send msg", exc)
            session.diag.hint(f"the node answers later; \"msg -w SECONDS {path} ...\" waits for that reply")
        else:
            report(session, "send msg", exc, path, ascii_args=True)
        return ERROR
    received = session.take(token) or session.reply(token, timeout=0)
    if received is None and wait is not None:
        received = session.reply(token, timeout=wait)
        if received is None:
            session.diag.warnx(f"no reply from \"{path}\" within {_seconds_text(wait)} seconds")
            return ERROR
    if received is not None:
        _display(session, received)
        if _connect_failed(session, received):
            return ERROR
    return OK


def _await_async(session: Session, path: str, wait: float) -> int:
    """After EINPROGRESS: show the asynchronous reply of the node at ``path``."""
    node = _node_id(session, path)
    received = None if node is None else _wait_from(session, f"[{node:x}]:", wait)
    if received is None:
        session.diag.warnx(f"no reply from \"{path}\" within {_seconds_text(wait)} seconds")
        return ERROR
    _display(session, received)
    return ERROR if _connect_failed(session, received) else OK


def write_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) < 3:
        return USAGE
    hook = argv[1]
    if argv[2] == "-f":
        if len(argv) != 4:
            return USAGE
        try:
            with open(argv[3], "rb") as f:
                data = f.read(WRITE_MAX)
        except OSError as exc:
            session.diag.warn(f"can't read file \"{argv[3]}\"", exc)
            return ERROR
        if not data:
            session.diag.warnx(f"file \"{argv[3]}\" is empty")
            return ERROR
    else:
        packet = bytearray()
        for word in argv[2:2 + WRITE_MAX]:
            value = scan_int(word)
            if value is None or not -128 <= value <= 255:
                session.diag.warnx(f"invalid byte \"{word}\"")
                return ERROR
            packet.append(value & 0xFF)
        data = bytes(packet)
    try:
        ng.NgSendData(session.data_socket(), hook, data)
    except OSError as exc:
        session.diag.warn(f"writing to hook \"{hook}\"", exc)
        if exc.errno == errno.EHOSTUNREACH:
            session.diag.hint(f"this tool's node has no hook \"{hook}\" (\"show .\" lists its hooks)")
        return ERROR
    return OK


MSG = Command(
    msg_cmd, "msg [-w seconds] path command [args ... ]",
    "Send a control message, written in ASCII, to the node at \"path\"",
    "The node at \"path\" first turns the command name and its ASCII arguments into a binary"
    " message, which is then sent to it. A reply that is already there is printed. Replies"
    " that come later (ksocket connect, accept, sometimes getname) are printed only with"
    " -w: it waits up to that many seconds for the reply, and a ksocket connect that"
    " reports an error then fails the command. ngctl has no -w.",
    ("cmd",),
)
WRITE = Command(
    write_cmd, "write hook < -f file | byte ... >", "Send one data packet out of this tool's hook \"hook\"",
    "The packet is either the contents of a file (at most 8192 bytes) or the bytes listed on"
    " the command line, each a number from -128 to 255 in decimal, 0x hex or 0 octal.",
    ("w",),
)
