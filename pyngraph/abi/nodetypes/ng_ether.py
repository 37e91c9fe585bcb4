"""ng_ether.h: the ``ether`` node type, attached to an existing Ethernet interface."""

from __future__ import annotations

from ..constants import ETHER_ADDR_LEN
from ..nodetype import Command, Hooks, NgType, Special
from ..schema import Octets, int32_t

NG_ETHER_NODE_TYPE = "ether"
NGM_ETHER_COOKIE = 917786906
NG_ETHER_HOOK_LOWER = "lower"
NG_ETHER_HOOK_UPPER = "upper"
NG_ETHER_HOOK_DIVERT = "divert"
NG_ETHER_HOOK_ORPHAN = "orphans"
NGM_ETHER_GET_IFNAME = 1
NGM_ETHER_GET_IFINDEX = 2
NGM_ETHER_GET_ENADDR = 3
NGM_ETHER_SET_ENADDR = 4
NGM_ETHER_GET_PROMISC = 5
NGM_ETHER_SET_PROMISC = 6
NGM_ETHER_GET_AUTOSRC = 7
NGM_ETHER_SET_AUTOSRC = 8
NGM_ETHER_ADD_MULTI = 9
NGM_ETHER_DEL_MULTI = 10
NGM_ETHER_DETACH = 11

_ENADDR = Octets(ETHER_ADDR_LEN, enaddr=True)

TYPE = NgType(
    name=NG_ETHER_NODE_TYPE,
    cookie=NGM_ETHER_COOKIE,
    commands=(
        Command(NGM_ETHER_GET_IFNAME, "getifname", None, Special.CSTRING),
        Command(NGM_ETHER_GET_IFINDEX, "getifindex", None, int32_t),
        Command(NGM_ETHER_GET_ENADDR, "getenaddr", None, _ENADDR),
        Command(NGM_ETHER_SET_ENADDR, "setenaddr", _ENADDR),
        Command(NGM_ETHER_GET_PROMISC, "getpromisc", None, int32_t),
        Command(NGM_ETHER_SET_PROMISC, "setpromisc", int32_t),
        Command(NGM_ETHER_GET_AUTOSRC, "getautosrc", None, int32_t),
        Command(NGM_ETHER_SET_AUTOSRC, "setautosrc", int32_t),
        Command(NGM_ETHER_ADD_MULTI, "addmulti", _ENADDR),
        Command(NGM_ETHER_DEL_MULTI, "delmulti", _ENADDR),
        Command(NGM_ETHER_DETACH, "detach"),
    ),
    hooks=Hooks(names=(NG_ETHER_HOOK_LOWER, NG_ETHER_HOOK_UPPER, NG_ETHER_HOOK_DIVERT, NG_ETHER_HOOK_ORPHAN)),
    summary="Ethernet attachment: the interface's frames from the wire (lower) and from the host (upper)",
)
