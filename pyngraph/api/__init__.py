"""pyngraph's Python API: socket nodes, node references, ksockets, events.

Built only on :mod:`pyngraph.libnetgraph`, so it runs unchanged on FreeBSD
and on the emulated kernel.  Every method is written once over the operations
of :mod:`.ops` (:mod:`.runner`): these classes run them blocking,
:mod:`pyngraph.aio` offers the same classes on asyncio.

* :class:`SockNode`: our socket node (context manager; ``fileno()``);
  generic messages, ASCII ``msg``, data ``send``/``recv``, events.
* :class:`NodeRef`: a node addressed by path (:class:`PathRef`: the same without NGM_CONNECT, base of KSocket).
* :class:`KSocket`: an ng_ksocket node with ``bind``, ``listen``, ``connect``,
  ``accept``, ``getname``, ``setopt``/``getopt`` by FreeBSD option name.
* :class:`Iface`, :class:`EIface`, :class:`Ether`: interface nodes (make a
  tunnel interface, read its name, attach to an Ethernet interface).
* Events: :class:`ConnectEvent`, :class:`AcceptEvent`, :class:`MessageEvent`.
"""

from __future__ import annotations

from .events import AcceptEvent, ConnectEvent, Event, MessageEvent
from .ksocket import Accepted, KSocket, hookname
from .netif import EIface, Ether, Iface
from .noderef import NodeRef, PathRef
from .replies import Reply
from .socknode import SockNode
from .sockopt import IP, IPV6, SO, TCP, IpMreq, Ipv6Mreq, Level, Linger, SockoptOrderWarning

__all__ = [
    "AcceptEvent", "Accepted", "ConnectEvent", "EIface", "Ether", "Event", "IP", "Iface", "IPV6", "IpMreq", "Ipv6Mreq", "KSocket",
    "Level", "Linger", "MessageEvent", "NodeRef", "PathRef", "Reply", "SO", "SockNode", "SockoptOrderWarning", "TCP",
    "hookname",
]
