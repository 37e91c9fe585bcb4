"""How a node type declares itself, as a FreeBSD ``ng_<type>.h`` and its ``struct ng_type`` do.

A declaration (:class:`NgType`) names the type, its cookie, its command list
(each command's number, ASCII name, argument and reply type) and the hook
names its nodes accept.  It is data only: the ASCII layer derives the parse
types from it, the emulator's node type runs it, the tools and the docs list it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional, Tuple, Type, Union

from ..fbsd_errno import Errno
from .schema import Chars, Int, Octets, Struct


class Special(enum.Enum):
    """Argument types that are not a fixed C layout."""

    CSTRING = "a NUL-terminated string (ng_parse_string_type)"
    SOCKADDR = "a struct sockaddr in ksocket's forms (ng_ksocket_sockaddr_type)"
    MESG = "a whole control message (ng_parse_ng_mesg_type)"


Argument = Union[Type[Struct], Int, Chars, Octets, Special]
"""What a command carries: a declared struct, a C scalar, ``char[n]``, ``u_char[n]`` or a special type."""


@dataclass(frozen=True)
class Command:
    """One entry of a command list (FreeBSD's ``struct ng_cmdlist``); None: no argument."""

    cmd: int
    name: str
    argument: Optional[Argument] = None
    reply: Optional[Argument] = None


@dataclass(frozen=True)
class Hooks:
    """The hook names a node type's ``newhook`` accepts.

    ``names`` are accepted as they are; ``prefixes`` followed by a decimal
    number (``link3``); ``any_name`` accepts every name (the type gives each
    hook the same role); ``grammar`` describes a name the type parses itself
    (ksocket's ``<family>/<type>/<proto>``).  Any other name is refused
    with ``refusal`` (FreeBSD's errno from that type's ``newhook``).
    """

    names: Tuple[str, ...] = ()
    prefixes: Tuple[str, ...] = ()
    any_name: bool = False
    grammar: str = ""
    refusal: Errno = Errno.EINVAL

    def accepts(self, name: str) -> bool:
        """Whether ``name`` is one of the declared names (a ``grammar`` is checked by the type itself)."""
        if self.any_name or self.grammar or name in self.names:
            return True
        return any(name.startswith(p) and name[len(p):].isdigit() for p in self.prefixes)

    def describe(self) -> str:
        """The accepted names in one line: ``left, right`` / ``link<N>`` / ``any``."""
        if self.any_name:
            return "any name"
        if self.grammar:
            return self.grammar
        return ", ".join([*self.names, *(f"{p}<N>" for p in self.prefixes)])


@dataclass(frozen=True)
class NgType:
    """A node type's declaration: what FreeBSD's ``struct ng_type`` and the type's header say."""

    name: str
    cookie: int
    commands: Tuple[Command, ...]
    hooks: Hooks
    summary: str
    """What a node of the type does, in one line (docs/NODETYPES.md lists it)."""


__all__ = ["Argument", "Command", "Hooks", "NgType", "Special"]
