"""Say why a path did not resolve (ENOENT), and which kernel module may be missing.

netgraph answers ENOENT alike for an unknown node, a missing hook on the way,
an unknown node type whose module could not be loaded, and an unknown field
in an ASCII argument.  The tools add one line that tells these apart by
probing the path piece by piece with NODEINFO.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import Any, List, Optional, Tuple

from ..abi import TypeList
from ..abi.constants import NGM_GENERIC_COOKIE, NGM_LISTTYPES, NGM_NODEINFO
from .session import Session

MAX_ADDRESS_PATH = 31  # ng_socket refuses a sendto address longer than NG_NODESIZ + 2
_ID = re.compile(r"^\[(?:0[xX])?[0-9a-fA-F]+\]$")


def on_freebsd() -> bool:
    """Whether the tools talk to a FreeBSD kernel (hints then name kernel modules)."""
    name = os.environ.get("PYNGRAPH_BACKEND", "")
    if name:
        return name.startswith("freebsd")
    return sys.platform.startswith("freebsd")


def _resolves(session: Session, path: str) -> Optional[int]:
    """0 when a node answers at ``path``, else the errno of the attempt."""
    try:
        session.request(path, NGM_GENERIC_COOKIE, NGM_NODEINFO)
    except OSError as exc:
        return exc.errno or errno.EIO
    return 0


def _split(path: str) -> Tuple[str, List[str]]:
    """``(node part with its colon or "", hooks)`` of a netgraph path."""
    node, colon, hooks = path.partition(":")
    if not colon:
        node, hooks = "", path
    hooks = hooks[1:] if hooks.startswith(".") else hooks
    hooks = hooks[:-1] if hooks.endswith(".") else hooks
    return (node + ":" if colon else ""), [h for h in hooks.split(".") if h]


def _missing_node(node: str) -> str:
    bare = node[:-1]
    if bare == ".":
        return "this tool's own node is gone"
    if _ID.match(bare):
        text = f"no node has ID {bare[1:-1]}"
    else:
        text = f"no node is named \"{bare}\""
        if on_freebsd() and re.match(r"^[a-z]+[0-9]+$", bare):
            text += (f"; if \"{bare}\" is a network interface, its node exists only while"
                     " the ng_ether kernel module is loaded (kldload ng_ether)")
    if not on_freebsd() and os.environ.get("PYNGRAPH_EMULATOR") == "inprocess":
        text += ("; this process has a private emulated netgraph (PYNGRAPH_EMULATOR=inprocess):"
                 " unset PYNGRAPH_EMULATOR to reach the graph your other processes share")
    return text


def path_problem(session: Session, path: str) -> Optional[str]:
    """Why ``path`` does not resolve, or None when it does (or the reason is not ENOENT)."""
    node, hooks = _split(path)
    if _resolves(session, path) != errno.ENOENT:
        return None
    if node and _resolves(session, node) == errno.ENOENT:
        return f"\"{path}\": {_missing_node(node)}"
    here = node or "."
    for i, hook in enumerate(hooks):
        step = node + ".".join(hooks[:i + 1])
        if _resolves(session, step) == errno.ENOENT:
            where = "this tool's node" if here in (".", ".:") else f"the node at \"{here}\""
            return f"\"{path}\": {where} has no hook \"{hook}\" (or nothing is connected to it)"
        here = step
    return f"\"{path}\" did not resolve"


def joined(path: str, relpath: str) -> str:
    """The path of ``relpath`` as seen from the node at ``path`` (for NGM_CONNECT)."""
    if ":" in relpath or path in (".", ""):
        return relpath
    return path + relpath if path.endswith(":") else f"{path}.{relpath}"


def installed_types(session: Session) -> List[str]:
    try:
        reply = session.request(".", NGM_GENERIC_COOKIE, NGM_LISTTYPES)
        return sorted(t.type_name for t in TypeList.decode(reply.data).types)
    except OSError:
        return []


def type_problem(session: Session, type_name: str) -> str:
    """Why MKPEER of ``type_name`` got ENOENT, once the path is known to be fine."""
    if on_freebsd():
        return (f"node type \"{type_name}\" is not available: the kernel could not load"
                f" module ng_{type_name} (kldload ng_{type_name}; see /boot/kernel/ng_{type_name}.ko)")
    known = ", ".join(installed_types(session))
    return f"node type \"{type_name}\" is not available here (known types: {known})"


def explain(session: Session, err: OSError, path: str, *, relpath: Optional[str] = None,
            type_name: Optional[str] = None, ascii_args: bool = False) -> Optional[str]:
    """One line that says what was wrong with ``path`` (or the type), or None."""
    if err.errno == errno.EINVAL and max(len(path), len(relpath or "")) > MAX_ADDRESS_PATH:
        return (f"a path in a control message address may have at most {MAX_ADDRESS_PATH}"
                " characters (ng_socket's limit); address the node by name or ID instead")
    if err.errno == errno.ENXIO and type_name is not None and path_problem(session, path) is None:
        return type_problem(session, type_name)
    if err.errno != errno.ENOENT:
        return None
    problem = path_problem(session, path)
    if problem:
        return problem
    if relpath is not None:
        problem = path_problem(session, joined(path, relpath))
        if problem:
            return problem
    if type_name is not None:
        return type_problem(session, type_name)
    if ascii_args:
        return f"\"{path}\" resolves, so a field name in the ASCII arguments is unknown to its node type"
    return None


def report(session: Session, what: str, err: OSError, path: str, **context: Any) -> None:
    """ngctl's ``warn(what)`` line, then the line :func:`explain` can add."""
    session.diag.warn(what, err)
    if session.diag.hints:
        session.diag.hint(explain(session, err, path, **context))


def socket_node_problem(err: OSError) -> Optional[str]:
    """Why a socket node could not be made: privilege, module, emulator daemon."""
    if on_freebsd():
        if err.errno == errno.EPERM:
            return "netgraph control sockets need root (PRIV_NETGRAPH_CONTROL)"
        if err.errno in (errno.ENOENT, errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT):
            return "the ng_socket kernel module is not loaded and could not be loaded (kldload ng_socket)"
        return None
    daemon = os.environ.get("PYNGRAPH_EMULATOR")
    if daemon and daemon != "inprocess" and err.errno in (errno.ENOENT, errno.ECONNREFUSED):
        return f"no emulator daemon answers at {daemon} (start one with: pyngraph-emud --socket {daemon})"
    return None
