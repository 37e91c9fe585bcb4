"""Every tool over a table of ordinary mistakes: one line naming the cause, a sysexits status, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from cli_support import REPO, tool_env

LONG = "x" * 120


def run(module: str, args: List[str], env: Optional[Dict[str, str]] = None, *, close_stdout: bool = False,
        stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=tool_env(env), cwd=str(REPO), timeout=30,
                          preexec_fn=(lambda: os.close(1)) if close_stdout else None)


@pytest.fixture
def places(tmp_path: Path) -> Dict[str, str]:
    """Bad socket paths: a missing folder, a plain file, a folder, a symbolic link, a path too long."""
    (tmp_path / "file").write_text("not a socket")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    return {"missing": str(tmp_path / "nofolder" / "ng.sock"), "file": str(tmp_path / "file"),
            "folder": str(tmp_path), "link": str(tmp_path / "link"), "long": str(tmp_path / LONG),
            "absent": str(tmp_path / "nobody.sock")}


CLIENT_PATHS = [
    ("missing", "the folder"), ("file", "exists and is not a socket"), ("folder", "is a folder"),
    ("link", "is a symbolic link"), ("long", "a socket path may have at most 103"),
    ("absent", "start one: pyngraph-emud --socket"),
]


@pytest.mark.parametrize("tool, prefix", [("pyngraph.cli.ngctl", "pyngctl: can't create node: "),
                                          ("pyngraph.cli.nghook", "pynghook: can't get sockets: ")])
@pytest.mark.parametrize("place, says", CLIENT_PATHS)
def test_clients_name_a_bad_daemon_path(places, tool, prefix, place, says):
    args = ["list"] if tool.endswith("ngctl") else ["x:"]
    done = run(tool, args, {"PYNGRAPH_EMULATOR": places[place]})
    err = done.stderr.decode()
    assert (done.returncode, err.count("\n")) == (71, 1), err
    assert err.startswith(prefix + f"no pyngraph-emud daemon answers at {places[place]} (") and says in err


@pytest.mark.parametrize("place, says", CLIENT_PATHS[:5])
def test_the_daemon_names_a_bad_socket_path(places, place, says):
    done = run("pyngraph.cli.emud", ["--socket", places[place]])
    err = done.stderr.decode()
    assert (done.returncode, err.count("\n")) == (73, 1), err
    assert err.startswith("pyngraph-emud: ") and says in err and "Traceback" not in err


@pytest.mark.parametrize("module, args, env, status, says", [
    ("pyngraph.cli.ngctl", ["list"], {"PYNGRAPH_BACKEND": "netbsd"}, 71, "pyngctl: unknown backend 'netbsd' (known: "),
    ("pyngraph.cli.nghook", ["x:"], {"PYNGRAPH_BACKEND": "netbsd"}, 71, "pynghook: unknown backend 'netbsd'"),
    ("pyngraph", ["graph", "--dot", "-"], {"PYNGRAPH_BACKEND": "netbsd"}, 71, "unknown backend 'netbsd'"),
    ("pyngraph.cli.ngctl", ["msg", "-w", "abc", ".", "getname"], None, 64, 'msg -w: "abc" is not a number'),
    ("pyngraph.cli.ngctl", ["msg", "-w", "-1", ".", "getname"], None, 64, 'msg -w: "-1" is not a number'),
    ("pyngraph.cli.ngctl", ["msg", "-w", "1e400", ".", "getname"], None, 64, 'msg -w: "1e400" is not a number'),
    ("pyngraph.cli.ngctl", ["msg", "-w", "99999999999", ".", "getname"], None, 64, "from 0 to 1e+06"),
    ("pyngraph.cli.emud", ["--max-msg", "99999999"], None, 64, "--max-msg must be between 1 and"),
    ("pyngraph.cli.emud", ["--max-msg", "0"], None, 64, "--max-msg must be between 1 and"),
    ("pyngraph.cli.emud", ["--max-msg", "lots"], None, 64, "not a byte count: 'lots'"),
    ("pyngraph.cli.emud", ["--idle-exit", "soon"], None, 64, "not a number of seconds: 'soon'"),
    ("pyngraph.cli.emud", ["--group", "no-such-group-here"], None, 64, "no group named"),
    ("pyngraph", ["frob"], None, 64, "pyngraph: unknown command 'frob'"),
    ("pyngraph", ["demo", "extra"], None, 64, "usage: python -m pyngraph demo"),
])
def test_bad_input_is_one_line_and_a_sysexits_status(module, args, env, status, says):
    done = run(module, args, env)
    err = done.stderr.decode()
    assert done.returncode == status, err
    assert says in err and "Traceback" not in err


def test_the_daemon_status_of_an_absent_daemon(places):
    done = run("pyngraph.cli.emud", ["--status", "--socket", places["absent"]])
    assert done.returncode == 69 and done.stdout.decode() == f"pyngraph-emud: no daemon answers at {places['absent']}\n"


@pytest.mark.parametrize("module, args", [("pyngraph.cli.ngctl", ["list"]), ("pyngraph.cli.ngctl", ["help"]),
                                          ("pyngraph.cli.ngctl", ["--version"]), ("pyngraph", ["--help"])])
def test_a_closed_standard_output_is_no_crash(module, args):
    done = run(module, args, close_stdout=True)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("module, args, says", [
    ("pyngraph", ["--help"], "pyngctl"), ("pyngraph", ["demo", "--help"], "usage: python -m pyngraph demo"),
    ("pyngraph", ["graph", "--help"], "usage: "), ("pyngraph.cli.emud", ["--help"], "--status"),
    ("pyngraph.cli.ngctl", ["--version"], "pyngctl (pyngraph) "), ("pyngraph.cli.nghook", ["--version"], "pynghook"),
    ("pyngraph.cli.emud", ["--version"], "pyngraph-emud "), ("pyngraph", ["--version"], "pyngraph "),
])
def test_help_and_version_everywhere(module, args, says):
    done = run(module, args)
    assert done.returncode == 0 and says in done.stdout.decode() and done.stderr == b""


def test_pyngraph_help_lists_the_console_tools():
    out = run("pyngraph", ["--help"]).stdout.decode()
    assert all(tool in out for tool in ("pyngctl", "pynghook", "pyngraph-emud"))


def test_version_says_which_graph():
    from pyngraph import __version__

    out = run("pyngraph.cli.ngctl", ["--version"]).stdout.decode().splitlines()
    assert out == [f"pyngctl (pyngraph) {__version__}",
                   "Graph: backend 'emulated': an in-process emulated kernel, private to this process"]
    out = run("pyngraph.cli.ngctl", ["--version"], {"PYNGRAPH_EMULATOR": "/run/x.sock"}).stdout.decode()
    assert "Graph: backend 'emulated': the pyngraph-emud daemon at /run/x.sock" in out


def test_errors_are_worded_as_freebsd_words_them():
    """ENOTCONN: FreeBSD says "Socket is not connected" (Linux: "Transport endpoint is not connected")."""
    script = b"mkpeer . ksocket ks inet/dgram/udp\nmsg .:ks getpeername\n"
    done = run("pyngraph.cli.ngctl", ["-f", "-"], stdin=script)
    assert done.returncode == 71
    assert done.stderr.decode() == "pyngctl: send msg: Socket is not connected\npyngctl: line 2: error in file\n"


def test_pyngctl_survives_its_daemon_going_away(tmp_path):
    from cli_support import Terminal

    path = str(tmp_path / "ng.sock")
    daemon = subprocess.Popen([sys.executable, "-m", "pyngraph.cli.emud", "--socket", path], env=tool_env(),
                              cwd=str(REPO), stdout=subprocess.DEVNULL)
    try:
        waited = 0
        while not os.path.exists(path) and waited < 300:
            assert daemon.poll() is None
            subprocess.run(["sleep", "0.05"], check=True)
            waited += 1
        term = Terminal(env={"PYNGRAPH_EMULATOR": path})
        term.read_until(b"\n+ ")
        daemon.terminate()
        daemon.wait(timeout=15)
        term.type("list")  # the tool ends as ngctl does when its node goes (EX_OSERR), saying why
        out = term.read_until(b"has gone away").decode()
        assert f"the pyngraph-emud daemon at {path} has gone away" in out and "Traceback" not in out
        assert term.close() == 71
    finally:
        daemon.kill()
        daemon.wait(timeout=15)
