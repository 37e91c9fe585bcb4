"""docs/NODETYPES.md: its table is what the declarations say, and its hub example is the code."""

from __future__ import annotations

import re
from pathlib import Path

from nodetypes_table import markdown

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "NODETYPES.md").read_text(encoding="utf-8")


def test_the_table_is_the_declarations() -> None:
    start = DOC.index("<!-- table: tests/docs/nodetypes_table.py -->\n")
    end = DOC.index("<!-- end of table -->")
    assert DOC[DOC.index("\n", start) + 1:end] == markdown(), \
        "docs/NODETYPES.md is stale: PYTHONPATH=. python3 tests/docs/nodetypes_table.py"


def test_the_hub_example_is_the_code() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.S)
    assert blocks == [(REPO / "pyngraph" / "abi" / "nodetypes" / "ng_hub.py").read_text(encoding="utf-8"),
                      (REPO / "pyngraph" / "emulator" / "nodes" / "hub.py").read_text(encoding="utf-8")]
