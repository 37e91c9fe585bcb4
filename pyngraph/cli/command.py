"""One ngctl command: its usage, summary, help text, aliases and function; BSD getopt."""

from __future__ import annotations

import getopt
from typing import Callable, List, NamedTuple, Optional, Sequence, Tuple

from .common import Diag
from .session import Session

CommandFunc = Callable[[Session, List[str]], int]


class Command(NamedTuple):
    """``usage``'s first word is the command's name; ``func(session, argv)`` returns a result."""

    func: CommandFunc
    usage: str
    summary: str
    help: Optional[str] = None
    aliases: Tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.usage.split()[0]


def bsd_getopt(diag: Diag, args: Sequence[str], optstring: str) -> Optional[Tuple[List[Tuple[str, str]], List[str]]]:
    """getopt(3) as FreeBSD's: stops at the first operand, complains like BSD's libc.

    Returns ``(options, operands)``, or None after printing the complaint.
    """
    try:
        return getopt.getopt(list(args), optstring)
    except getopt.GetoptError as exc:
        letter = exc.opt if len(exc.opt) == 1 else "-"  # "--x" is option "-" to BSD getopt
        if "requires argument" in exc.msg:
            diag.warnx(f"option requires an argument -- {letter}")
        else:
            diag.warnx(f"illegal option -- {letter}")
        return None
