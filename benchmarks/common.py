"""What every benchmark case shares: results, timing, and the two emulator modes.

A case measures our figure and a baseline in the same run on the same
machine and returns :class:`Result` rows; the runner prints one ``RATIO``
line per row.  ``Mode`` gives a case a libnetgraph backend on the in-process
kernel thread or on a ``pyngraph-emud`` daemon it starts and stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from pyngraph.backend import create_backend


@dataclass
class Result:
    """One benchmark row: ours against the baseline, in ``unit`` (higher is better unless ``lower``)."""

    case: str
    mode: str
    ours: float
    base: float
    unit: str
    goal: Optional[float] = None  # the ratio to reach (>= goal, or <= goal when ``lower``)
    lower: bool = False  # a latency: smaller is better, ratio = ours / base
    notes: List[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.ours / self.base if self.base else float("inf")

    @property
    def met(self) -> Optional[bool]:
        if self.goal is None:
            return None
        return self.ratio <= self.goal if self.lower else self.ratio >= self.goal

    def as_dict(self) -> Dict[str, Any]:
        """The row as JSON-ready data (``--json``), ratio and verdict included."""
        ratio = self.ratio
        return {"case": self.case, "mode": self.mode, "ours": self.ours, "baseline": self.base, "unit": self.unit,
                "ratio": ratio if ratio != float("inf") else None, "goal": self.goal,
                "goal_is_max": self.lower, "met": self.met, "notes": list(self.notes)}

    def line(self) -> str:
        goal = "" if self.goal is None else f"  goal {'<=' if self.lower else '>='} {self.goal:g}x"
        verdict = {None: "", True: "  MET", False: "  SHORT"}[self.met]
        text = (f"RATIO {self.case} [{self.mode}]: {self.ratio:.2f}x  "
                f"(ours {fmt(self.ours)} {self.unit}, baseline {fmt(self.base)} {self.unit}){goal}{verdict}")
        for note in self.notes:
            text += f"\n      {note}"
        return text


def fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.4g}"


def rate(n: int, op: Callable[[], Any]) -> float:
    """Operations per second of ``op`` run ``n`` times."""
    start = time.perf_counter()
    for _ in range(n):
        op()
    return n / (time.perf_counter() - start)


def latency(n: int, op: Callable[[], Any]) -> float:
    """Mean seconds per ``op`` run ``n`` times."""
    start = time.perf_counter()
    for _ in range(n):
        op()
    return (time.perf_counter() - start) / n


def best_of(repeats: int, measure: Callable[[], float], lower: bool = False) -> float:
    """The best of ``repeats`` measurements (max rate, or min latency)."""
    values = [measure() for _ in range(repeats)]
    return min(values) if lower else max(values)


def raise_rcvbuf(fd: int, size: int) -> None:
    """SO_RCVBUF of a netgraph socket, as a FreeBSD user raises it past net.graph.recvspace (20 KiB)
    (Linux caps SO_RCVBUF at rmem_max; root may force it)."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < size and hasattr(socket, "SO_RCVBUFFORCE"):
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUFFORCE, size)
            except PermissionError:
                pass


class Mode:
    """An emulator mode: ``inproc`` (this process's kernel thread) or ``daemon`` (pyngraph-emud)."""

    def __init__(self, name: str, daemon_args: Sequence[str] = ()) -> None:
        self.name = name
        self.daemon_args = list(daemon_args)
        self.proc: Optional[subprocess.Popen] = None
        self._dir: Optional[tempfile.TemporaryDirectory] = None
        self.lib: Any = None

    def __enter__(self) -> "Mode":
        if self.name == "daemon":
            self._dir = tempfile.TemporaryDirectory(prefix="pyngraph-bench-")
            path = os.path.join(self._dir.name, "emud.sock")
            self.proc = subprocess.Popen([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", path,
                                          *self.daemon_args],
                                         stdout=subprocess.PIPE, text=True)
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline().strip()
            if not line.endswith(path):
                raise RuntimeError(f"pyngraph-emud did not start: {line!r}")
            self.lib = create_backend("emulated", socket_path=path)
        else:
            self.lib = create_backend("emulated", inprocess=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._dir is not None:
            self._dir.cleanup()

    def rss_kib(self) -> int:
        """Resident memory (KiB) of the process that runs the kernel."""
        pid = self.proc.pid if self.proc is not None else os.getpid()
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
