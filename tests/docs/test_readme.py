"""The README's Python snippets and quick-start commands work when pasted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pyngraph.api import SockNode
from pyngraph.testing import Daemon

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
SNIPPETS = re.findall(r"```python\n(.*?)```", README, re.S)
# A pasted snippet gets a private in-process graph: the suite never starts the user's daemon.
SNIPPET_ENV = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "PYNGRAPH_EMULATOR": "inprocess"}


def test_readme_has_snippets() -> None:
    assert len(SNIPPETS) >= 3


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_python_snippet_runs(index: int, tmp_path: Path) -> None:
    script = tmp_path / f"snippet{index}.py"
    script.write_text(SNIPPETS[index], encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, env=SNIPPET_ENV)
    assert proc.returncode == 0, proc.stderr


def test_the_plugin_example_passes_under_pytest(tmp_path: Path) -> None:
    """The README's example test for the pytest plugin, run by pytest with only the plugin loaded."""
    example = next(s for s in SNIPPETS if "def test_" in s and "ng_socknode" in s)
    (tmp_path / "test_readme_example.py").write_text(example, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "pyngraph.testing", "-p", "no:cacheprovider",
                           "test_readme_example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=SNIPPET_ENV)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


def test_quick_start_demo_command_is_the_one_readme_gives(tmp_path: Path) -> None:
    assert "python3 -m pyngraph demo" in README
    proc = subprocess.run([sys.executable, "-m", "pyngraph", "demo"], cwd=REPO, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "0 lost" in proc.stdout


def test_the_demo_runs_again_on_a_shared_graph(ng_daemon: Daemon) -> None:
    """On a graph that outlives the demo (the per-user daemon, FreeBSD's kernel) a second run works
    and nothing of the first is left behind."""
    env = dict(os.environ, **ng_daemon.env, PYTHONPATH=str(REPO))
    for run in range(2):
        proc = subprocess.run([sys.executable, "-m", "pyngraph", "demo"], cwd=REPO, capture_output=True,
                              text=True, timeout=60, env=env)
        assert proc.returncode == 0, f"run {run + 1}: {proc.stderr}"
        assert "0 lost" in proc.stdout
    with SockNode() as sock:
        assert [node.name for node in sock.list_nodes() if node.name != sock.info().name] == []


def test_ci_runs_the_readme_test_command() -> None:
    assert "python -m pytest" in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "\npython -m pytest\n" in ci
