"""pynghook: a drop-in for FreeBSD's nghook(8).

Connects a hook named ``hook`` of a new socket node to hook ``hookname``
(default ``debug``) of the node at ``path``, then copies standard input to
the node and the node's packets to standard output.  -s and -S follow
nghook's code (-s: output to fd 0; -S: input from fd 1); its manual page has
them the other way round.
"""

from __future__ import annotations

import os
import select
import socket
import sys
from typing import List, Optional

from .. import libnetgraph as ng
from ..abi import Connect
from ..abi.constants import NG_HOOKSIZ, NG_PATHSIZ, NGM_CONNECT, NGM_GENERIC_COOKIE
from ..errors import UnavailableError
from .command import bsd_getopt
from .common import (
    EX_OSERR, EX_USAGE, Diag, default_sigpipe, guarded, progname, raw_word, set_latin1_stdio,
    version_text,
)
from .diagnose import explain, on_freebsd, socket_node_problem
from .fmt import dump_ascii
from .session import Session

OUR_HOOK = "hook"
DEFAULT_HOOK = "debug"
BUFSIZE = 64 * 1024


class Fatal(Exception):
    """errx(EX_OSERR, text)."""


def _usage(prog: str) -> int:
    sys.stderr.write(f"usage: {prog} [-adlnsS] path [hookname]\n")
    sys.stderr.write(f"   or: {prog} -e [-n] [-m msg]* path hookname prog [args...]\n")
    return EX_USAGE


def _write_all(fd: int, data: bytes) -> None:
    wrote = os.write(fd, data)
    if wrote != len(data):
        raise Fatal(f"stdout: read {len(data)}, wrote {wrote}")


class Hook:
    """The relay between the user's descriptors and the socket node's hook."""

    def __init__(self, diag: Diag, ds: int, infd: int, outfd: int, ascii_dump: bool, loop: bool) -> None:
        self.diag, self.ds, self.infd, self.outfd = diag, ds, infd, outfd
        self.ascii_dump, self.loop = ascii_dump, loop

    def from_node(self) -> None:
        try:
            data, _hook = ng.NgRecvData(self.ds, BUFSIZE)
        except OSError as exc:
            raise Fatal(f"read(hook): {os.strerror(exc.errno or 0)}") from exc
        if not data:
            raise Fatal("read EOF from hook?!")
        try:
            if self.ascii_dump:
                for line in dump_ascii(data).splitlines(keepends=True):
                    os.write(self.outfd, line.encode("latin-1"))
                os.write(self.outfd, b"\n")
            else:
                _write_all(self.outfd, data)
        except OSError as exc:
            raise Fatal(f"write(stdout): {os.strerror(exc.errno or 0)}") from exc
        if self.loop:
            self.to_node(data)

    def from_user(self) -> None:
        try:
            data = os.read(self.infd, BUFSIZE)
        except OSError as exc:
            raise Fatal(f"read(stdin): {os.strerror(exc.errno or 0)}") from exc
        if not data:
            raise Fatal("EOF(stdin)")
        self.to_node(data)

    def to_node(self, data: bytes) -> None:
        try:
            ng.NgSendData(self.ds, OUR_HOOK, data)
        except OSError as exc:
            raise Fatal(f"write(hook): {os.strerror(exc.errno or 0)}") from exc

    def relay(self, read_input: bool) -> None:
        ds = self.ds
        fds = [ds, self.infd] if read_input else [ds]
        while True:
            try:
                ready, _, _ = select.select(fds, [], [])
            except OSError as exc:
                raise Fatal(f"select: {os.strerror(exc.errno or 0)}") from exc
            if ds in ready:
                self.from_node()
            if self.infd in ready and read_input:
                self.from_user()


def _send_messages(cs: int, path: str, messages: List[str]) -> None:
    for text in messages:
        try:
            ng.NgSendAsciiMsg(cs, path, text)
        except OSError as exc:
            raise Fatal(f"sending message '{text}': {os.strerror(exc.errno or 0)}") from exc


def _run_program(hook: Hook, program: List[str], read_input: bool) -> int:
    """-e: the program's stdin and stdout carry the hook's packets; returns the exit status.

    On FreeBSD the data socket itself becomes fds 0 and 1 and this process
    turns into the program, as nghook does.  Elsewhere the socket node lives
    in this process's connection to the emulated kernel, so the program runs
    as a child on a packet socket pair and this process relays until the
    program closes its end.
    """
    if on_freebsd():
        ds = hook.ds
        os.close(0)
        os.close(1)
        if read_input:
            os.dup2(ds, 0)
        os.dup2(ds, 1)
        try:
            os.execv(program[0], program)
        except OSError as exc:
            raise Fatal(f"{program[0]}: {os.strerror(exc.errno or 0)}") from exc
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            os.dup2(theirs.fileno(), 1)
            if read_input:
                os.dup2(theirs.fileno(), 0)
            else:
                os.close(0)
            os.execv(program[0], program)
        except OSError as exc:
            os.write(2, f"{hook.diag.prog}: {program[0]}: {os.strerror(exc.errno or 0)}\n".encode())
        os._exit(EX_OSERR)
    theirs.close()
    hook.infd = hook.outfd = ours.fileno()
    try:
        hook.relay(read_input=True)
    except Fatal as exc:
        if str(exc) != "EOF(stdin)":  # the program closing its end is the normal end
            hook.diag.warnx(str(exc))
    ours.close()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


@guarded("pynghook")
def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    diag = Diag(progname(argv[0] if argv else None, "pynghook"))
    set_latin1_stdio()
    default_sigpipe()
    if argv[1:2] == ["--version"]:
        sys.stdout.write(version_text(diag.prog))
        return 0
    parsed = bsd_getopt(diag, argv[1:], "aedlm:nsSv")
    if parsed is None:
        return _usage(diag.prog)
    opts, args = parsed
    flags = {flag for flag, _ in opts}
    diag.hints = diag.hints or "-v" in flags
    messages = [raw_word(value) for flag, value in opts if flag == "-m"]
    infd, outfd = 0, 1
    for flag, _ in opts:
        if flag == "-d":
            ng.NgSetDebug(ng.NgSetDebug(-1) + 1)
        elif flag == "-s":
            outfd = 0
        elif flag == "-S":
            infd = 1
    program: List[str] = []
    if "-e" in flags:
        if flags & {"-a", "-l"}:
            sys.stderr.write("conflicting options\n")
            return _usage(diag.prog)
        if len(args) < 3:
            return _usage(diag.prog)
        path, hookname, program = raw_word(args[0]), raw_word(args[1]), args[2:]
    elif len(args) in (1, 2):
        path, hookname = raw_word(args[0]), (raw_word(args[1]) if len(args) == 2 else DEFAULT_HOOK)
    else:
        return _usage(diag.prog)
    ng.NgSetErrLog(diag.warnx, diag.warnx)
    try:
        cs, ds = ng.NgMkSockNode(None)
    except OSError as exc:
        if isinstance(exc, UnavailableError):  # no FreeBSD counterpart: say what is missing
            diag.warn("can't get sockets", exc)
        else:
            diag.warnx("can't get sockets")
        diag.hint(socket_node_problem(exc))
        return EX_OSERR
    body = Connect(path[:NG_PATHSIZ - 1], OUR_HOOK, hookname[:NG_HOOKSIZ - 1]).encode()
    try:
        ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_CONNECT, body)
    except OSError as exc:
        diag.warnx("can't connect to node")
        if diag.hints:
            diag.hint(explain(Session(cs, ds, diag), exc, ".", relpath=path))
        return EX_OSERR
    hook = Hook(diag, ds, infd, outfd, "-a" in flags, "-l" in flags)
    read_input = "-n" not in flags
    try:
        _send_messages(cs, path, messages)
        if program:
            return _run_program(hook, program, read_input)
        if not read_input:
            os.close(0)
        hook.relay(read_input)
    except Fatal as exc:
        diag.warnx(str(exc))
        return EX_OSERR
    return 0


if __name__ == "__main__":
    sys.exit(main())
