"""Showing what arrives unasked: control messages (ngctl's MsgRead) and data packets."""

from __future__ import annotations

from typing import Optional

from .. import libnetgraph as ng
from ..abi import HEADER_SIZE, NgMesg
from ..abi.constants import NGF_RESP, NGM_BINARY2ASCII, NGM_GENERIC_COOKIE
from .fmt import dump_ascii
from .session import Session


def signed32(value: int) -> int:
    """A u32 header field as C's ``%d`` prints it."""
    return value - (1 << 32) if value & 0x80000000 else value


def _kind(flags: int) -> str:
    return "response" if flags & NGF_RESP else "command"


def _as_ascii(session: Session, msg: NgMesg, path: str) -> Optional[str]:
    """Ask the sender to convert ``msg`` (BINARY2ASCII); None when it cannot."""
    try:
        token = ng.NgSendMsg(session.cs, path, NGM_GENERIC_COOKIE, NGM_BINARY2ASCII, bytes(msg))
        received = session.reply(token)
    except OSError:
        return None
    if received is None:
        return None
    body = received[0].data
    try:
        inner, arglen = NgMesg.decode_header(body[:HEADER_SIZE])
    except (OSError, ValueError):
        return None
    text = body[HEADER_SIZE:HEADER_SIZE + arglen].split(b"\0", 1)[0].decode("latin-1")
    args = f"Args:\t{text}\n" if text else "No arguments\n"
    return f"Rec'd {_kind(inner.flags)} \"{inner.cmdstr}\" ({signed32(inner.cmd)}) from \"{path}\":\n{args}"


def describe_message(session: Session, msg: NgMesg, path: str) -> str:
    """The text ngctl prints for a received control message (ASCII form when possible)."""
    text = _as_ascii(session, msg, path)
    if text is not None:
        return text
    head = f"Rec'd {_kind(msg.flags)} {signed32(msg.cmd)} from \"{path}\":\n"
    return head + (dump_ascii(msg.data) if msg.data else "No arguments\n")


def describe_data(data: bytes, hook: str) -> str:
    """The text ngctl prints for a data packet that arrived on one of its hooks."""
    return f"Rec'd data packet on hook \"{hook}\":\n" + dump_ascii(data)
