"""The graph in Graphviz form, exactly as ``ngctl dot`` writes it.

``write_dot`` writes line by line as ngctl does, so a failure part way leaves
the partial text.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, TextIO

from .. import libnetgraph as ng
from ..abi import HookList, NameList, NodeInfo
from ..abi.constants import NGM_GENERIC_COOKIE, NGM_LISTHOOKS, NGM_LISTNODES
from .command import Command, bsd_getopt
from .session import ERROR, OK, USAGE, Session

UNNAMED_LABEL = "\\<unnamed\\>"  # angle brackets escaped for a record label

HookSource = Callable[[NodeInfo], HookList]


class DotError(Exception):
    """A step of the walk failed; ``step`` is ngctl's word for it (e.g. "recv listhooks msg")."""

    def __init__(self, step: str, cause: OSError) -> None:
        super().__init__(step)
        self.step = step
        self.cause = cause


def write_dot(out: TextIO, nodes: Sequence[NodeInfo], hooks_of: HookSource,
              skip: Optional[int] = None) -> None:
    """Write the graph of ``nodes`` (LISTNODES order); ``hooks_of`` gives LISTHOOKS replies.

    ``skip`` leaves out the node with that ID (a tool's own, hookless node).
    """
    nodes = [n for n in nodes if n.id != skip]
    out.write("graph netgraph {\n")
    out.write("\tedge [ weight = 1.0 ];\n")
    out.write("\tnode [ shape = record, fontsize = 12 ] {\n")
    for n in nodes:
        out.write(f"\t\t\"{n.id:x}\" [ label = \"{{{n.name or UNNAMED_LABEL}:|{{{n.type}|[{n.id:x}]:}}}}\" ];\n")
    out.write("\t};\n")
    out.write("\tsubgraph cluster_disconnected {\n")
    out.write("\t\tbgcolor = pink;\n")
    for n in nodes:
        if n.hooks == 0:
            out.write(f"\t\t\"{n.id:x}\";\n")
    out.write("\t};\n")
    for n in nodes:
        hooklist = hooks_of(n)
        links = hooklist.links
        if hooklist.nodeinfo.hooks == 0:
            continue
        out.write("\tnode [ shape = octagon, fontsize = 10 ] {\n")
        for link in links:
            out.write(f"\t\t\"{n.id:x}.{link.ourhook}\" [ label = \"{link.ourhook}\" ];\n")
        out.write("\t};\n")
        out.write("\t{\n\t\tedge [ weight = 2.0, style = bold ];\n")
        for link in links:
            out.write(f"\t\t\"{n.id:x}\" -- \"{n.id:x}.{link.ourhook}\";\n")
        out.write("\t};\n")
        for link in links:
            if link.nodeinfo.id > n.id:
                continue  # drawn from the other end
            out.write(f"\t\"{n.id:x}.{link.ourhook}\" -- \"{link.nodeinfo.id:x}.{link.peerhook}\";\n")
    out.write("};\n")


def list_nodes(session: Session) -> List[NodeInfo]:
    """LISTNODES; raises DotError named as ngctl names the failing step."""
    try:
        token = _send(session, ".", NGM_LISTNODES, "send listnodes msg")
        received = session.reply(token)
        assert received is not None
        return NameList.decode(received[0].data).nodes
    except DotError:
        raise
    except OSError as exc:
        raise DotError("recv listnodes msg", exc) from exc


def hooks_from(session: Session) -> HookSource:
    """A HookSource asking each node for LISTHOOKS through the session."""

    def hooks_of(node: NodeInfo) -> HookList:
        token = _send(session, f"[{node.id:x}]:", NGM_LISTHOOKS, "send listhooks msg")
        try:
            received = session.reply(token)
            assert received is not None
            return HookList.decode(received[0].data)
        except OSError as exc:
            raise DotError("recv listhooks msg", exc) from exc

    return hooks_of


def _send(session: Session, path: str, cmd: int, step: str) -> int:
    try:
        return ng.NgSendMsg(session.cs, path, NGM_GENERIC_COOKIE, cmd, b"")
    except OSError as exc:
        raise DotError(step, exc) from exc


def dot_cmd(session: Session, argv: List[str]) -> int:
    parsed = bsd_getopt(session.diag, argv[1:], "")
    if parsed is None or len(parsed[1]) > 1:
        return USAGE
    args = parsed[1]
    out = session.out
    if args:
        try:
            out = open(args[0], "w", encoding="latin-1", errors="replace")
        except OSError as exc:
            session.diag.warn(f"Could not open {args[0]} for writing", exc)
            return ERROR
    try:
        write_dot(out, list_nodes(session), hooks_from(session))
    except DotError as exc:
        session.diag.warn(exc.step, exc.cause)
        return ERROR
    finally:
        if out is not session.out:
            out.close()
    return OK


DOT = Command(dot_cmd, "dot [outputfile]", "Write the whole graph in Graphviz (.dot) form",
              "Writes to \"outputfile\", or to standard output without one. Render it with"
              " Graphviz, e.g. \"dot -Tsvg\", or use \"python -m pyngraph graph --svg FILE\".",
              ("graphviz", "confdot"))
