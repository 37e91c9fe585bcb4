"""Shared fixtures: the FreeBSD-produced vectors in ../shared/vectors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

REPO = Path(__file__).resolve().parent.parent
VECTORS = REPO.parent / "shared" / "vectors"


def load_jsonl(name: str) -> List[Dict[str, Any]]:
    """Load one JSON-lines vector file from ../shared/vectors."""
    path = VECTORS / name
    if not path.exists():
        pytest.fail(f"test vectors missing: {path} (expected ../shared/vectors beside the repo)")
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    return VECTORS


@pytest.fixture
def kernel() -> Any:
    """The process's emulated kernel (what the in-process emulated backend talks to)."""
    from pyngraph.emulator.kernel import default_kernel

    return default_kernel()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--vm", action="store_true", default=False,
        help="run the suite inside the FreeBSD Vagrant VM instead of here (python -m vm run); "
             "the other arguments are passed on, the JUnit report lands in vm/reports/",
    )


def pytest_cmdline_main(config: pytest.Config) -> Any:
    """With --vm, hand the run to ``python -m vm run`` and exit with its status."""
    if not config.getoption("vm", default=False):
        return None
    import subprocess
    import sys

    here = Path(config.invocation_params.dir)
    forwarded = []
    for arg in config.invocation_params.args:
        if arg == "--vm":
            continue
        target = here / arg.split("::", 1)[0]
        if not arg.startswith("-") and target.exists() and REPO in target.resolve().parents:
            arg = str(target.resolve().relative_to(REPO)) + arg[len(arg.split("::", 1)[0]):]
        forwarded.append(arg)
    return subprocess.call([sys.executable, "-m", "vm", "run", "--", *forwarded], cwd=REPO)
