"""``pyngraph-emud``'s command line helpers: sysexits parsing, ``--status`` and ``--stop``."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import NoReturn, Optional, Tuple

from ..version import __version__
from .rundir import daemon_pid, prepare, socket_path_problem

EX_USAGE, EX_UNAVAILABLE, EX_OSERR, EX_CANTCREAT = 64, 69, 71, 73  # <sysexits.h>


class Parser(argparse.ArgumentParser):
    """argparse with sysexits: a usage error exits 64 (EX_USAGE)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EX_USAGE, f"{self.prog}: {message}\n")


def seconds(text: str) -> float:
    """A number of seconds, 0 or more (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e9:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return value


def status(path: str) -> int:
    """``--status``: 0 and the pid when a daemon answers at ``path``, else EX_UNAVAILABLE."""
    pid = daemon_pid(path)
    if pid is None:
        print(f"pyngraph-emud: no daemon answers at {path}")
        return EX_UNAVAILABLE
    print(f"pyngraph-emud: running at {path} (pid {pid})")
    return 0


def stop(path: str) -> int:
    """``--stop``: SIGTERM to the daemon at ``path``, then wait until it no longer answers."""
    pid = daemon_pid(path)
    if pid is None:
        print(f"pyngraph-emud: no daemon answers at {path}")
        return 0
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError as exc:
        print(f"pyngraph-emud: cannot stop pid {pid} at {path}: {exc.strerror}", file=sys.stderr)
        return EX_OSERR
    deadline = time.monotonic() + 15
    while daemon_pid(path) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    if daemon_pid(path) == pid:
        print(f"pyngraph-emud: pid {pid} at {path} did not stop", file=sys.stderr)
        return EX_OSERR
    print(f"pyngraph-emud: stopped the daemon at {path} (pid {pid})")
    return 0


def refusal(path: str, make_folder: bool) -> Optional[Tuple[int, str]]:
    """Why a daemon cannot listen at ``path`` (exit status, message), or None; makes the default folder."""
    if make_folder:
        try:
            prepare(os.path.dirname(path))
        except OSError as exc:
            return EX_CANTCREAT, str(exc.strerror)
    problem = socket_path_problem(path)
    if problem:
        return EX_CANTCREAT, problem
    pid = daemon_pid(path)
    if pid is not None:
        return EX_UNAVAILABLE, (f"another daemon (pid {pid}) listens at {path}; stop it with: "
                                f"pyngraph-emud --stop --socket {path}")
    return None


def version() -> str:
    """pyngraph's version."""
    return __version__
