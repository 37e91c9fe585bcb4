"""``python -m benchmarks --quick`` runs every case and reports a ratio for each (behaviour, not speed)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Every case the runner has, and the modes it measures it in.
EXPECTED = {
    "codec mkpeer": ["-"],
    "codec sockaddr": ["-"],
    "ascii parse+unparse": ["-"],
    "control GETNAME round trip": ["inproc", "daemon"],
    "udp 64B out": ["inproc", "daemon"],
    "udp 64B in": ["inproc", "daemon"],
    "udp 1400B out": ["inproc", "daemon"],
    "udp 1400B in": ["inproc", "daemon"],
    "tcp bulk out": ["inproc", "daemon"],
    "tcp bulk in": ["inproc", "daemon"],
    "scale hub create": ["inproc", "daemon"],
    "scale hub LISTNODES": ["inproc", "daemon"],
}
_LINE = re.compile(r"^RATIO (?P<case>.+?) \[(?P<mode>[^\]]+)\]: (?P<ratio>[0-9.]+|inf)x  \(ours ")


def test_quick_run_reports_every_case() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("machine: nproc ")
    seen = {(m.group("case"), m.group("mode")) for m in map(_LINE.match, lines) if m}
    for case, modes in EXPECTED.items():
        for mode in modes:
            assert any(c.startswith(case) and m == mode for c, m in seen), (case, mode, proc.stdout)
    # losses are counted and reported for every UDP row
    udp_notes = [line for line in lines if "packets, lost " in line]
    assert len(udp_notes) == 8
    assert re.search(r"^goals met: \d+, short: \d+, no goal: \d+$", lines[-1])


def test_unknown_case_is_refused() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--case", "nosuch"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
