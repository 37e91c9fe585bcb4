"""ASCII <-> binary conversion of whole control messages, as a FreeBSD node does it.

The command is looked up in the target node type's list first, then in the
generic list (ENOSYS when absent).  A request uses the command's request
type, a reply (``NGF_RESP``) its reply type; no type means no argument (the
text is then ignored).  Text after a complete value is ignored, as in
FreeBSD.

``kernel_ascii2binary`` and ``kernel_binary2ascii`` are the generic
NGM_ASCII2BINARY / NGM_BINARY2ASCII handlers of the emulated kernel: they take
and return complete ``struct ng_mesg`` bytes.
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

from ..abi.constants import NG_CMDSTRSIZ, NGF_RESP, Errno
from ..abi.message import HEADER_SIZE, MsgHdr, NgMesg
from ..errors import NetgraphError
from .cmdlists import CMDLISTS, GENERIC, Cmd, CmdList
from .types import BUFSIZE, ParseContext, UnparseContext

CmdListLike = Union[CmdList, str, None]

_HEADER = MsgHdr.RAW  # version, spare, spare2, arglen, cmd, flags, token, typecookie, cmdstr


def cmdlist_of(cmdlist_or_typename: CmdListLike) -> Optional[CmdList]:
    """A node type's own list: given, or by type name (None, or unknown: generic only)."""
    if isinstance(cmdlist_or_typename, CmdList):
        return cmdlist_or_typename
    if cmdlist_or_typename is None:
        return None
    return CMDLISTS.get(cmdlist_or_typename)


def find_by_name(cmdlist_or_typename: CmdListLike, name: str) -> Cmd:
    """The command called ``name`` at a node of this type; ENOSYS if there is none."""
    own = cmdlist_of(cmdlist_or_typename)
    found = (own.by_name(name) if own is not None else None) or GENERIC.by_name(name)
    if found is None:
        raise NetgraphError.from_fbsd(Errno.ENOSYS, f"no command {name!r} at a {_typename(own)} node",
                                      command=name)
    return found


def find_by_number(cmdlist_or_typename: CmdListLike, cookie: int, cmd: int) -> Cmd:
    """The command (cookie, cmd) at a node of this type; ENOSYS if there is none."""
    own = cmdlist_of(cmdlist_or_typename)
    found = (own.by_number(cookie, cmd) if own is not None else None) or GENERIC.by_number(cookie, cmd)
    if found is None:
        raise NetgraphError.from_fbsd(
            Errno.ENOSYS, f"no command {cmd} of cookie {cookie} at a {_typename(own)} node"
        )
    return found


def _typename(own: Optional[CmdList]) -> str:
    return own.typename if own is not None else "generic"


def _parse_raw(cmd: Cmd, text: bytes, response: bool, arglen: int) -> bytes:
    argtype = cmd.argtype(response)
    if argtype is None:
        return b""
    ctx = ParseContext(text, arglen, command=cmd.name)
    out = bytearray()
    argtype.parse(ctx, 0, out)
    ctx.room(out, 0)
    return bytes(out)


def _unparse_raw(cmd: Cmd, data: bytes, response: bool, arglen: int) -> str:
    argtype = cmd.argtype(response)
    if argtype is None:
        return ""
    ctx = UnparseContext(arglen, command=cmd.name)
    argtype.unparse(ctx, data, 0)
    return ctx.text()


def parse_args(cmd: Cmd, text: str, *, response: bool = False, arglen: Optional[int] = None) -> bytes:
    """The binary arguments of ``cmd`` written as ``text``.

    ``arglen`` is the header arglen the kernel sees; by default, as libnetgraph
    sends it, the text's length + 1 (it sizes the sockopt value).
    """
    raw = text.encode("utf-8", "surrogateescape")
    return _parse_raw(cmd, raw, response, len(raw) + 1 if arglen is None else arglen)


def unparse_args(cmd: Cmd, data: bytes, *, response: bool = False, arglen: Optional[int] = None) -> str:
    """The text form of ``cmd``'s binary arguments (``arglen`` defaults to ``len(data)``)."""
    return _unparse_raw(cmd, bytes(data), response, len(data) if arglen is None else arglen)


def ascii_to_binary(
    cmdlist_or_typename: CmdListLike,
    cmdstr: str,
    text: str,
    *,
    response: bool = False,
    token: int = 0,
    arglen: Optional[int] = None,
) -> NgMesg:
    """The binary message for ``cmdstr text`` sent to a node of the given type."""
    cmd = find_by_name(cmdlist_or_typename, cmdstr)
    data = parse_args(cmd, text, response=response, arglen=arglen)
    return NgMesg(cmd.cmd, cmd.cookie, data, NGF_RESP if response else 0, token, cmd.name)


def binary_to_ascii(msg: NgMesg, cmdlist_or_typename: CmdListLike) -> str:
    """The text form of ``msg``'s arguments at a node of the given type."""
    return format_message(msg, cmdlist_or_typename)[1]


def format_message(msg: NgMesg, cmdlist_or_typename: CmdListLike) -> Tuple[str, str]:
    """``(command name, argument text)`` of ``msg``, as ngctl shows it."""
    cmd = find_by_number(cmdlist_or_typename, msg.typecookie, msg.cmd)
    return cmd.name, unparse_args(cmd, msg.data, response=msg.is_response)


# --- the kernel's generic NGM_ASCII2BINARY / NGM_BINARY2ASCII handlers ----------------

def _einval(what: str, command: str) -> NetgraphError:
    return NetgraphError.from_fbsd(Errno.EINVAL, what, command=command)


def kernel_ascii2binary(cmdlist: CmdListLike, inner: bytes) -> bytes:
    """NGM_ASCII2BINARY at a node with ``cmdlist``: ASCII ``ng_mesg`` bytes -> binary ones.

    ``inner`` is the request's whole argument.  The header is copied (version,
    flags, token, cmdstr as given); cmd and cookie come from the command
    found by ``cmdstr``; arglen is the binary length.
    """
    inner = bytes(inner)
    if len(inner) < HEADER_SIZE + 1:
        raise _einval(f"argument of {len(inner)} bytes is shorter than a message with text",
                      "ascii2binary")
    version, spare, spare2, arglen, _, flags, token, _, cmdstr = _HEADER.unpack_from(inner)
    if arglen < 1 or len(inner) < HEADER_SIZE + arglen:
        raise _einval(f"inner arglen {arglen} does not fit the {len(inner) - HEADER_SIZE} bytes "
                      "after the header", "ascii2binary")
    end = cmdstr.find(0)
    if end < 0:
        raise NetgraphError.from_fbsd(Errno.ENOSYS, "command name is not NUL-terminated",
                                      command="ascii2binary")
    cmd = find_by_name(cmdlist, cmdstr[:end].decode("latin-1"))
    text = inner[HEADER_SIZE:HEADER_SIZE + arglen - 1]  # the last byte is forced to NUL
    data = _parse_raw(cmd, text, bool(flags & NGF_RESP), arglen)
    header = _HEADER.pack(version, spare, spare2, len(data), cmd.cmd, flags, token, cmd.cookie, cmdstr)
    return header + data


def kernel_binary2ascii(cmdlist: CmdListLike, inner: bytes) -> bytes:
    """NGM_BINARY2ASCII at a node with ``cmdlist``: binary ``ng_mesg`` bytes -> ASCII ones.

    The header is copied; ``cmdstr`` gets the command's name (written over
    the start of the old one, as ``snprintf`` does); the data is the
    NUL-terminated text and arglen its length + 1.
    """
    inner = bytes(inner)
    if len(inner) < HEADER_SIZE:
        raise _einval(f"argument of {len(inner)} bytes is shorter than a message header",
                      "binary2ascii")
    version, spare, spare2, arglen, cmdnum, flags, token, cookie, cmdstr = _HEADER.unpack_from(inner)
    if len(inner) - HEADER_SIZE < arglen:
        raise _einval(f"inner arglen {arglen} exceeds the {len(inner) - HEADER_SIZE} bytes "
                      "after the header", "binary2ascii")
    cmd = find_by_number(cmdlist, cookie, cmdnum)
    name = cmd.name.encode("latin-1")[:NG_CMDSTRSIZ - 1] + b"\0"
    cmdstr = name + cmdstr[len(name):]
    text = _unparse_raw(cmd, inner[HEADER_SIZE:HEADER_SIZE + arglen], bool(flags & NGF_RESP), arglen)
    data = text.encode("ascii") + b"\0"
    header = _HEADER.pack(version, spare, spare2, len(data), cmdnum, flags, token, cookie, cmdstr)
    return header + data


__all__ = [
    "BUFSIZE", "ascii_to_binary", "binary_to_ascii", "cmdlist_of", "find_by_name",
    "find_by_number", "format_message", "kernel_ascii2binary", "kernel_binary2ascii",
    "parse_args", "unparse_args",
]
