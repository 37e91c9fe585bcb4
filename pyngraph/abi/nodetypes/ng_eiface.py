"""ng_eiface.h: the ``eiface`` node type, an Ethernet interface (``ngeth0``) with one hook."""

from __future__ import annotations

from ..constants import ETHER_ADDR_LEN
from ...fbsd_errno import Errno
from ..nodetype import Command, Hooks, NgType, Special
from ..schema import Octets

NG_EIFACE_NODE_TYPE = "eiface"
NGM_EIFACE_COOKIE = 948105892
NG_EIFACE_EIFACE_NAME = "ngeth"
NG_EIFACE_HOOK_ETHER = "ether"
NGM_EIFACE_GET_IFNAME = 1
NGM_EIFACE_GET_IFADDRS = 2
NGM_EIFACE_SET = 3

TYPE = NgType(
    name=NG_EIFACE_NODE_TYPE,
    cookie=NGM_EIFACE_COOKIE,
    commands=(  # GET_IFADDRS has no ASCII form in FreeBSD's list
        Command(NGM_EIFACE_GET_IFNAME, "getifname", None, Special.CSTRING),
        Command(NGM_EIFACE_SET, "set", Octets(ETHER_ADDR_LEN, enaddr=True)),
    ),
    hooks=Hooks(names=(NG_EIFACE_HOOK_ETHER,), refusal=Errno.EPFNOSUPPORT),
    summary="Ethernet interface: frames the host sends on ngethN leave by the ether hook, and come in by it",
)
