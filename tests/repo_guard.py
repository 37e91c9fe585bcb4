"""Records every file a test process opens beside the repository (in its parent folder, not in it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, List, Optional, Tuple

OPENED_BESIDE: List[str] = []
_repo = ""


def beside_repository(path: object, repo: Optional[Path] = None) -> Optional[str]:
    """The resolved path when ``path`` lies in the repository's parent folder but not in the repository."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        return None
    root = str(repo) if repo is not None else _repo
    parent = os.path.dirname(root)
    resolved = os.path.realpath(os.fsdecode(path))
    if resolved == root or resolved.startswith(root + os.sep):
        return None
    if parent != os.path.dirname(parent) and resolved.startswith(parent + os.sep):
        return resolved
    return None


def _audit(event: str, args: Tuple[Any, ...]) -> None:
    if event == "open" and args:
        beside = beside_repository(args[0])
        if beside is not None:
            OPENED_BESIDE.append(beside)


def install(repo: Path) -> None:
    """Start recording (once per process; audit hooks cannot be removed)."""
    global _repo
    if not _repo:
        _repo = str(repo)
        sys.addaudithook(_audit)
