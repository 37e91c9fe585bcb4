"""pyngctl and pynghook on a shared emulator daemon: graphs built by one process, used by others."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
from typing import Dict

import pytest

from cli_support import REPO, Terminal, golden, run_tool, tool_env

def ngctl(env: Dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return run_tool("ngctl", args, env=env)


class Hook:
    """A running pynghook with pipes (or given descriptors) for its stdin and stdout."""

    def __init__(self, env: Dict[str, str], *args: str, stdin=subprocess.PIPE, stdout=subprocess.PIPE) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "pyngraph.cli.nghook", *args], stdin=stdin,
                                     stdout=stdout, stderr=subprocess.PIPE, env=tool_env(env), cwd=str(REPO))

    def read(self, count: int, fd=None) -> bytes:
        fd = self.proc.stdout.fileno() if fd is None else fd
        got = b""
        while len(got) < count:
            ready, _, _ = select.select([fd], [], [], 15)
            assert ready, f"pynghook printed only {got!r}"
            chunk = os.read(fd, count - len(got))
            assert chunk, f"pynghook's output ended after {got!r}"
            got += chunk
        return got

    def finish(self) -> subprocess.CompletedProcess:
        if self.proc.stdin:
            self.proc.stdin.close()
        err = self.proc.stderr.read()
        return subprocess.CompletedProcess(self.proc.args, self.proc.wait(timeout=15), b"", err)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def wait_for_hook(env: Dict[str, str], path: str, hook: str) -> None:
    """Until ``show path`` lists ``hook`` (a pynghook has connected)."""
    deadline = time.monotonic() + 15
    while not re.search(rf"^  {re.escape(hook)} ", ngctl(env, "show", path).stdout.decode(), re.M):
        assert time.monotonic() < deadline, f"hook {hook} never appeared on {path}"
        time.sleep(0.05)


def test_another_process_sees_the_graph(emud):
    done = ngctl(emud, "-n", "viewer", "list")
    assert done.returncode == 0, done.stderr.decode()
    names = re.findall(r"^  Name: (\S+) +Type: (\S+) ", done.stdout.decode(), re.M)
    assert sorted(names) == sorted([("sharedhub", "hub"), ("hubB", "hub"), ("hubC", "hub"),
                                    ("<unnamed>", "echo"), ("viewer", "socket")])
    show = ngctl(emud, "show", "sharedhub:").stdout.decode().splitlines()
    assert show[3].startswith("  e               <unnamed>       echo         ")
    assert show[3].endswith(" x              ")


def test_a_live_hook_of_another_process_is_visible(emud):
    hook = Hook(emud, "-n", "sharedhub:", "live")
    try:
        wait_for_hook(emud, "sharedhub:", "live")
        show = ngctl(emud, "show", "sharedhub:").stdout.decode()
        assert re.search(r"^  live            <unnamed>       socket       [0-9a-f]{8}        hook           $", show, re.M)
        dot = ngctl(emud, "dot").stdout.decode()
        assert re.search(r'^\t"[0-9a-f]+\.hook" -- "[0-9a-f]+\.live";$|^\t"[0-9a-f]+\.live" -- "[0-9a-f]+\.hook";$', dot, re.M)
    finally:
        hook.kill()


def test_pynghook_pipes_data_through_the_echo_node(emud):
    hook = Hook(emud, "sharedhub:", "in1")
    try:
        hook.proc.stdin.write(b"hello\n")
        hook.proc.stdin.flush()
        assert hook.read(6) == b"hello\n"
        done = hook.finish()
        assert done.returncode == 71
        assert done.stderr == b"pynghook: EOF(stdin)\n"
    finally:
        hook.kill()


def test_pynghook_a_dumps_each_packet(emud):
    hook = Hook(emud, "-a", "sharedhub:", "in2")
    try:
        hook.proc.stdin.write(b"Hello, peer!\0")
        hook.proc.stdin.flush()
        expected = golden("nghook_a_hello.txt").encode()
        assert hook.read(len(expected)) == expected
    finally:
        hook.kill()


def test_pynghook_loopback_and_no_input(emud):
    looper = Hook(emud, "-n", "-l", "hubB:", "y", stdin=subprocess.DEVNULL)
    sender = Hook(emud, "hubB:", "x")
    try:
        wait_for_hook(emud, "hubB:", "y")
        sender.proc.stdin.write(b"ping")
        sender.proc.stdin.flush()
        assert looper.read(4) == b"ping"
        assert sender.read(4) == b"ping"
    finally:
        looper.kill()
        sender.kill()


def test_pynghook_e_runs_a_program_on_the_hook(emud):
    cat = Hook(emud, "-e", "hubC:", "z", "/bin/cat", stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    sender = Hook(emud, "hubC:", "w")
    try:
        wait_for_hook(emud, "hubC:", "z")
        sender.proc.stdin.write(b"pong")
        sender.proc.stdin.flush()
        assert sender.read(4) == b"pong"
    finally:
        cat.kill()
        sender.kill()


@pytest.mark.parametrize("flag, fd", [("-s", 0), ("-S", 1)])
def test_pynghook_s_and_S_use_the_other_descriptor(emud, flag, fd):
    ours, theirs = socket.socketpair()
    streams = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL}
    streams["stdin" if fd == 0 else "stdout"] = theirs
    hook = Hook(emud, flag, "sharedhub:", f"fd{fd}", **streams)
    theirs.close()
    try:
        ours.sendall(b"both ways")
        assert hook.read(9, fd=ours.fileno()) == b"both ways"
    finally:
        hook.kill()
        ours.close()


@pytest.mark.parametrize("args, status, first", [
    ([], 64, "usage: pynghook [-adlnsS] path [hookname]"),
    (["-e", "-a", "p:", "h", "/bin/cat"], 64, "conflicting options"),
    (["-e", "p:", "h"], 64, "usage: pynghook [-adlnsS] path [hookname]"),
    (["a", "b", "c"], 64, "usage: pynghook [-adlnsS] path [hookname]"),
    (["nosuch:"], 71, "pynghook: can't connect to node"),
    (["-m", "bogus", "sharedhub:", "m1"], 71, "pynghook: sending message 'bogus': Function not implemented"),
])
def test_pynghook_failures(emud, args, status, first):
    done = run_tool("nghook", args, env=emud)
    assert done.returncode == status
    assert done.stderr.decode().splitlines()[0] == first


def test_pynghook_names_what_did_not_resolve(emud):
    assert run_tool("nghook", ["nosuch:"], env=emud).stderr.decode() == "pynghook: can't connect to node\n"
    done = run_tool("nghook", ["-v", "nosuch:"], env=emud)
    assert done.stderr.decode().splitlines()[1] == 'pynghook: "nosuch:": no node is named "nosuch"'


def test_pynghook_end_of_input(emud):
    done = run_tool("nghook", ["sharedhub:", "eof"], env=emud)
    assert (done.returncode, done.stderr) == (71, b"pynghook: EOF(stdin)\n")


def test_interactive_pyngctl_ends_when_another_process_shuts_its_node_down(emud):
    term = Terminal("-n", "victim", env=emud)
    try:
        term.read_until(b"+ ")
        assert run_tool("ngctl", ["shutdown", "victim:"], env=emud).returncode == 0
        assert b"pyngctl: this tool's node was shut down" in term.read_until(b"shut down\n")
        assert term.close() == 71
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()
