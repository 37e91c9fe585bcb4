"""ngctl commands that report: list, show, types, status, config."""

from __future__ import annotations

import errno
from typing import List, Optional, Protocol, TypeVar

from .. import libnetgraph as ng
from ..abi import HookList, NameList, TypeList
from ..abi.constants import (
    NG_TEXTRESPONSE, NGM_GENERIC_COOKIE, NGM_LISTHOOKS, NGM_LISTNAMES, NGM_LISTNODES,
    NGM_LISTTYPES, NGM_TEXT_CONFIG, NGM_TEXT_STATUS,
)
from ..abi.message import HEADER_SIZE
from .command import Command, bsd_getopt
from .diagnose import report
from .fmt import hook_table, list_header, node_line, types_table
from .session import ERROR, OK, USAGE, Session

TEXT_BUFSIZE = HEADER_SIZE + NG_TEXTRESPONSE  # what ngctl reads status and config replies into
_T = TypeVar("_T")
_T_co = TypeVar("_T_co", covariant=True)


class _Decodes(Protocol[_T_co]):
    def decode(self, buf: bytes) -> _T_co: ...


def query(session: Session, path: str, cmd: int, decoder: _Decodes[_T], *, args: bytes = b"") -> Optional[_T]:
    """Send a generic query and decode its reply; None after printing ngctl's complaint."""
    try:
        token = ng.NgSendMsg(session.cs, path, NGM_GENERIC_COOKIE, cmd, args)
    except OSError as exc:
        report(session, "send msg", exc, path)
        return None
    try:
        received = session.reply(token)
        assert received is not None
        return decoder.decode(received[0].data)
    except OSError as exc:
        session.diag.warn("recv msg", exc)
        return None


def show_node(session: Session, path: str, hooks: bool = True) -> int:
    hooklist = query(session, path, NGM_LISTHOOKS, HookList)
    if hooklist is None:
        return ERROR
    text = node_line(hooklist.nodeinfo)
    if hooks:
        text += hook_table(hooklist.links)
    session.out.write(text)
    return OK


def show_cmd(session: Session, argv: List[str]) -> int:
    parsed = bsd_getopt(session.diag, argv[1:], "n")
    if parsed is None:
        return USAGE
    opts, args = parsed
    if len(args) != 1:
        return USAGE
    return show_node(session, args[0], hooks=not opts)


def list_cmd(session: Session, argv: List[str]) -> int:
    parsed = bsd_getopt(session.diag, argv[1:], "ln")
    if parsed is None:
        return USAGE
    opts, args = parsed
    if args:
        return USAGE
    flags = {flag for flag, _ in opts}
    named = "-n" in flags
    names = query(session, ".", NGM_LISTNAMES if named else NGM_LISTNODES, NameList)
    if names is None:
        return ERROR
    session.out.write(list_header(len(names.nodes), named))
    if "-l" not in flags:
        session.out.write("".join(node_line(info) for info in names.nodes))
        return OK
    for i, info in enumerate(names.nodes):
        result = show_node(session, f"[{info.id:x}]:")
        if result != OK:
            return result
        if i + 1 < len(names.nodes):
            session.out.write("\n")
    return OK


def types_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) != 1:
        return USAGE
    types = query(session, ".", NGM_LISTTYPES, TypeList)
    if types is None:
        return ERROR
    session.out.write(types_table(types.types))
    return OK


def _text_reply(session: Session, path: str, cmd: int, args: bytes) -> Optional[str]:
    """Ask for a status or config text; None when the node has none (ngctl's rules)."""
    try:
        token = ng.NgSendMsg(session.cs, path, NGM_GENERIC_COOKIE, cmd, args)
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return None
        raise
    try:
        received = session.reply(token, TEXT_BUFSIZE, commands_end=True)
    except OSError:
        return None
    if received is None:
        return None
    return received[0].data.split(b"\0", 1)[0].decode("latin-1")


def _text_cmd(session: Session, path: str, cmd: int, args: bytes, what: str) -> int:
    try:
        text = _text_reply(session, path, cmd, args)
    except OSError as exc:
        report(session, "send msg", exc, path)
        return ERROR
    if text is None:
        session.out.write(f"No {what} available for \"{path}\"\n")
    else:
        session.out.write(f"{what.capitalize()} for \"{path}\":\n{text}\n")
    return OK


def status_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) != 2:
        return USAGE
    return _text_cmd(session, argv[1], NGM_TEXT_STATUS, b"", "status")


def config_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) < 2:
        return USAGE
    text = " ".join(argv[2:]).encode("latin-1", "replace")
    return _text_cmd(session, argv[1], NGM_TEXT_CONFIG, text + b"\0" if text else b"", "config")


LIST = Command(
    list_cmd, "list [-ln]", "List every node",
    "Prints one line per node in the graph: name, type, ID and number of hooks. With -n only"
    " nodes that have a name are listed; with -l each node is followed by its table of hooks,"
    " as \"show\" prints it.",
    ("ls",),
)
SHOW = Command(show_cmd, "show [-n] <path>", "Describe the node at <path> and its hooks",
               "Prints the node's name, type, ID and hook count, then one line per hook with the"
               " node and hook at its other end. -n leaves the hooks out.",
               ("inquire", "info"))
TYPES = Command(types_cmd, "types", "List the installed node types and how many nodes each has")
STATUS = Command(status_cmd, "status <path>", "Print the status text of the node at <path>")
CONFIG = Command(config_cmd, "config <path> [arguments]", "Read or change the text configuration of the node at <path>")
