"""Helpers for the CLI tests: golden files and running the tools as real processes."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence

GOLDEN = Path(__file__).resolve().parent / "golden"
REPO = Path(__file__).resolve().parents[2]


def golden(name: str) -> str:
    """A golden output (cut from the spec's examples), byte for byte."""
    return (GOLDEN / name).read_bytes().decode("latin-1")


def tool_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYNGRAPH_EMULATOR"] = "inprocess"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("PYNGRAPH_BACKEND", "emulated")
    env.update(extra or {})
    return env


def run_tool(tool: str, args: Sequence[str], *, stdin: Optional[bytes] = None,
             env: Optional[Dict[str, str]] = None, timeout: float = 20) -> subprocess.CompletedProcess:
    """Run ``python -m pyngraph.cli.<tool> args`` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", f"pyngraph.cli.{tool}", *args],
        input=stdin if stdin is not None else b"", capture_output=True,
        env=tool_env(env), timeout=timeout, cwd=str(REPO),
    )


ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


class Terminal:
    """pyngctl on the slave side of a pty; we type on the master side."""

    def __init__(self, *args: str, env: Optional[Dict[str, str]] = None) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pyngraph.cli.ngctl", *args], stdin=slave, stdout=slave, stderr=slave,
            env=tool_env({"TERM": "dumb", "INPUTRC": "/dev/null", **(env or {})}), cwd=str(REPO), close_fds=True,
        )
        os.close(slave)
        self.seen = b""

    def read_until(self, pattern: bytes, timeout: float = 15) -> bytes:
        """Everything printed up to and including ``pattern`` (escape sequences and CRs removed)."""
        while pattern not in ESCAPES.sub(b"", self.seen):
            ready, _, _ = select.select([self.master], [], [], timeout)
            assert ready, f"no {pattern!r} on the terminal; got {self.seen!r}"
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                chunk = b""
            assert chunk, f"terminal closed before {pattern!r}; got {self.seen!r}"
            self.seen += chunk
        clean = ESCAPES.sub(b"", self.seen)
        end = clean.index(pattern) + len(pattern)
        self.seen = clean[end:]
        return clean[:end]

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def close(self) -> int:
        try:
            status = self.proc.wait(timeout=15)
        finally:
            os.close(self.master)
        return status


def command(term: Terminal, line: str) -> str:
    """Type ``line`` at the prompt; return what it printed before the next prompt."""
    term.type(line)
    out = term.read_until(b"\n+ ").decode("latin-1")
    return out[out.index(line) + len(line) + 1:-2] if line in out else out[:-2]
