"""ngctl commands that change the graph: connect, mkpeer, name, rmhook, shutdown."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from .. import libnetgraph as ng
from ..abi import Connect, Mkpeer, Name, Rmhook
from ..abi.constants import (
    NG_HOOKSIZ, NG_NODESIZ, NG_PATHSIZ, NG_TYPESIZ, NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_MKPEER,
    NGM_NAME, NGM_RMHOOK, NGM_SHUTDOWN,
)
from .command import Command
from .diagnose import report
from .session import ERROR, OK, USAGE, Session


def cut(text: str, size: int) -> str:
    """What strlcpy() keeps of ``text`` in a ``size``-byte field."""
    return text[:size - 1]


def send_generic(session: Session, path: str, cmd: int, args: bytes = b"", *, what: str = "send msg",
                 **context: Any) -> int:
    """Send one generic message; on failure say why (and what did not resolve)."""
    try:
        ng.NgSendMsg(session.cs, path, NGM_GENERIC_COOKIE, cmd, args)
    except OSError as exc:
        report(session, what, exc, path, **context)
        return ERROR
    return OK


def _path_and_rest(argv: List[str], count: int) -> Tuple[Optional[str], List[str]]:
    """``[path] a b ...``: the path defaults to "." when only ``count`` words follow."""
    args = argv[1:]
    if len(args) == count:
        return ".", args
    if len(args) == count + 1:
        return args[0], args[1:]
    return None, []


def connect_cmd(session: Session, argv: List[str]) -> int:
    path, rest = _path_and_rest(argv, 3)
    if path is None:
        return USAGE
    relpath, hook, peerhook = rest
    body = Connect(cut(relpath, NG_PATHSIZ), cut(hook, NG_HOOKSIZ), cut(peerhook, NG_HOOKSIZ)).encode()
    return send_generic(session, path, NGM_CONNECT, body, relpath=relpath)


def mkpeer_cmd(session: Session, argv: List[str]) -> int:
    path, rest = _path_and_rest(argv, 3)
    if path is None:
        return USAGE
    type_name, hook, peerhook = rest
    body = Mkpeer(cut(type_name, NG_TYPESIZ), cut(hook, NG_HOOKSIZ), cut(peerhook, NG_HOOKSIZ)).encode()
    return send_generic(session, path, NGM_MKPEER, body, type_name=type_name)


def name_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) != 3:
        return USAGE
    return send_generic(session, argv[1], NGM_NAME, Name(cut(argv[2], NG_NODESIZ)).encode())


def rmhook_cmd(session: Session, argv: List[str]) -> int:
    path, rest = _path_and_rest(argv, 1)
    if path is None:
        return USAGE
    return send_generic(session, path, NGM_RMHOOK, Rmhook(cut(rest[0], NG_HOOKSIZ)).encode())


def shutdown_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) != 2:
        return USAGE
    return send_generic(session, argv[1], NGM_SHUTDOWN, what="shutdown")


CONNECT = Command(
    connect_cmd, "connect [path] <relpath> <hook> <peerhook>",
    "Link hook <hook> of the node at <path> to hook <peerhook> of the node at <relpath>",
    "Creates hook \"hook\" on the node at \"path\" and hook \"peerhook\" on the node that"
    " \"relpath\" names, and links the two. A relative \"relpath\" is followed from the node"
    " at \"path\", not from this tool's node. Without \"path\", \".\" (this tool's own node)"
    " is used.",
    ("join",),
)
MKPEER = Command(
    mkpeer_cmd, "mkpeer [path] <type> <hook> <peerhook>",
    "Make a new node of type <type> linked to the node at \"path\"",
    "Creates a node of type \"type\" and, in the same step, links its hook \"peerhook\" to a"
    " new hook \"hook\" of the node at \"path\" (\".\" when omitted). The new node has no name;"
    " reach it through the hook, e.g. \"path.hook\" or just \"hook\" from \".\".",
)
NAME = Command(name_cmd, "name <path> <name>", "Give the node at <path> the global name <name>")
RMHOOK = Command(
    rmhook_cmd, "rmhook [path] <hook>", "Break the link at hook \"hook\" of the node at \"path\"",
    "Removes hook \"hook\" of the node at \"path\" (\".\" when omitted) together with the hook"
    " at its other end. Some node types, e.g. ksocket and echo, shut down when they lose"
    " their last hook.",
    ("disconnect",),
)
SHUTDOWN = Command(shutdown_cmd, "shutdown <path>", "Remove the node at <path> and all its links",
                   None, ("kill", "rmnode"))
