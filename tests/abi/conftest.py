"""ABI conformance: compile the probe for every FreeBSD target once, in parallel."""

from __future__ import annotations

import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Tuple

import pytest

import probegen

_RESULTS = pytest.StashKey[Dict[str, Tuple[subprocess.CompletedProcess, int]]]()


@pytest.fixture(scope="session")
def abi_compiles(request: pytest.FixtureRequest) -> Dict[str, Tuple[subprocess.CompletedProcess, int]]:
    """target -> (compiler result, number of asserts) for the probe of every target."""
    if not probegen.ziglang_available():
        pytest.skip("ziglang is not importable: no cross compiler for the FreeBSD targets")
    with tempfile.TemporaryDirectory(prefix="pyngraph-abi-") as tmp:
        sources = {t: probegen.generate(t) for t in probegen.TARGETS}
        with ThreadPoolExecutor(max_workers=len(sources)) as pool:
            futures = {t: pool.submit(probegen.compile_probe, s, t, Path(tmp)) for t, s in sources.items()}
            results = {t: (f.result(), probegen.count_asserts(sources[t])) for t, f in futures.items()}
    request.config.stash[_RESULTS] = results
    return results


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    results = config.stash.get(_RESULTS, None)
    if results is None:
        return
    ok = [f"{t} ({n} asserts)" for t, (proc, n) in results.items() if proc.returncode == 0]
    bad = [t for t, (proc, _) in results.items() if proc.returncode != 0]
    terminalreporter.write_line("ABI conformance: compiled for " + (", ".join(ok) or "no target"))
    terminalreporter.write_line("ABI conformance: constants left unchecked (probegen.SKIPPED_CONSTANTS): "
                                + ", ".join(probegen.SKIPPED_CONSTANTS))
    if bad:
        terminalreporter.write_line("ABI conformance: FAILED for " + ", ".join(bad))
