"""ng_hub.h: the ``hub`` node type, which sends each packet out of every other hook."""

from __future__ import annotations

from ..nodetype import Command, Hooks, NgType

NG_HUB_NODE_TYPE = "hub"
NGM_HUB_COOKIE = 1082189597
NGM_HUB_SET_PERSISTENT = 1

TYPE = NgType(
    name=NG_HUB_NODE_TYPE,
    cookie=NGM_HUB_COOKIE,
    commands=(Command(NGM_HUB_SET_PERSISTENT, "setpersistent"),),
    hooks=Hooks(any_name=True),
    summary="packet distribution hub: a packet in on one hook goes out on every other",
)
