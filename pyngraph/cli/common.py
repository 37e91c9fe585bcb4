"""What every tool shares: program name, warn/warnx diagnostics, sysexits, descriptors."""

from __future__ import annotations

import os
import signal
import sys
from typing import Optional, TextIO

# <sysexits.h>
EX_USAGE = 64
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_OSERR = 71


def progname(argv0: Optional[str], default: str) -> str:
    """The name diagnostics start with: argv[0]'s base name, or ``default`` for ``python -m``."""
    if not argv0:
        return default
    base = os.path.basename(argv0)
    return default if not base or base.endswith(".py") or base.startswith("-") else base


def strerror(err: BaseException) -> str:
    """The C library's text for an OSError (``strerror(errno)``), else the exception text."""
    if isinstance(err, OSError) and err.errno is not None:
        return os.strerror(err.errno)
    return str(err)


class Diag:
    """warn(3)/warnx(3) for one program: ``prog: text[: strerror]`` on stderr."""

    def __init__(self, prog: str, stream: Optional[TextIO] = None) -> None:
        self.prog = prog
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def warnx(self, text: str) -> None:
        sys.stdout.flush()
        self.stream.write(f"{self.prog}: {text}\n")
        self.stream.flush()

    def warn(self, text: str, err: BaseException) -> None:
        self.warnx(f"{text}: {strerror(err)}")


def fileno(sock: object) -> int:
    """The descriptor number of a facade socket (an int, or an object with ``fileno()``)."""
    return sock if isinstance(sock, int) else sock.fileno()  # type: ignore[attr-defined]


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
