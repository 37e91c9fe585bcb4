"""pyngraph's import graph: no cycle, and no module imports a layer above its own.

Layers, lowest first: abi (with errors and version), ascii, emulator,
backend, libnetgraph, api and aio, then the tools (cli, the package's own
``__init__``/``__main__``, demo, testing).  Every import counts, at module
level or inside a function; only those under ``if TYPE_CHECKING:`` (never
run) do not.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Set

import pyngraph

ROOT = Path(pyngraph.__file__).parent

LAYERS = [
    ("pyngraph.abi", "pyngraph.errors", "pyngraph.fbsd_errno", "pyngraph.version"),
    ("pyngraph.ascii",),
    ("pyngraph.emulator",),
    ("pyngraph.backend",),
    ("pyngraph.libnetgraph",),
    ("pyngraph.api", "pyngraph.aio"),
    ("pyngraph.cli", "pyngraph.__main__", "pyngraph.demo", "pyngraph.testing", "pyngraph"),
]


def _layer(module: str) -> int:
    """The layer of a module: the longest matching prefix decides."""
    best, best_len = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best >= 0, f"{module} is in no layer: add it to LAYERS"
    return best


def _modules() -> Dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _ancestors(module: str) -> Set[str]:
    """The packages a module is in."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` except what is under ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from (n for s in child.orelse for n in [s, *_statements(s)])
            continue
        yield child
        yield from _statements(child)


def _imports(module: str) -> Set[str]:
    """The pyngraph modules ``module`` imports (a package's import of ``x`` from itself is ``package.x``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: Set[str] = set()
    for node in _statements(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("pyngraph"):
                # importing a module runs its packages' __init__ first (except ours, running already)
                found.add(name)
                found.update(_ancestors(name) - _ancestors(module) - {"pyngraph"})
    found.discard(module)
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def test_no_module_imports_a_higher_layer() -> None:
    upward = sorted(f"{module} -> {target}" for module, targets in GRAPH.items() for target in targets
                    if _layer(target) > _layer(module))
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_the_import_graph_has_no_cycle() -> None:
    cycles: List[List[str]] = []
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)
