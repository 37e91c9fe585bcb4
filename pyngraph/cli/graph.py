"""Draw the live netgraph: ``python -m pyngraph graph --svg FILE`` (or --png, --dot).

The picture is ``ngctl dot``'s graph without this tool's own socket node,
rendered by Graphviz's ``dot`` program (the text differs from ngctl's only in
the last line: ``}`` instead of ``};``, which Graphviz rejects).  Without Graphviz it says how to get
it and exits with status 69 (EX_UNAVAILABLE); ``--dot`` needs no Graphviz.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from typing import List, Optional

from .. import libnetgraph as ng
from ..abi import NodeInfo
from ..abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
from .common import EX_OSERR, EX_UNAVAILABLE, EX_USAGE, Diag, default_sigpipe, progname, set_latin1_stdio
from .dot import DotError, hooks_from, list_nodes, write_dot
from .session import Session

INSTALL_HINT = (
    "Graphviz's \"dot\" program is needed to draw the graph and is not on PATH.\n"
    "Install Graphviz:  FreeBSD: pkg install graphviz   Debian/Ubuntu: apt-get install graphviz\n"
    "                   Fedora: dnf install graphviz    macOS: brew install graphviz\n"
    "Or write the graph in dot form without it: --dot FILE (or: pyngctl dot FILE).\n"
)


def graph_text(session: Session, include_self: bool = False) -> str:
    """The graph in dot form, read through ``session``'s socket node."""
    own = None
    if not include_self:
        own = NodeInfo.decode(session.request(".", NGM_GENERIC_COOKIE, NGM_NODEINFO).data).id
    out = io.StringIO()
    write_dot(out, list_nodes(session), hooks_from(session), skip=own)
    text = out.getvalue()
    # ngctl closes the graph with "};", which Graphviz refuses at the top level
    return text[:-3] + "}\n" if text.endswith("};\n") else text


def render(text: str, fmt: str, target: str) -> Optional[str]:
    """Run Graphviz: None on success, else its complaint."""
    program = shutil.which("dot")
    if program is None:
        return INSTALL_HINT
    command = [program, f"-T{fmt}"] + ([] if target == "-" else ["-o", target])
    done = subprocess.run(command, input=text.encode("latin-1", "replace"),
                          stdout=None if target == "-" else subprocess.DEVNULL, stderr=subprocess.PIPE)
    if done.returncode != 0:
        return f"dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}\n"
    return None


def parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="Draw the live netgraph with Graphviz.")
    out = p.add_mutually_exclusive_group(required=True)
    out.add_argument("--svg", metavar="FILE", help="write an SVG picture ('-': standard output)")
    out.add_argument("--png", metavar="FILE", help="write a PNG picture ('-': standard output)")
    out.add_argument("--dot", metavar="FILE", help="write the graph in dot form (no Graphviz needed)")
    p.add_argument("--include-self", action="store_true", help="also draw this tool's own socket node")
    return p


def main(argv: Optional[List[str]] = None, prog: Optional[str] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = prog or progname(sys.argv[0], "pyngraph graph")
    try:
        args = parser(prog).parse_args(argv)
    except SystemExit as exc:
        return EX_USAGE if exc.code else 0
    diag = Diag(prog)
    set_latin1_stdio()
    default_sigpipe()
    fmt, target = ("svg", args.svg) if args.svg else ("png", args.png) if args.png else ("dot", args.dot)
    if fmt != "dot" and shutil.which("dot") is None:
        sys.stderr.write(INSTALL_HINT)
        return EX_UNAVAILABLE
    try:
        cs, ds = ng.NgMkSockNode(None, data=False)
    except OSError as exc:
        diag.warn("can't create node", exc)
        return EX_OSERR
    session = Session(cs, ds, diag)
    try:
        text = graph_text(session, args.include_self)
    except DotError as exc:
        diag.warn(exc.step, exc.cause)
        return EX_OSERR
    except OSError as exc:
        diag.warn("send msg", exc)
        return EX_OSERR
    if fmt == "dot":
        if target == "-":
            sys.stdout.write(text)
            return 0
        try:
            with open(target, "w", encoding="latin-1", errors="replace") as f:
                f.write(text)
        except OSError as exc:
            diag.warn(f"Could not open {target} for writing", exc)
            return EX_OSERR
        return 0
    sys.stdout.flush()
    problem = render(text, fmt, target)
    if problem:
        sys.stderr.write(problem)
        return EX_UNAVAILABLE if problem is INSTALL_HINT else EX_OSERR
    return 0


if __name__ == "__main__":
    sys.exit(main())
