"""Command lists: for each node type, its commands' ASCII names and parse types.

Each list is derived from the node type's declaration
(:mod:`pyngraph.abi.nodetypes`), as FreeBSD's ``struct ng_cmdlist`` arrays are
written beside each type.  A conversion looks the command up in the target
node type's list first and then in :data:`GENERIC` (see
:mod:`pyngraph.ascii.convert`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterator, Optional, Sequence, Tuple

from ..abi.constants import NGM_GENERIC_COOKIE
from ..abi.message import Mesg
from ..abi.nodetype import Argument, Command, NgType, Special
from ..abi.nodetypes import DECLARED, generic
from .derive import parse_type, scalar_type
from .sockaddr import SOCKADDR
from .types import STRING, ParseType


@dataclass(frozen=True)
class Cmd:
    """One command: its cookie and number, ASCII name, request and reply types (None: no argument)."""

    cookie: int
    cmd: int
    name: str
    request: Optional[ParseType]
    reply: Optional[ParseType]

    def argtype(self, response: bool) -> Optional[ParseType]:
        """The type of the arguments of a request (or, with ``response``, of a reply)."""
        return self.reply if response else self.request


class CmdList:
    """A node type's commands, searched like FreeBSD's: the first match wins."""

    def __init__(self, typename: str, cmds: Sequence[Cmd] = ()) -> None:
        self.typename = typename
        self.cmds: Tuple[Cmd, ...] = tuple(cmds)
        self._by_name: Dict[str, Cmd] = {}
        self._by_number: Dict[Tuple[int, int], Cmd] = {}
        for c in self.cmds:
            self._by_name.setdefault(c.name, c)
            self._by_number.setdefault((c.cookie, c.cmd), c)

    def __repr__(self) -> str:
        return f"CmdList({self.typename!r}, {[c.name for c in self.cmds]})"

    def __iter__(self) -> Iterator[Cmd]:
        return iter(self.cmds)

    def __len__(self) -> int:
        return len(self.cmds)

    def by_name(self, name: str) -> Optional[Cmd]:
        """The command with this exact (case-sensitive) ASCII name, or None."""
        return self._by_name.get(name)

    def by_number(self, cookie: int, cmd: int) -> Optional[Cmd]:
        """The command with this (cookie, cmd) pair, or None."""
        return self._by_number.get((cookie, cmd))


def argument_type(argument: Optional[Argument]) -> Optional[ParseType]:
    """The parse type of a declared command argument (None: the command carries none)."""
    if argument is None:
        return None
    if isinstance(argument, Special):
        return _SPECIAL[argument]
    return scalar_type(argument)


_SPECIAL = {Special.CSTRING: STRING, Special.SOCKADDR: SOCKADDR, Special.MESG: parse_type(Mesg)}


def _cmd(cookie: int, c: Command) -> Cmd:
    return Cmd(cookie, c.cmd, c.name, argument_type(c.argument), argument_type(c.reply))


def cmdlist(decl: NgType) -> CmdList:
    """A declared node type's command list (built once per declaration)."""
    found = _built.get(decl)
    if found is None:
        found = _built[decl] = CmdList(decl.name, [_cmd(decl.cookie, c) for c in decl.commands])
    return found


_built: Dict[NgType, CmdList] = {}


GENERIC = CmdList("generic", [_cmd(NGM_GENERIC_COOKIE, c) for c in generic.COMMANDS])
"""The generic commands every node understands (FreeBSD's ``ng_generic_cmds``)."""

CMDLISTS: Dict[str, CmdList] = {name: cmdlist(decl) for name, decl in DECLARED.items()}
"""Each node type's own command list, by type name."""

__all__ = ["CMDLISTS", "GENERIC", "Cmd", "CmdList", "argument_type", "cmdlist"]
