"""Network namespaces, veth pairs and per-namespace pyngraph-emud daemons for the interface tests.

Every namespace, link and address is made by the test and removed afterwards;
the addresses are private (10.201.0.0/16) and exist only inside the namespaces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

REPO = Path(__file__).resolve().parents[2]
WAIT = 60.0  # seconds before a step is declared hung (a bound, not a timing assertion)
NGCTL = f"{sys.executable} -m pyngraph.cli.ngctl"


def ip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=WAIT)


def need_namespaces() -> None:
    """Skip unless network namespaces can be made here."""
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command (Debian package iproute2)")


def need_tun() -> None:
    if not os.path.exists("/dev/net/tun"):
        pytest.skip("no /dev/net/tun (the Linux TUN/TAP driver)")


def need_ping() -> None:
    if shutil.which("ping") is None:
        pytest.skip("no `ping` command (Debian package iputils-ping)")


class Namespaces:
    """Named network namespaces, deleted (with their links) by :meth:`remove`."""

    def __init__(self, tag: str) -> None:
        self.tag = f"pyng{os.getpid() % 100000}{tag}"
        self.made: List[str] = []

    def add(self, suffix: str) -> str:
        name = self.tag + suffix
        result = ip("netns", "add", name)
        if result.returncode != 0:
            pytest.skip(f"cannot create a network namespace: {result.stderr.strip()}")
        self.made.append(name)
        ip("-n", name, "link", "set", "lo", "up")
        return name

    def veth(self, ns_a: str, if_a: str, ns_b: str, if_b: str) -> None:
        """A veth pair with one end (up) in each namespace."""
        for step in (("link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b, "netns", ns_b),
                     ("-n", ns_a, "link", "set", if_a, "up"), ("-n", ns_b, "link", "set", if_b, "up")):
            result = ip(*step)
            if result.returncode != 0:
                pytest.skip(f"cannot set up a veth pair ({' '.join(step)}): {result.stderr.strip()}")

    def run(self, ns: str, args: List[str], env: Optional[Dict[str, str]] = None,
            timeout: float = WAIT) -> subprocess.CompletedProcess:
        return subprocess.run(["ip", "netns", "exec", ns, *args], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=str(REPO))

    def remove(self) -> None:
        for ns in self.made:
            ip("netns", "del", ns)


class NsDaemon:
    """``pyngraph-emud --socket PATH`` inside one namespace."""

    def __init__(self, ns: str, tmp: Path) -> None:
        self.path = str(tmp / f"{ns}.sock")
        self._stderr = open(tmp / f"{ns}.stderr", "w")
        self.stderr_path = tmp / f"{ns}.stderr"
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", self.path],
            stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env, cwd=str(tmp))
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.strip() == f"pyngraph-emud: listening on {self.path}", (line, self.stderr())

    def env(self) -> Dict[str, str]:
        """The environment of a pyngctl (or example script) talking to this daemon."""
        return dict(os.environ, PYTHONPATH=str(REPO), PYNGRAPH_BACKEND="emulated",
                    PYNGRAPH_EMULATOR=self.path, NGCTL=NGCTL)

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text()

    def stop(self) -> int:
        """Stop the daemon; its kernel-error count."""
        if self.proc.poll() is None:
            self.proc.terminate()
        out, _ = self.proc.communicate(timeout=WAIT)
        self._stderr.close()
        found = re.findall(r"stopped \(kernel errors: (\d+)\)", out)
        assert found, (out, self.stderr_path.read_text())
        return int(found[-1])

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)
        if not self._stderr.closed:
            self._stderr.close()


def ping_loss(output: str) -> float:
    """The loss percentage ping printed."""
    match = re.search(r"([\d.]+)% packet loss", output)
    assert match, output
    return float(match.group(1))
