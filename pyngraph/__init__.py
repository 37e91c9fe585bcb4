"""pyngraph: FreeBSD netgraph from Python, with a userspace emulation for other hosts.

The high-level API (``SockNode``, ``KSocket``, the events) is re-exported here and
imported on first use, so ``import pyngraph`` stays cheap for the CLI and the codecs.
"""

from __future__ import annotations

from typing import Any

from .version import __version__

_API = ("AcceptEvent", "Accepted", "ConnectEvent", "EIface", "Ether", "Event", "Iface", "KSocket", "MessageEvent", "NodeRef",
        "PathRef", "SockNode")

__all__ = [*_API, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'pyngraph' has no attribute {name!r}")
