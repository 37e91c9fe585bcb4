"""pytest plugin for code that uses netgraph: isolated emulated graphs per test.

Registered as the ``pytest11`` entry point ``pyngraph.testing`` (active once
pyngraph is installed; or list it in ``pytest_plugins``).  Fixtures:

* ``ng_kernel``: a fresh in-process emulated kernel, the active backend for
  the test (``pyngraph.libnetgraph``, ``SockNode()`` ... talk to it), stopped after;
* ``ng_socknode``: a :class:`~pyngraph.api.SockNode` on ``ng_kernel``;
* ``ng_ksocket``: a UDP ksocket bound to 127.0.0.1 (a free port), hooked
  to ``ng_socknode`` as ``"ks"``;
* ``ng_daemon``: a ``pyngraph-emud`` listening in the test's temporary
  folder, the active backend for the test; ``.path`` is its socket and
  ``.env`` the environment variables that point a subprocess at it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator

import pytest

from . import backend
from .api import KSocket, SockNode
from .backend.emulated import ENV_SOCKET, EmulatedTransport
from .backend.pylib import PyLibNetgraph
from .emulator.inprocess import new_kernel
from .emulator.kernel import Kernel
from .emulator.rundir import daemon_pid

START_WAIT = 15.0


@dataclass
class Daemon:
    """A running ``pyngraph-emud``: its socket path, process and the environment that reaches it."""

    path: str
    process: "subprocess.Popen[bytes]"
    env: Dict[str, str] = field(default_factory=dict)


@pytest.fixture
def ng_kernel() -> Iterator[Kernel]:
    """A fresh emulated kernel, the active backend for this test."""
    kernel = new_kernel()
    kernel.start()
    try:
        with backend.using(PyLibNetgraph(EmulatedTransport(kernel=kernel))):
            yield kernel
    finally:
        kernel.stop()


@pytest.fixture
def ng_socknode(ng_kernel: Kernel) -> Iterator[SockNode]:
    """A socket node on the test's own kernel."""
    with SockNode() as sock:
        yield sock


@pytest.fixture
def ng_ksocket(ng_socknode: SockNode) -> KSocket:
    """A UDP ksocket bound to 127.0.0.1 on a free port, hooked to ``ng_socknode`` as ``"ks"``."""
    ks = ng_socknode.ksocket("inet", "dgram", "udp", hook="ks")
    ks.bind(("127.0.0.1", 0))
    return ks


@pytest.fixture
def ng_daemon(tmp_path: Path) -> Iterator[Daemon]:
    """A ``pyngraph-emud`` in the test's temporary folder, the active backend for this test."""
    path = str(tmp_path / "ng.sock")
    package_parent = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_parent, os.environ.get("PYTHONPATH")])))
    process = subprocess.Popen([sys.executable, "-m", "pyngraph.cli.emud", "--socket", path],
                               env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_WAIT
        while daemon_pid(path) is None:
            if process.poll() is not None:
                pytest.fail(f"pyngraph-emud exited with status {process.returncode}")
            if time.monotonic() > deadline:
                pytest.fail(f"pyngraph-emud did not answer at {path}")
            time.sleep(0.02)
        with backend.using("emulated", socket_path=path):
            yield Daemon(path, process, {ENV_SOCKET: path, backend.ENV_BACKEND: "emulated"})
    finally:
        process.terminate()
        process.wait(timeout=START_WAIT)
