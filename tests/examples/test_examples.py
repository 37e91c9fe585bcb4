"""Every example runs to completion on the emulated backend (loopback only)."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ECHO_PORT = 7777  # fixed in examples/udp_echo.ngctl


def _env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYNGRAPH_EMULATOR"] = "inprocess"
    env["PYNGRAPH_BACKEND"] = "emulated"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra or {})
    return env


def _run(args: List[str], env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=30,
                          cwd=str(REPO), env=env or _env())


@pytest.mark.parametrize("script, expected", [
    ("udp_echo.py", ["echoed b'hello'", "echoed b'netgraph'", "echoed b'bye'", "graph removed"]),
    ("tcp_server.py", ["client 0 got b'HELLO FROM CLIENT 0'", "client 2 got b'HELLO FROM CLIENT 2'",
                       "served 3 clients"]),
    ("udp_tunnel.py", ["far end got b'first'", "client got b'tsrif'", "tap on hook 'tap' saw b'second'"]),
    ("aio_tcp_echo.py", ["client 0", "got b'message 0'", "got b'message 2'", "served 3 connections"]),
])
def test_python_example(script: str, expected: List[str]) -> None:
    result = _run([str(EXAMPLES / script)])
    assert result.returncode == 0, result.stderr
    for line in expected:
        assert line in result.stdout


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def emud() -> Iterator[Dict[str, str]]:
    """A pyngraph-emud daemon: the environment that makes tools use it."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "emud")
        daemon = subprocess.Popen([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", path],
                                  stdout=subprocess.PIPE, text=True, cwd=str(REPO), env=_env())
        try:
            assert daemon.stdout is not None
            assert "listening" in daemon.stdout.readline()
            yield _env({"PYNGRAPH_EMULATOR": path})
        finally:
            daemon.terminate()
            daemon.wait(10)


@pytest.mark.skipif(importlib.util.find_spec("pyngraph.cli.ngctl") is None,
                    reason="pyngctl (pyngraph.cli.ngctl) has not landed yet")
@pytest.mark.skipif(not _port_free(ECHO_PORT), reason=f"UDP port {ECHO_PORT} on 127.0.0.1 is busy")
def test_ngctl_script(emud: Dict[str, str]) -> None:
    loaded = _run(["-m", "pyngraph.cli.ngctl", "-f", str(EXAMPLES / "udp_echo.ngctl")], emud)
    assert loaded.returncode == 0, loaded.stderr
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(5)
        client.sendto(b"through the daemon's graph", ("127.0.0.1", ECHO_PORT))
        assert client.recvfrom(100) == (b"through the daemon's graph", ("127.0.0.1", ECHO_PORT))
    listed = _run(["-m", "pyngraph.cli.ngctl", "list"], emud)
    assert "udpecho_ks" in listed.stdout and "udpecho " in listed.stdout
    removed = _run(["-m", "pyngraph.cli.ngctl", "shutdown", "udpecho:"], emud)
    assert removed.returncode == 0, removed.stderr
    assert "udpecho" not in _run(["-m", "pyngraph.cli.ngctl", "list"], emud).stdout
    deadline = time.monotonic() + 5
    while not _port_free(ECHO_PORT) and time.monotonic() < deadline:
        time.sleep(0.05)  # the daemon closes the ksocket's socket on its own thread
    assert _port_free(ECHO_PORT)
