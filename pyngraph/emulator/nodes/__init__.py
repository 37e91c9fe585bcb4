"""The emulated node types: for each declared type, the module of its name, exporting ``NODE_TYPE``."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ...abi.nodetypes import DECLARED

if TYPE_CHECKING:
    from ..kernel import Kernel

TYPE_MODULES = tuple(DECLARED)
"""A module per declared node type (:data:`pyngraph.abi.nodetypes.DECLARED`), named as the type."""


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
