"""The kernels a process makes for itself: with the standard node types installed.

:func:`new_kernel` makes one (not started); :func:`default_kernel` is the
process's own, started on first use and stopped at exit, which the
in-process backend uses.
"""

from __future__ import annotations

import atexit
import threading
from typing import Optional

from .kernel import Kernel
from .nodes import register_all

_default: Optional[Kernel] = None
_default_lock = threading.Lock()


def new_kernel() -> Kernel:
    """A kernel with every standard node type installed (its thread not started)."""
    kernel = Kernel()
    register_all(kernel)
    return kernel


def default_kernel() -> Kernel:
    """The process's in-process kernel, started on first use and stopped at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = new_kernel()
            _default.start()
            atexit.register(_stop_default)
        return _default


def _stop_default() -> None:
    global _default
    with _default_lock:
        kernel, _default = _default, None
    if kernel is not None:
        kernel.stop()
