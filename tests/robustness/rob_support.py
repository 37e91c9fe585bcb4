"""Helpers of the robustness tests: bounded waits, the fuzzer script, pyngraph-emud subprocesses."""

from __future__ import annotations

import importlib.util
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, List, Optional

import pytest

from pyngraph.backend.emulated import EmulatedTransport
from pyngraph.backend.pylib import PyLibNetgraph

REPO = Path(__file__).resolve().parents[2]
WAIT = 20.0  # seconds before a wait is declared hung (a bound, not a timing assertion)


def load_fuzzer() -> ModuleType:
    """scripts/fuzz_emulator.py as a module."""
    spec = importlib.util.spec_from_file_location("fuzz_emulator", REPO / "scripts" / "fuzz_emulator.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bounded(fn: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    """Run ``fn`` on a thread; fail the test (instead of hanging) if it does not return in time."""
    box: List[Any] = []

    def run() -> None:
        try:
            box.append((True, fn()))
        except BaseException as exc:  # handed to the test
            box.append((False, exc))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        pytest.fail(f"{what} did not return within {timeout} s (hang)")
    ok, value = box[0]
    if not ok:
        raise value
    return value


class Emud:
    """A ``pyngraph-emud`` subprocess; :meth:`stop` returns its kernel-error count."""

    def __init__(self, tmp: Path, *args: str, name: str = "emud.sock", prefix: Optional[List[str]] = None,
                 **popen: Any) -> None:
        self.path = str(tmp / name)
        self.stderr_path = tmp / f"{name}.stderr"
        self._stderr = open(self.stderr_path, "w")
        cmd = (prefix or []) + [sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", self.path, *args]
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     cwd=str(tmp), env=env, **popen)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == f"pyngraph-emud: listening on {self.path}", (line, self.stderr())
        self.stopped: Optional[str] = None

    def lib(self) -> PyLibNetgraph:
        """A libnetgraph of this process talking to the daemon."""
        return PyLibNetgraph(EmulatedTransport(self.path))

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text()

    def stats(self) -> str:
        """The SIGUSR1 statistics line."""
        assert self.proc.stdout is not None
        self.proc.send_signal(signal.SIGUSR1)
        return bounded(self.proc.stdout.readline, "the daemon's statistics line").strip()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        """Stop the daemon; its kernel-error count (the process must exit 0)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, _ = self.proc.communicate(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGQUIT)  # the daemon writes every thread's stack to stderr
            try:
                self.proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError(f"the daemon did not exit within {WAIT:g} s of signal {sig}; "
                                 f"its stacks and log:\n{self.stderr()}") from None
        self._stderr.close()
        assert self.proc.returncode == 0, (self.proc.returncode, self.stderr())
        last = [line for line in out.splitlines() if "stopped (kernel errors:" in line]
        assert last, out
        self.stopped = last[-1]
        return int(last[-1].rsplit(":", 1)[1].strip(" )"))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        if not self._stderr.closed:
            self._stderr.close()


def as_user(uid: int, gid: int, extra_groups: Optional[List[int]], probe: Callable[[], str]) -> str:
    """``probe()`` in a forked child that first took ``uid``/``gid`` (os.setuid: root only); its verdict."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(r)
            os.setgroups(extra_groups or [])
            os.setgid(gid)
            os.setuid(uid)
            verdict = probe()
        except BaseException as exc:
            verdict = f"child failed: {exc!r}"
        os.write(w, verdict.encode())
        os._exit(0)
    os.close(w)
    try:
        if not select.select([r], [], [], WAIT)[0]:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the child as another user hung")
        verdict = os.read(r, 65536).decode()
    finally:
        os.close(r)
        os.waitpid(pid, 0)
    return verdict
