"""docs/ARCHITECTURE.md's module map names every module of the package, and no module that is gone."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MAP = (REPO / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8").split("## Contracts")[0]
PACKAGE = REPO / "pyngraph"


def test_every_module_is_in_the_map() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent.name == "backend"]
    missing = [str(p.relative_to(REPO)) for p in modules if not re.search(rf"\b{re.escape(p.name)}\b", MAP)]
    assert not missing, f"docs/ARCHITECTURE.md does not name: {missing}"


def test_the_map_names_no_module_that_is_gone() -> None:
    named = set(re.findall(r"\b([a-z_]+\.py)\b", MAP))
    present = {p.name for folder in ("pyngraph", "scripts", "tests") for p in (REPO / folder).rglob("*.py")}
    assert named <= present, f"docs/ARCHITECTURE.md names modules that do not exist: {sorted(named - present)}"
