"""``python -m pyngraph demo`` as a user runs it: a subprocess, its output and exit code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_demo(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYNGRAPH_BACKEND"}
    env["PYNGRAPH_BACKEND"] = "freebsd"  # the demo forces the emulated backend whatever is asked
    return subprocess.run([sys.executable, "-m", "pyngraph", "demo", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=30)


def test_demo_echoes_every_datagram() -> None:
    proc = run_demo()
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    port = int(re.search(r'ksocket "udp" bound to 127\.0\.0\.1:(\d+)', out).group(1))
    # the graph, as ngctl list/show print it
    assert "There are 4 total nodes:" in out
    for name, type_name in (("demo", "socket"), ("tee", "tee"), ("echo", "echo"), ("udp", "ksocket")):
        assert re.search(rf"Name: {name}\s+Type: {type_name}\s+ID: [0-9a-f]{{8}}", out)
    assert re.search(r"inet/dgram/udp\s+tee\s+tee\s+[0-9a-f]{8}\s+right", out)
    # each datagram both ways on the wire, with addresses, and the in-graph copies
    outbound = re.findall(rf"wire  127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:{port} ", out)
    inbound = re.findall(rf"wire  127\.0\.0\.1:{port} -> 127\.0\.0\.1:(\d+) ", out)
    assert len(outbound) == len(inbound) == 3 and outbound == inbound
    assert out.count("tee tap r2l: udp -> echo") == out.count("tee tap l2r: echo -> udp") == 3
    assert f"3 datagrams sent to 127.0.0.1:{port}, 3 echoed back" in out and "0 lost" in out
    assert proc.stderr == ""


def test_demo_usage_error() -> None:
    proc = run_demo("--bogus")
    assert proc.returncode == 64 and "usage" in proc.stderr
