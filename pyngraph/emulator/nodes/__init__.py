"""The emulated node types, one module per type, each exporting ``NODE_TYPE``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..kernel import Kernel

TYPE_MODULES = ("socket", "ksocket", "hub", "echo", "hole", "tee",
                "iface", "eiface", "ether", "bridge", "one2many", "vlan")


def register_all(kernel: "Kernel") -> None:
    """Install every node type in ``TYPE_MODULES`` that exists in this tree."""
    for name in TYPE_MODULES:
        qualified = f"{__name__}.{name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
            continue
        kernel.register_type(module.NODE_TYPE)
