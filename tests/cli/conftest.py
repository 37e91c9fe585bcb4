"""Fixtures of the CLI tests."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Dict, Optional

import pytest

from cli_support import REPO, run_tool, tool_env


@pytest.fixture
def pyngctl():
    """Run pyngctl as a subprocess: ``pyngctl("list", stdin=b"...")``."""
    def run(*args: str, stdin: Optional[bytes] = None, env: Optional[Dict[str, str]] = None):
        return run_tool("ngctl", args, stdin=stdin, env=env)
    return run


BUILD = """\
mkpeer hub h l0
name h sharedhub
msg sharedhub: setpersistent
mkpeer sharedhub: echo e x
mkpeer hub h2 l0
name h2 hubB
msg hubB: setpersistent
mkpeer hub h3 l0
name h3 hubC
msg hubC: setpersistent
"""


@pytest.fixture(scope="session")
def emud(tmp_path_factory) -> Dict[str, str]:
    """A pyngraph-emud daemon with the graph above, built by a pyngctl that has exited."""
    path = tmp_path_factory.mktemp("emud") / "netgraph.sock"
    proc = subprocess.Popen([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", str(path)],
                            env=tool_env(), cwd=str(REPO))
    try:
        deadline = time.monotonic() + 15
        while not path.exists():
            assert proc.poll() is None, "pyngraph-emud exited"
            assert time.monotonic() < deadline, "pyngraph-emud did not create its socket"
            time.sleep(0.05)
        env = {"PYNGRAPH_EMULATOR": str(path)}
        built = run_tool("ngctl", ["-n", "builder", "-f", "-"], stdin=BUILD.encode(), env=env)
        assert built.returncode == 0, built.stderr.decode()
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=10)
