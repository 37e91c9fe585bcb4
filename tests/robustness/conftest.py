"""Fixtures of the robustness tests: the emulated backend, kernel error counting, daemons."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterator, List, Set

import pytest
from rob_support import Emud, load_fuzzer

from pyngraph import backend as backends
from pyngraph.emulator.daemon import KernelErrors
from pyngraph.emulator.inprocess import default_kernel
from pyngraph.emulator.kernel import Kernel


@pytest.fixture(scope="session")
def fuzzer() -> ModuleType:
    return load_fuzzer()


@pytest.fixture(autouse=True)
def emulated() -> Iterator[None]:
    with backends.using("emulated"):
        yield


@pytest.fixture
def kernel_errors() -> Iterator[KernelErrors]:
    """Counts what the in-process kernel logs as unexpected exceptions during the test.

    Nodes the test leaves in the process's kernel (fuzzed persistent hubs, say)
    are shut down afterwards, so that later tests find the graph as it was.
    """
    kernel = default_kernel()
    before = kernel.call(lambda: set(kernel.nodes))
    bugs_before = kernel.errors
    counter = KernelErrors().install()
    try:
        yield counter
    finally:
        counter.remove()
        kernel.call(_remove_nodes_except, kernel, before)
    assert kernel.errors == bugs_before, "the kernel caught an exception where none should occur"


def _remove_nodes_except(kernel: Kernel, keep: Set[int]) -> None:
    for node_id in set(kernel.nodes) - keep:
        node = kernel.nodes.get(node_id)
        if node is not None:
            kernel.rmnode(node)
    kernel.drain()


@pytest.fixture
def emud_factory(tmp_path: Path) -> Iterator[Callable[..., Emud]]:
    """Start daemons (``emud_factory(*args)``); any still running are killed after the test."""
    made: List[Emud] = []

    def make(*args: str, **kw: Any) -> Emud:
        daemon = Emud(tmp_path, *args, **kw)
        made.append(daemon)
        return daemon

    yield make
    for daemon in made:
        daemon.kill()
