"""The per-user pyngraph-emud: one persistent graph per user, as one kernel per host on FreeBSD.

Each test points XDG_RUNTIME_DIR at its own temporary folder (so the user's real
daemon is never touched) and stops the daemon it started.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator

import pytest

from pyngraph.emulator.rundir import daemon_pid, prepare

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def user_env(tmp_path: Path) -> Iterator[Dict[str, str]]:
    """A clean environment (no PYNGRAPH_*) whose runtime folder is the test's; stops its daemon after."""
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYNGRAPH_")}
    env.update(XDG_RUNTIME_DIR=str(runtime), PYTHONPATH=str(REPO))
    yield env
    sock = str(runtime / "pyngraph" / "netgraph.sock")
    if daemon_pid(sock) is not None:
        subprocess.run([sys.executable, "-m", "pyngraph.cli.emud", "--stop"], env=env, cwd=REPO,
                       capture_output=True, timeout=30)
    assert daemon_pid(sock) is None


def tool(env: Dict[str, str], module: str, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], input=stdin, capture_output=True, env=env,
                          cwd=REPO, timeout=60)


def socket_of(env: Dict[str, str]) -> str:
    return os.path.join(env["XDG_RUNTIME_DIR"], "pyngraph", "netgraph.sock")


def test_a_named_persistent_hub_outlives_the_pyngctl_that_made_it(user_env):
    made = tool(user_env, "pyngraph.cli.ngctl", "-f", "-",
                stdin=b"mkpeer . hub h x\nname .:h myhub\nmsg myhub: setpersistent\n")
    assert made.returncode == 0, made.stderr
    assert made.stderr.decode() == (f"pyngraph: started the emulated netgraph daemon at {socket_of(user_env)} "
                                    "(it leaves after 300 s with no client and no node; "
                                    "pyngraph-emud --status / --stop)\n")
    listed = tool(user_env, "pyngraph.cli.ngctl", "list")
    assert listed.returncode == 0 and listed.stderr == b""  # the daemon was there: no second notice
    assert "  Name: myhub           Type: hub " in listed.stdout.decode()
    version = tool(user_env, "pyngraph.cli.ngctl", "--version").stdout.decode()
    assert f"this user's pyngraph-emud daemon at {socket_of(user_env)}" in version


def test_status_and_stop(user_env):
    sock = socket_of(user_env)
    assert tool(user_env, "pyngraph.cli.emud", "--status").returncode == 69
    assert tool(user_env, "pyngraph.cli.ngctl", "list").returncode == 0
    pid = daemon_pid(sock)
    assert pid is not None
    status = tool(user_env, "pyngraph.cli.emud", "--status")
    assert (status.returncode, status.stdout.decode()) == (0, f"pyngraph-emud: running at {sock} (pid {pid})\n")
    stopped = tool(user_env, "pyngraph.cli.emud", "--stop")
    assert stopped.returncode == 0 and f"(pid {pid})" in stopped.stdout.decode()
    assert daemon_pid(sock) is None and not os.path.exists(sock)


def _wait_gone(sock: str, limit: float = 30.0) -> bool:
    deadline = time.monotonic() + limit
    while daemon_pid(sock) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    return daemon_pid(sock) is None


def test_the_daemon_leaves_when_idle_and_empty_but_not_while_a_node_persists(user_env):
    user_env["PYNGRAPH_EMUD_IDLE"] = "0.5"
    sock = socket_of(user_env)
    made = tool(user_env, "pyngraph.cli.ngctl", "-f", "-", stdin=b"mkpeer . hub h x\nmsg .:h setpersistent\n"
                                                                 b"name .:h keeper\n")
    assert made.returncode == 0, made.stderr
    time.sleep(2.0)  # four idle periods: a daemon holding a node stays
    assert daemon_pid(sock) is not None
    assert tool(user_env, "pyngraph.cli.ngctl", "shutdown", "keeper:").returncode == 0
    assert _wait_gone(sock), "the idle, empty daemon did not leave"
    assert not os.path.exists(sock)


def test_the_runtime_folder_must_be_ours_and_private(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    with pytest.raises(OSError, match="mode 0700"):
        prepare(str(folder))
    link = tmp_path / "link"
    link.symlink_to(folder)
    with pytest.raises(OSError, match="is not a folder"):
        prepare(str(link))
    fresh = tmp_path / "fresh"
    prepare(str(fresh))
    assert (fresh.stat().st_mode & 0o777) == 0o700


def test_inprocess_keeps_a_private_graph(user_env):
    user_env["PYNGRAPH_EMULATOR"] = "inprocess"
    done = tool(user_env, "pyngraph.cli.ngctl", "list")
    assert done.returncode == 0 and done.stderr == b""
    assert daemon_pid(socket_of(user_env)) is None  # nothing was started


def test_the_suite_itself_runs_on_an_in_process_graph():
    from pyngraph.backend.emulated import resolve

    assert os.environ["PYNGRAPH_EMULATOR"] == "inprocess"
    assert resolve() == (None, False)


def test_a_bad_idle_time_is_named_and_starts_nothing(user_env):
    user_env["PYNGRAPH_EMUD_IDLE"] = "soon"
    done = tool(user_env, "pyngraph.cli.ngctl", "list")
    assert done.returncode == 71 and "Traceback" not in done.stderr.decode()
    assert done.stderr.decode() == ("pyngctl: can't create node: PYNGRAPH_EMUD_IDLE='soon' is not a number of "
                                    "seconds (0: never)\n")
    assert daemon_pid(socket_of(user_env)) is None
