"""Replies as Python values: the codecs pyngraph knows, else the ASCII text parsed."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

from ..abi import constants as C
from ..abi.nodetypes import ng_ksocket
from ..abi.args import HookList, NameList, NodeInfo, TypeList
from ..abi.nodetypes.ng_ksocket import AcceptReply, Sockopt
from ..abi.message import HEADER_SIZE, NgMesg
from ..abi.sockaddr import decode_sockaddr
from ..ascii import CMDLISTS
from .asciivalue import parse_text


@dataclass(frozen=True)
class Reply:
    """A decoded reply: the message, its sender, the command's ASCII name, text and value."""

    msg: NgMesg
    path: str
    command: str
    text: Optional[str]
    value: Any


def _string(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("latin-1")


def _message(data: bytes) -> NgMesg:
    inner, arglen = NgMesg.decode_header(data)
    inner.data = bytes(data[HEADER_SIZE:HEADER_SIZE + arglen])
    return inner


_G, _K = C.NGM_GENERIC_COOKIE, ng_ksocket.NGM_KSOCKET_COOKIE
_DECODERS: Dict[Tuple[int, int], Callable[[bytes], Any]] = {
    (_G, C.NGM_NODEINFO): NodeInfo.decode,
    (_G, C.NGM_LISTHOOKS): HookList.decode,
    (_G, C.NGM_LISTNAMES): lambda data: NameList.decode(data).nodes,
    (_G, C.NGM_LISTNODES): lambda data: NameList.decode(data).nodes,
    (_G, C.NGM_LISTTYPES): lambda data: TypeList.decode(data).types,
    (_G, C.NGM_TEXT_STATUS): _string,
    (_G, C.NGM_TEXT_CONFIG): _string,
    (_G, C.NGM_ASCII2BINARY): _message,
    (_G, C.NGM_BINARY2ASCII): _message,
    (_K, ng_ksocket.NGM_KSOCKET_GETNAME): decode_sockaddr,
    (_K, ng_ksocket.NGM_KSOCKET_GETPEERNAME): decode_sockaddr,
    (_K, ng_ksocket.NGM_KSOCKET_GETOPT): Sockopt.decode,
    (_K, ng_ksocket.NGM_KSOCKET_ACCEPT): AcceptReply.decode,
    (_K, ng_ksocket.NGM_KSOCKET_CONNECT): lambda data: int.from_bytes(data, sys.byteorder, signed=True),
}

#: Replies that come later, as events, not as the answer of the request.
ASYNC_REPLIES = frozenset({(_K, ng_ksocket.NGM_KSOCKET_CONNECT), (_K, ng_ksocket.NGM_KSOCKET_ACCEPT)})


def value_of(msg: NgMesg, text: Optional[str]) -> Any:
    """The Python value of a reply: a pyngraph codec's result, else ``text`` parsed, else the bytes."""
    decoder = _DECODERS.get((msg.typecookie, msg.cmd))
    if decoder is not None:
        try:
            return decoder(msg.data)
        except (OSError, ValueError):
            pass
    if text:
        try:
            return parse_text(text)
        except ValueError:
            return text
    return bytes(msg.data)


def expects_reply(cookie: int, cmd: int) -> bool:
    """Whether a request has an immediate reply: NGM_HASREPLY, or a known command with a reply type."""
    if cmd & C.NGM_HASREPLY:
        return True
    if (cookie, cmd) in ASYNC_REPLIES:
        return False
    for cmdlist in CMDLISTS.values():
        found = cmdlist.by_number(cookie, cmd)
        if found is not None:
            return found.reply is not None
    return False


__all__ = ["ASYNC_REPLIES", "Reply", "expects_reply", "value_of"]
