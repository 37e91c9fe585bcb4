"""Where libnetgraph lives: the versioned file first, then ``ctypes.util.find_library``.

FreeBSD 13-15 ship ``/usr/lib/libnetgraph.so.4`` (``SHLIB_MAJOR=4``); the
unversioned ``libnetgraph.so`` symlink belongs to the development files and
may be missing, so it is never required.
"""

from __future__ import annotations

import ctypes.util
import os
from pathlib import Path
from typing import Callable, List, Optional, Sequence

SONAME = "libnetgraph.so.4"
KNOWN_DIRS = (Path("/usr/lib"), Path("/lib"))


def candidates(
    dirs: Sequence[Path] = KNOWN_DIRS,
    find_library: Callable[[str], Optional[str]] = ctypes.util.find_library,
) -> List[str]:
    """The names worth handing to ``ctypes.CDLL``, best first.

    Existing ``<dir>/libnetgraph.so.4`` files come first; then what
    ``find_library("netgraph")`` answers, but only with major version 4
    (the ABI these bindings declare).
    """
    found = [str(d / SONAME) for d in dirs if (d / SONAME).is_file()]
    other = find_library("netgraph")
    if other and os.path.basename(other) == SONAME and other not in found:
        found.append(other)
    return found


def describe_search(dirs: Sequence[Path] = KNOWN_DIRS) -> str:
    """Where :func:`candidates` looks, for error messages."""
    places = ", ".join(str(d / SONAME) for d in dirs)
    return f"{places} and ctypes.util.find_library('netgraph')"
