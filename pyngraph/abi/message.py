"""``struct ng_mesg``: the netgraph message header followed by the arguments."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Annotated, Tuple, Union

from .constants import NG_CMDSTRSIZ, NG_VERSION, NGF_RESP
from ..errors import InvalidArgumentError
from .schema import FLAT, Rest, Struct, char, einval, u_char, u_int16_t, u_int32_t

Buffer = Union[bytes, bytearray, memoryview]


class MsgHdr(Struct, c_name="ng_msghdr"):
    """``struct ng_msghdr``; :class:`NgMesg` is its Python face, coded by ``MsgHdr.STRUCT``."""

    version: Annotated[int, u_char]
    spare: Annotated[int, u_char]
    spare2: Annotated[int, u_int16_t]
    arglen: Annotated[int, u_int32_t]
    cmd: Annotated[int, u_int32_t]
    flags: Annotated[int, u_int32_t.hex]
    token: Annotated[int, u_int32_t]
    typecookie: Annotated[int, u_int32_t]
    cmdstr: Annotated[str, char[NG_CMDSTRSIZ]]


class Mesg(Struct, c_name="ng_mesg"):
    """``struct ng_mesg``: the header, then ``header.arglen`` bytes of arguments."""

    header: Annotated[MsgHdr, MsgHdr, FLAT]
    data: Annotated[bytes, Rest(count="header.arglen")]


HEADER_SIZE = MsgHdr.SIZE
_HEADER = MsgHdr.STRUCT
_CMDSTR_MAX = NG_CMDSTRSIZ - 1


def _cmdstr(value: str) -> bytes:
    raw = value.encode("latin-1")
    if len(raw) > _CMDSTR_MAX or 0 in raw:
        raise ValueError(value)
    return raw


def _header_error(cmdstr: object, exc: Exception) -> InvalidArgumentError:
    """Why a header does not encode: the cmdstr (checked as a char field) or an integer out of range."""
    try:
        MsgHdr(0, 0, 0, 0, 0, 0, 0, 0, cmdstr).encode()  # type: ignore[arg-type]
    except InvalidArgumentError as err:
        return err
    return einval(f"message header field out of range: {exc}")


def encode_message(cmd: int, typecookie: int, data: Buffer = b"", flags: int = 0, token: int = 0,
                   cmdstr: str = "") -> bytes:
    """``NgMesg(cmd, typecookie, data, flags, token, cmdstr).encode()`` without the object."""
    try:
        header = _HEADER.pack(NG_VERSION, 0, 0, len(data), cmd, flags, token, typecookie, _cmdstr(cmdstr))
    except (struct.error, ValueError, AttributeError) as exc:
        raise _header_error(cmdstr, exc) from None
    return header + data


@dataclass
class NgMesg:
    """One netgraph control message; ``data`` holds the ``arglen`` argument bytes."""

    cmd: int
    typecookie: int
    data: bytes = b""
    flags: int = 0
    token: int = 0
    cmdstr: str = ""
    version: int = NG_VERSION
    spare: int = 0
    spare2: int = 0

    @property
    def arglen(self) -> int:
        return len(self.data)

    @property
    def is_response(self) -> bool:
        return bool(self.flags & NGF_RESP)

    def encode(self) -> bytes:
        """The message in FreeBSD's host-order wire form (header + data)."""
        data = self.data
        try:
            cmdstr = self.cmdstr.encode("latin-1")
            if len(cmdstr) > _CMDSTR_MAX or 0 in cmdstr:
                raise ValueError(cmdstr)
            header = _HEADER.pack(self.version, self.spare, self.spare2, len(data), self.cmd,
                                  self.flags, self.token, self.typecookie, cmdstr)
        except (struct.error, ValueError, AttributeError) as exc:
            raise _header_error(self.cmdstr, exc) from None
        return header + (data if type(data) is bytes else bytes(data))

    __bytes__ = encode

    @staticmethod
    def decode_header(buf: Buffer) -> Tuple["NgMesg", int]:
        """Decode the header only: ``(message without data, arglen)``; arglen is not checked."""
        try:
            version, spare, spare2, arglen, cmd, flags, token, cookie, cmdstr = _HEADER.unpack_from(buf)
        except struct.error:
            raise _short(buf) from None
        if version != NG_VERSION:
            raise _version(version)
        return NgMesg(cmd, cookie, b"", flags, token, cmdstr.partition(b"\0")[0].decode("latin-1"), version, spare,
                      spare2), arglen

    @staticmethod
    def decode(buf: Buffer) -> "NgMesg":
        """Decode a whole message; ``arglen`` must equal the bytes after the header."""
        try:
            version, spare, spare2, arglen, cmd, flags, token, cookie, cmdstr = _HEADER.unpack_from(buf)
        except struct.error:
            raise _short(buf) from None
        if version != NG_VERSION:
            raise _version(version)
        data = buf[HEADER_SIZE:]
        if arglen != len(data):
            raise einval(f"arglen {arglen} but {len(data)} argument bytes follow the header")
        msg = _new(NgMesg)  # the fields set one by one: no keyword-argument __init__
        msg.cmd = cmd
        msg.typecookie = cookie
        msg.data = data if type(data) is bytes else bytes(data)
        msg.flags = flags
        msg.token = token
        msg.cmdstr = cmdstr.partition(b"\0")[0].decode("latin-1")
        msg.version = version
        msg.spare = spare
        msg.spare2 = spare2
        return msg

    def reply(self, data: bytes = b"") -> "NgMesg":
        """The reply FreeBSD builds: same cmd, cookie, token and cmdstr; flags NGF_RESP."""
        return NgMesg(self.cmd, self.typecookie, bytes(data), NGF_RESP, self.token, self.cmdstr)


_new = object.__new__


def _short(buf: Buffer) -> InvalidArgumentError:
    """The error for a buffer shorter than the header."""
    return einval(f"message of {len(buf)} bytes is shorter than the {HEADER_SIZE}-byte header")


def _version(version: int) -> InvalidArgumentError:
    """The error for a header of another netgraph version."""
    return einval(f"message version {version}, expected {NG_VERSION}")


__all__ = ["HEADER_SIZE", "Mesg", "MsgHdr", "NgMesg", "encode_message"]
