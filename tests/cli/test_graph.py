"""Pictures of the live graph: ``python -m pyngraph graph`` with and without Graphviz."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from cli_support import REPO, tool_env


def graph(env, *args: str, path: str = None) -> subprocess.CompletedProcess:
    full = tool_env(env)
    if path is not None:
        full["PATH"] = path
    return subprocess.run([sys.executable, "-m", "pyngraph", "graph", *args], capture_output=True,
                          env=full, cwd=str(REPO), timeout=30)


def test_dot_form_needs_no_graphviz_and_leaves_out_the_tool(emud, tmp_path):
    done = graph(emud, "--dot", "-", path=str(tmp_path))
    assert done.returncode == 0, done.stderr.decode()
    text = done.stdout.decode()
    assert text.startswith("graph netgraph {\n\tedge [ weight = 1.0 ];\n")
    assert text.endswith(";\n}\n")  # ngctl's "};" at the end is a Graphviz syntax error
    assert '{sharedhub:|{hub|[' in text and "{\\<unnamed\\>:|{echo|[" in text
    assert "{socket|" not in text
    with_self = graph(emud, "--dot", "-", "--include-self", path=str(tmp_path)).stdout.decode()
    assert with_self.count("{socket|") == 1


def test_without_graphviz_it_says_how_to_install_it(emud, tmp_path):
    done = graph(emud, "--svg", str(tmp_path / "g.svg"), path=str(tmp_path))
    assert done.returncode == 69
    err = done.stderr.decode()
    assert "not on PATH" in err and "apt-get install graphviz" in err and "pkg install graphviz" in err
    assert not (tmp_path / "g.svg").exists()


def test_usage_errors(emud):
    assert graph(emud).returncode == 64
    assert graph(emud, "--svg", "a", "--png", "b").returncode == 64


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
@pytest.mark.parametrize("flag, magic", [("--svg", b"<svg"), ("--png", b"\x89PNG\r\n\x1a\n")])
def test_picture(emud, tmp_path, flag, magic):
    target = tmp_path / "graph.out"
    done = graph(emud, flag, str(target))
    assert done.returncode == 0, done.stderr.decode()
    data = target.read_bytes()
    assert magic in data[:400]
    if flag == "--svg":
        assert b"sharedhub:" in data and b"hubB:" in data
