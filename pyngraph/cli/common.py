"""What every tool shares: program name, warn/warnx diagnostics, sysexits, descriptors, no tracebacks."""

from __future__ import annotations

import functools
import os
import signal
import sys
from typing import Callable, List, Optional, Protocol, TextIO

from ..abi.strerror import fbsd_strerror
from ..errors import NetgraphError, UnavailableError, host_to_fbsd_errno

# <sysexits.h>
EX_USAGE = 64
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_OSERR = 71
EX_IOERR = 74

ENV_HINTS = "PYNGRAPH_HINTS"


def progname(argv0: Optional[str], default: str) -> str:
    """The name diagnostics start with: argv[0]'s base name, or ``default`` for ``python -m``."""
    if not argv0:
        return default
    base = os.path.basename(argv0)
    return default if not base or base.endswith(".py") or base.startswith("-") else base


def strerror(err: BaseException) -> str:
    """FreeBSD's strerror() of an OSError's errno, as ngctl prints it on FreeBSD; else the exception text.

    An :class:`UnavailableError` (no daemon, backend not usable) has no
    FreeBSD counterpart: its own words, which name the fix, are printed.
    """
    if isinstance(err, UnavailableError):
        return str(err.strerror)
    if not isinstance(err, OSError) or err.errno is None:
        return str(err)
    fbsd = err.fbsd_errno if isinstance(err, NetgraphError) else None
    if fbsd is None:
        try:
            fbsd = host_to_fbsd_errno(err.errno)
        except ValueError:
            return os.strerror(err.errno)
    return fbsd_strerror(fbsd)


class Diag:
    """warn(3)/warnx(3) for one program: ``prog: text[: strerror]`` on stderr.

    :meth:`hint` lines (what did not resolve, which module to load) are printed
    only when ``hints`` is on (``-v`` or ``PYNGRAPH_HINTS=1``): by default
    stderr holds exactly what ngctl/nghook print.
    """

    def __init__(self, prog: str, stream: Optional[TextIO] = None) -> None:
        self.prog = prog
        self._stream = stream
        self.hints = os.environ.get(ENV_HINTS, "") not in ("", "0")

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def warnx(self, text: str) -> None:
        sys.stdout.flush()
        self.stream.write(f"{self.prog}: {text}\n")
        self.stream.flush()

    def warn(self, text: str, err: BaseException) -> None:
        self.warnx(f"{text}: {strerror(err)}")

    def hint(self, text: Optional[str]) -> None:
        """An extra explanation line, when hints are on."""
        if text and self.hints:
            self.warnx(text)


def version_text(prog: str) -> str:
    """``--version``: the version and the graph this tool talks to."""
    from .. import __version__
    from ..backend import describe_graph

    return f"{prog} (pyngraph) {__version__}\nGraph: {describe_graph()}\n"


class Main(Protocol):
    """A tool's ``main(argv=None) -> exit status``."""

    def __call__(self, argv: Optional[List[str]] = None) -> int: ...


def guarded(default_prog: str) -> Callable[[Main], Main]:
    """Make a tool's ``main`` print one line instead of a traceback, and exit with a sysexits code.

    Ctrl-C exits 130 quietly; a closed standard output is EX_IOERR; an
    unusable backend or daemon (its message names the fix) and any other
    OSError are EX_OSERR, as ngctl's "can't create node"; anything else is a
    bug: EX_SOFTWARE, asking for a report.
    """
    def wrap(func: Main) -> Main:
        @functools.wraps(func)
        def main(argv: Optional[List[str]] = None) -> int:
            diag = Diag(progname(sys.argv[0] if sys.argv else None, default_prog))
            standard_streams()
            try:
                return func(argv)
            except KeyboardInterrupt:
                return 128 + signal.SIGINT
            except UnavailableError as exc:  # ngctl's status when netgraph cannot be used
                diag.warnx(strerror(exc))
                return EX_OSERR
            except OSError as exc:
                if isinstance(exc, BrokenPipeError):
                    _quiet_stdout()
                    diag.warnx("standard output is closed")
                    return EX_IOERR
                diag.warnx(str(exc.strerror or exc) if isinstance(exc, NetgraphError) else strerror(exc))
                return EX_OSERR
            except Exception as exc:  # a bug: one line, never a traceback
                diag.warnx(f"internal error: {type(exc).__name__}: {exc} (please report it)")
                return EX_SOFTWARE
        return main
    return wrap


def standard_streams() -> None:
    """Open /dev/null on a closed descriptor 0, 1 or 2, as a C program's writes would just fail there.

    Without this a netgraph socket could get descriptor 1 and receive what we print.
    """
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, closefd=False))


def _quiet_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass


def raw_word(word: str) -> str:
    """A command-line word as the bytes the user typed, one character per byte (latin-1).

    netgraph names are bytes; the ABI layer maps them to str as latin-1, so
    this keeps a UTF-8 name typed in a shell the same bytes it is in C.
    """
    return os.fsencode(word).decode("latin-1")


def default_sigpipe() -> None:
    """Die of SIGPIPE on a closed output pipe (``pyngctl list | head``), as C programs do."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)


def set_latin1_stdio() -> None:
    """Read and write netgraph names byte for byte (see :func:`raw_word`)."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(encoding="latin-1", errors="replace")
            except (ValueError, OSError):
                pass
