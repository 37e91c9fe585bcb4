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
