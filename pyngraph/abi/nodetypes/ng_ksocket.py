"""ng_ksocket.h: the ``ksocket`` node type, a kernel socket that is a netgraph node."""

from __future__ import annotations

from typing import Annotated

from ..args import SockaddrHead
from ..nodetype import Command, Hooks, NgType, Special
from ..schema import Rest, Struct, int32_t, ng_ID_t
from ..sockaddr import Sockaddr, decode_sockaddr

NG_KSOCKET_NODE_TYPE = "ksocket"
NGM_KSOCKET_COOKIE = 942710669
NGM_KSOCKET_BIND = 1
NGM_KSOCKET_LISTEN = 2
NGM_KSOCKET_ACCEPT = 3
NGM_KSOCKET_CONNECT = 4
NGM_KSOCKET_GETNAME = 5
NGM_KSOCKET_GETPEERNAME = 6
NGM_KSOCKET_SETOPT = 7
NGM_KSOCKET_GETOPT = 8
NG_KSOCKET_MAX_OPTLEN = 1024
NG_KSOCKET_TAG_SOCKADDR = 1


class Sockopt(Struct, c_name="ng_ksocket_sockopt"):
    """SETOPT / GETOPT: FreeBSD level and name, then the value bytes."""

    level: Annotated[int, int32_t]
    name: Annotated[int, int32_t]
    value: Annotated[bytes, Rest()] = b""


class AcceptReply(Struct, c_name="ng_ksocket_accept"):
    """The ACCEPT reply: the new node's ID, then the peer's sockaddr (``4 + sa_len`` bytes, kept raw)."""

    nodeid: Annotated[int, ng_ID_t]
    addr: Annotated[bytes, Rest(layout=SockaddrHead, sockaddr=True)]

    def sockaddr(self) -> Sockaddr:
        """The peer address decoded (see ``decode_sockaddr``)."""
        return decode_sockaddr(self.addr)


TYPE = NgType(
    name=NG_KSOCKET_NODE_TYPE,
    cookie=NGM_KSOCKET_COOKIE,
    commands=(
        Command(NGM_KSOCKET_BIND, "bind", Special.SOCKADDR),
        Command(NGM_KSOCKET_LISTEN, "listen", int32_t),
        Command(NGM_KSOCKET_ACCEPT, "accept", None, AcceptReply),
        Command(NGM_KSOCKET_CONNECT, "connect", Special.SOCKADDR, int32_t),
        Command(NGM_KSOCKET_GETNAME, "getname", None, Special.SOCKADDR),
        Command(NGM_KSOCKET_GETPEERNAME, "getpeername", None, Special.SOCKADDR),
        Command(NGM_KSOCKET_SETOPT, "setopt", Sockopt),
        Command(NGM_KSOCKET_GETOPT, "getopt", Sockopt, Sockopt),
    ),
    hooks=Hooks(grammar="<family>/<type>/<proto> (one hook)"),
    summary="kernel socket: the one hook's packets are the data of a socket the node owns",
)
