"""Each node type's declaration, one module per FreeBSD header (``ng_hub.h`` -> :mod:`.ng_hub`).

A module holds the type's constants, the structs its messages carry and
``TYPE``, its :class:`~pyngraph.abi.nodetype.NgType`; :mod:`.generic` the
commands every node answers.  :data:`DECLARED` lists them by type name.
"""

from __future__ import annotations

from types import ModuleType
from typing import Dict, Tuple

from . import (
    ng_bridge, ng_echo, ng_eiface, ng_ether, ng_hole, ng_hub, ng_iface, ng_ksocket, ng_one2many, ng_socket,
    ng_tee, ng_vlan,
)
from ..nodetype import NgType

HEADERS: Tuple[ModuleType, ...] = (
    ng_socket, ng_ksocket, ng_hub, ng_echo, ng_hole, ng_tee, ng_iface, ng_eiface, ng_ether, ng_bridge,
    ng_one2many, ng_vlan)
"""The declaration modules; adding a node type adds its module here."""

DECLARED: Dict[str, NgType] = {header.TYPE.name: header.TYPE for header in HEADERS}
"""Every declared node type, by name."""

__all__ = ["DECLARED", "HEADERS"]
