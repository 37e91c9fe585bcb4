"""The pytest plugin pyngraph.testing: its fixtures, as a user of the plugin meets them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pyngraph.api import SockNode

REPO = Path(__file__).resolve().parents[2]


def test_the_plugin_gives_each_test_its_own_kernel(ng_kernel, ng_socknode, ng_ksocket):
    from pyngraph.emulator.inprocess import default_kernel

    assert ng_kernel is not default_kernel()
    names = [n.type for n in ng_socknode.list_nodes()]
    assert sorted(names) == ["ksocket", "socket"]  # only this test's nodes
    host, port = ng_ksocket.getname()
    assert host == "127.0.0.1" and port > 0


def test_kernels_of_two_tests_do_not_meet(ng_socknode):
    ng_socknode.name(".", "only-here")
    assert [n.name for n in ng_socknode.list_nodes()] == ["only-here"]


def test_the_daemon_fixture_is_shared_with_subprocesses(ng_daemon):
    with SockNode() as sock:
        sock.mkpeer(".", "hub", "h", "x")
        sock.name("h", "fixturehub")
        sock.msg("fixturehub:", "setpersistent")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), **ng_daemon.env}
    done = subprocess.run([sys.executable, "-m", "pyngraph.cli.ngctl", "list"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0 and "Name: fixturehub" in done.stdout
