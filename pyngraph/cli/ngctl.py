"""pyngctl: a drop-in for FreeBSD's ngctl(8).

Same options, commands, prefix matching, aliases, modes (one command, -f
script, interactive), output and exit statuses as ngctl.  What it adds:

* ``msg -w SECONDS`` waits for a reply that comes later (ksocket connect,
  accept, a late getname); ngctl shows only a reply that is already there;
* errors are worded with FreeBSD's strerror() text on every host; with
  ``-v`` (or ``PYNGRAPH_HINTS=1``) one more line says what did not resolve
  (node, hook, type) and, on FreeBSD, which kernel module may be missing;
* ``help`` and ``--version`` say which graph it talks to (the kernel, this
  user's emulator daemon, another daemon, or an in-process kernel);
* replies are matched to requests by token, so a late reply is never taken
  for the answer to the next command;
* in interactive mode a zero-length packet (a ksocket's end of stream) is
  shown, where ngctl exits.
"""

from __future__ import annotations

import os
import re
import sys
from typing import BinaryIO, List, Optional

from .. import libnetgraph as ng
from ..abi.constants import NG_NODESIZ
from ..backend import describe_graph
from . import dot, ngctl_graph, ngctl_info, ngctl_msg
from .command import Command, bsd_getopt
from .common import (
    EX_NOINPUT, EX_OSERR, EX_UNAVAILABLE, EX_USAGE, Diag, default_sigpipe, guarded, progname, raw_word,
    set_latin1_stdio, version_text,
)
from .diagnose import socket_node_problem
from .fmt import wrap_help
from .interactive import interact
from .session import ERROR, OK, QUIT, USAGE, Session

MAX_ARGS = 512
_WHITESPACE = re.compile(r"[ \t\r\n\v\f]+")
_USAGE = "usage: {} [-j jail] [-d] [-f filename] [-n nodename] [command [argument ...]]"


# -- commands defined here ------------------------------------------------------------

def help_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) < 2:
        session.out.write(help_summary() + f"\nGraph: {describe_graph()}\n")
        return OK
    cmd = find_command(session, argv[1])
    if cmd is None:
        return OK
    text = f"usage:    {cmd.usage}\n"
    if cmd.aliases:
        text += f"Aliases:  {', '.join(cmd.aliases)}\n"
    text += f"Summary:  {cmd.summary}\n"
    if cmd.help:
        text += "Description:\n" + "".join(wrap_help(cmd.help))
    session.out.write(text)
    return OK


def help_summary() -> str:
    lines = ["Available commands:\n"]
    lines.extend(f"  {cmd.name:<10} {cmd.summary}\n" for cmd in COMMANDS)
    return "".join(lines)


def read_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) != 2:
        return USAGE
    try:
        f = open(argv[1], "rb")
    except OSError as exc:
        session.diag.warn(argv[1], exc)
        return ERROR
    with f:
        try:
            return read_file(session, f)
        except OSError as exc:
            session.diag.warn(argv[1], exc)
            return ERROR


def quit_cmd(session: Session, argv: List[str]) -> int:
    return QUIT


def debug_cmd(session: Session, argv: List[str]) -> int:
    if len(argv) == 1:
        session.out.write(f"Current debug level is {ng.NgSetDebug(-1)}\n")
        return OK
    if len(argv) != 2:
        return USAGE
    word = argv[1]
    if word in ("+", "-"):
        level = ng.NgSetDebug(-1) + (1 if word == "+" else -1)
    else:
        level = atoi(word)
        if level < 0:
            return USAGE
    ng.NgSetDebug(level)
    return OK


def atoi(word: str) -> int:
    """C's atoi(): leading blanks, a sign, digits; anything else ends it (no digits: 0)."""
    match = re.match(r"\s*([+-]?\d+)", word)
    return int(match.group(1)) if match else 0


COMMANDS = (
    ngctl_info.CONFIG,
    ngctl_graph.CONNECT,
    Command(debug_cmd, "debug [level]", "Show or set how much libnetgraph logs",
            "Without an argument the current level is printed. \"+\" and \"-\" raise and lower"
            " it by one; a number sets it. At 1 failures are logged, at 2 every message and"
            " packet, at 3 packet contents too."),
    dot.DOT,
    Command(help_cmd, "help [command]", "List the commands, or explain one of them", None, ("?",)),
    ngctl_info.LIST,
    ngctl_graph.MKPEER,
    ngctl_msg.MSG,
    ngctl_graph.NAME,
    Command(read_cmd, "read <filename>", "Run the commands in a file, one a line", None, ("source", ".")),
    ngctl_graph.RMHOOK,
    ngctl_info.SHOW,
    ngctl_graph.SHUTDOWN,
    ngctl_info.STATUS,
    ngctl_info.TYPES,
    ngctl_msg.WRITE,
    Command(quit_cmd, "quit", "Leave pyngctl", None, ("exit",)),
)


# -- lookup and execution --------------------------------------------------------------

def _matches(cmd: Command, word: str) -> bool:
    word = word.lower()
    return any(len(word) <= len(name) and name.lower().startswith(word) for name in (cmd.name,) + cmd.aliases)


def find_command(session: Session, word: str) -> Optional[Command]:
    """The one command ``word`` is a case-insensitive prefix of (name or alias)."""
    found = [cmd for cmd in COMMANDS if _matches(cmd, word)]
    if len(found) > 1:
        session.diag.warnx(f"\"{word}\": ambiguous command")
        return None
    if not found:
        session.diag.warnx(f"\"{word}\": unknown command")
        return None
    return found[0]


def run(session: Session, argv: List[str]) -> int:
    """Run one command given as words (ngctl's DoCommand)."""
    if not argv or not argv[0]:
        return OK
    cmd = find_command(session, argv[0])
    if cmd is None:
        return ERROR
    with session.lock:
        try:
            session.drain()
            result = cmd.func(session, argv)
        except OSError as exc:  # what the command did not expect, e.g. its node shut down
            session.diag.warnx(f"{cmd.name}: {exc.strerror or exc}")
            result = ERROR
        finally:
            session.out.flush()
    if result == USAGE:
        session.diag.warnx(f"usage: {cmd.usage}")
    return result


def split_line(line: str) -> List[str]:
    """strtok() on blanks: no quoting, empty fields dropped, at most 511 words."""
    return [w for w in _WHITESPACE.split(line) if w][:MAX_ARGS - 1]


def run_line(session: Session, line: str) -> int:
    return run(session, split_line(line))


def read_file(session: Session, f: BinaryIO) -> int:
    """Script mode: run each line; '#' in column one is a comment; stop at the first failure."""
    for lineno, raw in enumerate(f, 1):
        line = raw.decode("latin-1")
        if line.startswith("#"):
            continue
        result = run_line(session, line)
        if result != OK:
            session.diag.warnx(f"line {lineno}: error in file")
            return result
    return OK


# -- main ------------------------------------------------------------------------------

def _usage(diag: Diag, reason: Optional[str] = None) -> int:
    if reason:
        diag.warnx(reason)
    sys.stderr.write(_USAGE.format(diag.prog) + "\n")
    return EX_USAGE


@guarded("pyngctl")
def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    diag = Diag(progname(argv[0] if argv else None, "pyngctl"))
    set_latin1_stdio()
    default_sigpipe()
    if argv[1:2] == ["--version"]:
        sys.stdout.write(version_text(diag.prog))
        return 0
    parsed = bsd_getopt(diag, argv[1:], "df:j:n:v")
    if parsed is None:
        return _usage(diag)
    opts, words = parsed
    name = f"ngctl{os.getpid()}"
    script: Optional[BinaryIO] = None
    script_name = ""
    for opt, value in opts:
        if opt == "-d":
            ng.NgSetDebug(ng.NgSetDebug(-1) + 1)
        elif opt == "-f":
            try:
                script = sys.stdin.buffer if value == "-" else open(value, "rb")
                script_name = value
            except OSError as exc:
                diag.warn(value, exc)
                return EX_NOINPUT
        elif opt == "-j":
            diag.warnx("not built with jail support")
            return EX_UNAVAILABLE
        elif opt == "-n":
            name = raw_word(value)[:NG_NODESIZ - 1]
        elif opt == "-v":
            diag.hints = True
    ng.NgSetErrLog(diag.warnx, diag.warnx)  # libnetgraph's lines, as warn(3) prints them
    try:
        cs, ds = ng.NgMkSockNode(name)
    except OSError as exc:
        diag.warn("can't create node", exc)
        diag.hint(socket_node_problem(exc))
        return EX_OSERR
    session = Session(cs, ds, diag)
    if words:
        result = run(session, [raw_word(w) for w in words])
    elif script is not None:
        try:
            result = read_file(session, script)
        except OSError as exc:
            diag.warn(script_name, exc)
            result = ERROR
    elif os.isatty(0) and os.isatty(1):
        result = interact(session, run_line, help_summary())
    else:
        return _usage(diag, "no command specified")
    sys.stdout.flush()
    return {OK: 0, QUIT: 0, USAGE: EX_USAGE}.get(result, EX_OSERR)


if __name__ == "__main__":
    sys.exit(main())
