"""ng_socket.h: the ``socket`` node type, a PF_NETGRAPH control and data socket pair."""

from __future__ import annotations

from ..nodetype import Hooks, NgType

NG_SOCKET_NODE_TYPE = "socket"
NGM_SOCKET_COOKIE = 851601233
NGM_SOCK_CMD_NOLINGER = 1
NGM_SOCK_CMD_LINGER = 2
NG_DATA = 1
NG_CONTROL = 2
NGSA_OVERHEAD = 2

TYPE = NgType(
    name=NG_SOCKET_NODE_TYPE,
    cookie=NGM_SOCKET_COOKIE,
    commands=(),  # NOLINGER/LINGER have no ASCII form in FreeBSD's list
    hooks=Hooks(any_name=True),
    summary="a user's PF_NETGRAPH sockets: messages on the control socket, each hook's data on the data socket",
)
