"""The FreeBSD netgraph ABI: constants, message header, argument codecs,
sockaddrs, the ksocket hook-name grammar and FreeBSD <-> host tables.

Pure data, no I/O.  Each struct is declared once (:mod:`.schema`, :mod:`.args`,
:mod:`.message`); ``structs`` (the ctypes layouts under their C names) is not
imported here; import ``pyngraph.abi.structs`` where the layouts are needed.
"""

from __future__ import annotations

from .args import Connect, HookList, LinkInfo, Mkpeer, Name, NameList, NodeInfo, Rmhook, TypeInfo, TypeList
from .nodetypes.ng_ksocket import AcceptReply, Sockopt
from .constants import Errno, Family, Proto, SockType
from .hookname import HookSpec, make_hookname, parse_hookname
from .message import HEADER_SIZE, NgMesg
from .sockaddr import Sockaddr, decode_sockaddr, encode_sockaddr
from .translate import (
    family_from_host,
    family_to_host,
    sockopt_to_host,
    sockopt_value_from_host,
    socktype_from_host,
    socktype_to_host,
)

__all__ = [
    "AcceptReply", "Connect", "HookList", "LinkInfo", "Mkpeer", "Name", "NameList", "NodeInfo",
    "Rmhook", "Sockopt", "TypeInfo", "TypeList",
    "Errno", "Family", "Proto", "SockType",
    "HookSpec", "make_hookname", "parse_hookname",
    "HEADER_SIZE", "NgMesg",
    "Sockaddr", "decode_sockaddr", "encode_sockaddr",
    "family_from_host", "family_to_host", "sockopt_to_host", "sockopt_value_from_host",
    "socktype_from_host", "socktype_to_host",
]
