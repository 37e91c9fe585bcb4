"""Shared fixtures, the --vm option, and the guard that no test reads beside the repository."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional, Tuple

import repo_guard

import pytest

REPO = Path(__file__).resolve().parent.parent
_USER_DAEMON_AT_START: Optional[Tuple[str, Optional[int]]] = None


def pytest_configure(config: pytest.Config) -> None:
    repo_guard.install(REPO)
    # The suite runs on isolated graphs, never on the user's own pyngraph-emud: this process and
    # every tool it starts get an in-process kernel unless a test names a daemon of its own.
    os.environ["PYNGRAPH_EMULATOR"] = "inprocess"
    global _USER_DAEMON_AT_START
    _USER_DAEMON_AT_START = _user_daemon()
    # The plugin's fixtures (registered by its entry point once pyngraph is installed; by hand from the tree).
    if not config.pluginmanager.has_plugin("pyngraph.testing") and (REPO / "pyngraph" / "testing.py").exists():
        import pyngraph.testing

        config.pluginmanager.register(pyngraph.testing, "pyngraph.testing")


def _user_daemon() -> Optional[Tuple[str, Optional[int]]]:
    """The user's default pyngraph-emud socket and the pid answering there (None outside this tree)."""
    if not (REPO / "pyngraph" / "emulator" / "rundir.py").exists():
        return None
    from pyngraph.emulator.rundir import daemon_pid, default_socket

    path = default_socket()
    return path, daemon_pid(path)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that opened anything beside the repository fails: the repository must be self-contained.

    So does a run that left a pyngraph-emud at the user's default socket: the suite uses isolated graphs.
    """
    before, after = _USER_DAEMON_AT_START, _user_daemon()
    if after is not None and after[1] is not None and (before is None or before[1] != after[1]):
        sys.stderr.write(f"tests started the user's own pyngraph-emud at {after[0]} (pid {after[1]})\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if repo_guard.OPENED_BESIDE:
        sys.stderr.write("tests opened paths outside the repository: "
                         + ", ".join(sorted(set(repo_guard.OPENED_BESIDE))) + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def kernel() -> Any:
    """The process's emulated kernel (what the in-process emulated backend talks to)."""
    from pyngraph.emulator.inprocess import default_kernel

    return default_kernel()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--vm", action="store_true", default=False,
        help="run the suite inside the FreeBSD Vagrant VM instead of here (python -m vm run); "
             "the other arguments are passed on, the JUnit report lands in vm/reports/",
    )


def pytest_cmdline_main(config: pytest.Config) -> Any:
    """With --vm, hand the run to ``python -m vm run`` and exit with its status."""
    if not config.getoption("vm", default=False):
        return None
    import subprocess
    import sys

    here = Path(config.invocation_params.dir)
    forwarded = []
    for arg in config.invocation_params.args:
        if arg == "--vm":
            continue
        target = here / arg.split("::", 1)[0]
        if not arg.startswith("-") and target.exists() and REPO in target.resolve().parents:
            arg = str(target.resolve().relative_to(REPO)) + arg[len(arg.split("::", 1)[0]):]
        forwarded.append(arg)
    return subprocess.call([sys.executable, "-m", "vm", "run", "--", *forwarded], cwd=REPO)
