"""ng_iface.h: the ``iface`` node type, a point-to-point interface (``ng0``) with a hook per family."""

from __future__ import annotations

from ...fbsd_errno import Errno
from ..nodetype import Command, Hooks, NgType, Special
from ..schema import u_int32_t

NG_IFACE_NODE_TYPE = "iface"
NGM_IFACE_COOKIE = 1108312559
NG_IFACE_IFACE_NAME = "ng"
NG_IFACE_HOOK_INET = "inet"
NG_IFACE_HOOK_INET6 = "inet6"
NG_IFACE_MTU_MIN = 72
NG_IFACE_MTU_MAX = 65535
NG_IFACE_MTU_DEFAULT = 1500
NGM_IFACE_GET_IFNAME = 1
NGM_IFACE_POINT2POINT = 2
NGM_IFACE_BROADCAST = 3
NGM_IFACE_GET_IFINDEX = 4

TYPE = NgType(
    name=NG_IFACE_NODE_TYPE,
    cookie=NGM_IFACE_COOKIE,
    commands=(
        Command(NGM_IFACE_GET_IFNAME, "getifname", None, Special.CSTRING),
        Command(NGM_IFACE_POINT2POINT, "point2point"),
        Command(NGM_IFACE_BROADCAST, "broadcast"),
        Command(NGM_IFACE_GET_IFINDEX, "getifindex", None, u_int32_t),
    ),
    hooks=Hooks(names=(NG_IFACE_HOOK_INET, NG_IFACE_HOOK_INET6), refusal=Errno.EPFNOSUPPORT),
    summary="interface: packets the host routes to ngN leave by the family's hook, and come in by it",
)
