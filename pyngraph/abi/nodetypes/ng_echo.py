"""ng_echo.h: the ``echo`` node type, which sends every packet and message back."""

from __future__ import annotations

from ..nodetype import Hooks, NgType

NG_ECHO_NODE_TYPE = "echo"
NGM_ECHO_COOKIE = 884298942

TYPE = NgType(
    name=NG_ECHO_NODE_TYPE,
    cookie=NGM_ECHO_COOKIE,
    commands=(),
    hooks=Hooks(any_name=True),
    summary="echo: returns each packet by the hook it came in on, each message to its sender",
)
