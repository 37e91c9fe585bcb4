"""The repository carries its own test data: nothing beside it is read."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from repo_guard import beside_repository

REPO = Path(__file__).resolve().parent.parent


def test_a_sibling_folder_counts_as_outside() -> None:
    assert beside_repository(REPO.parent / "shared" / "vectors" / "ng_parse.jsonl", REPO)
    assert beside_repository(str(REPO / ".." / "shared"), REPO) is not None


def test_the_repository_and_unrelated_paths_do_not() -> None:
    assert beside_repository(REPO / "tests" / "data" / "ng_parse.jsonl", REPO) is None
    assert beside_repository(str(REPO), REPO) is None
    assert beside_repository(3, REPO) is None  # os.open on a descriptor number


def test_opening_a_sibling_fails_the_run(tmp_path: Path) -> None:
    """A test that reads ../shared makes pytest fail even though the test itself passes."""
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "facts.txt").write_text("x")
    for support in ("conftest.py", "repo_guard.py"):
        (repo / "tests" / support).write_text((REPO / "tests" / support).read_text())
    (repo / "tests" / "test_reads_beside.py").write_text(
        "from pathlib import Path\n"
        "def test_reads() -> None:\n"
        "    assert (Path(__file__).resolve().parents[2] / 'shared' / 'facts.txt').read_text() == 'x'\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                          cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert "outside the repository" in done.stderr and "shared/facts.txt" in done.stderr
