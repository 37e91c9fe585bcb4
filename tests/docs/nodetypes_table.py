"""docs/NODETYPES.md's table of node types, printed from the declarations (pyngraph.abi.nodetypes)."""

from __future__ import annotations

from typing import Optional

from pyngraph.abi.nodetype import Argument, Special
from pyngraph.abi.nodetypes import DECLARED
from pyngraph.abi.schema import Chars, Int, Octets


def argument_name(argument: Optional[Argument]) -> str:
    """A declared argument as its C type: ``struct ng_tee_stats``, ``int32_t``, ``char[32]``."""
    if argument is None:
        return "-"
    if isinstance(argument, Special):
        return {Special.CSTRING: "string", Special.SOCKADDR: "struct sockaddr",
                Special.MESG: "struct ng_mesg"}[argument]
    if isinstance(argument, Int):
        return argument.c
    if isinstance(argument, Chars):
        return f"char[{argument.n}]"
    if isinstance(argument, Octets):
        return f"u_char[{argument.n}]"
    return f"struct {argument.C_NAME}"


def markdown() -> str:
    """Each declared node type's summary, then one row per command of every type."""
    rows = [f"- `{decl.name}`: {decl.summary}" for decl in DECLARED.values()]
    rows += ["", "| type | cookie | hooks | command | argument | reply |", "|---|---|---|---|---|---|"]
    for decl in DECLARED.values():
        head = f"| {decl.name} | {decl.cookie} | `{decl.hooks.describe()}` |"
        if not decl.commands:
            rows.append(f"{head} (generic only) | | |")
        for i, c in enumerate(decl.commands):
            lead = head if i == 0 else "| | | |"
            rows.append(f"{lead} {c.cmd} `{c.name}` | {argument_name(c.argument)} | {argument_name(c.reply)} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
