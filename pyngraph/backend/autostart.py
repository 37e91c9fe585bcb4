"""Start this user's ``pyngraph-emud`` in the background on first use (see :mod:`..emulator.rundir`).

The daemon is started detached (its own session, reparented to init), with
``--idle-exit`` from ``PYNGRAPH_EMUD_IDLE`` (seconds, default 300): it leaves
once it has had no client and no node that long.  Its output goes to
``emud.log`` beside its socket.  Concurrent first uses start one daemon:
they take a lock file in the same folder.
"""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
import time
from argparse import ArgumentTypeError

from ..emulator.control import seconds
from ..emulator.rundir import daemon_pid, prepare
from ..errors import UnavailableError

ENV_IDLE = "PYNGRAPH_EMUD_IDLE"
DEFAULT_IDLE = 300.0
START_WAIT = 15.0  # seconds a new daemon has to answer

# Runs the daemon in its own session and exits at once, so the daemon is no child of ours.
_DETACH = "import subprocess, sys; subprocess.Popen(sys.argv[1:], start_new_session=True)"


def idle_seconds() -> float:
    """``PYNGRAPH_EMUD_IDLE`` as seconds (0: never leave); a bad value is refused naming it."""
    text = os.environ.get(ENV_IDLE, "")
    if not text:
        return DEFAULT_IDLE
    try:
        return seconds(text)
    except ArgumentTypeError:
        raise UnavailableError(errno.EINVAL, f"{ENV_IDLE}={text!r} is not a number of seconds (0: never)",
                               command="pyngraph-emud") from None


def start_daemon(path: str) -> None:
    """Start a daemon at ``path`` unless one answers there; return once it answers."""
    folder = os.path.dirname(path)
    try:
        prepare(folder)
        lock = open(os.path.join(folder, "lock"), "a")
    except OSError as exc:
        raise UnavailableError(exc.errno or errno.EACCES, f"cannot use {folder}: {exc.strerror}",
                               command="pyngraph-emud") from None
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if daemon_pid(path) is not None:
            return  # another process started it while we waited for the lock
        idle = idle_seconds()
        _spawn(path, os.path.join(folder, "emud.log"), idle)
        if not _answers(path):
            raise UnavailableError(errno.ECONNREFUSED, f"pyngraph-emud did not start at {path}"
                                   f"{_last_line(os.path.join(folder, 'emud.log'))}", command="pyngraph-emud")
    leaves = f"it leaves after {idle:g} s with no client and no node" if idle else "it stays"
    sys.stderr.write(f"pyngraph: started the emulated netgraph daemon at {path} "
                     f"({leaves}; pyngraph-emud --status / --stop)\n")
    sys.stderr.flush()


def _spawn(path: str, log_path: str, idle: float) -> None:
    package_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "pyngraph.cli.emud", "--socket", path,
               "--idle-exit", repr(idle)]
    with open(log_path, "ab") as log:
        subprocess.run([sys.executable, "-c", _DETACH, *command], stdin=subprocess.DEVNULL, stdout=log,
                       stderr=log, cwd="/", env=env, check=False, timeout=START_WAIT)


def _answers(path: str) -> bool:
    deadline = time.monotonic() + START_WAIT
    while time.monotonic() < deadline:
        if daemon_pid(path) is not None:
            return True
        time.sleep(0.02)
    return False


def _last_line(log_path: str) -> str:
    try:
        with open(log_path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return f" (its log {log_path} ends: {lines[-1]})" if lines else ""

