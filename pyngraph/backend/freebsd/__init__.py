"""The FreeBSD backends: libnetgraph through ctypes, and PF_NETGRAPH sockets through libc.

``LibNetgraph`` is the "freebsd" backend; ``PfNetgraphTransport`` is the
transport under the Python libnetgraph for "freebsd-sockets".  Both refuse to
start anywhere but FreeBSD; :func:`check_ready` explains what is missing.
"""

from __future__ import annotations

from .libng import LibNetgraph
from .ngsocket import PfNetgraphTransport
from .ready import NotReadyError, available, check_ready

__all__ = ["LibNetgraph", "NotReadyError", "PfNetgraphTransport", "available", "check_ready"]
