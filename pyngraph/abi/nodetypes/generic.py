"""The generic commands every node answers (``ng_message.h``; FreeBSD's ``ng_generic_cmds``)."""

from __future__ import annotations

from typing import Tuple

from .. import constants as C
from ..args import Connect, HookList, Mkpeer, Name, NameList, NodeInfo, Rmhook, TypeList
from ..nodetype import Command, Special

COMMANDS: Tuple[Command, ...] = (
    Command(C.NGM_SHUTDOWN, "shutdown"),
    Command(C.NGM_MKPEER, "mkpeer", Mkpeer),
    Command(C.NGM_CONNECT, "connect", Connect),
    Command(C.NGM_NAME, "name", Name),
    Command(C.NGM_RMHOOK, "rmhook", Rmhook),
    Command(C.NGM_NODEINFO, "nodeinfo", None, NodeInfo),
    Command(C.NGM_LISTHOOKS, "listhooks", None, HookList),
    Command(C.NGM_LISTNAMES, "listnames", None, NameList),
    Command(C.NGM_LISTNODES, "listnodes", None, NameList),
    Command(C.NGM_LISTTYPES, "listtypes", None, TypeList),
    Command(C.NGM_TEXT_CONFIG, "textconfig", None, Special.CSTRING),
    Command(C.NGM_TEXT_STATUS, "textstatus", None, Special.CSTRING),
    Command(C.NGM_ASCII2BINARY, "ascii2binary", Special.MESG, Special.MESG),
    Command(C.NGM_BINARY2ASCII, "binary2ascii", Special.MESG, Special.MESG),
)
"""Searched after the target node type's own list (``NGM_GENERIC_COOKIE``)."""
