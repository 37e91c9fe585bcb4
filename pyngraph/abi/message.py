"""``struct ng_mesg``: the 56-byte netgraph message header followed by the arguments."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Tuple, Union

from .constants import NG_CMDSTRSIZ, NG_VERSION, NGF_RESP
from .fields import DECODED, ENCODED, decode_fixed_cached, einval, encode_fixed_cached

Buffer = Union[bytes, bytearray, memoryview]

# version, spare, spare2, arglen, cmd, flags, token, typecookie, cmdstr
_HEADER = struct.Struct(f"=BBHIIIII{NG_CMDSTRSIZ}s")
HEADER_SIZE = _HEADER.size
assert HEADER_SIZE == 56

_encoded_cmdstr = ENCODED[NG_CMDSTRSIZ]
_decoded_cmdstr = DECODED


def encode_message(cmd: int, typecookie: int, data: Buffer = b"", flags: int = 0, token: int = 0,
                   cmdstr: str = "") -> bytes:
    """``NgMesg(cmd, typecookie, data, flags, token, cmdstr).encode()`` without the object."""
    try:
        header = _HEADER.pack(NG_VERSION, 0, 0, len(data), cmd, flags, token, typecookie,
                              _encoded_cmdstr.get(cmdstr) or encode_fixed_cached(cmdstr, NG_CMDSTRSIZ, "cmdstr"))
    except struct.error as exc:
        raise einval(f"message header field out of range: {exc}") from None
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
        try:
            header = _HEADER.pack(
                self.version, self.spare, self.spare2, len(self.data), self.cmd,
                self.flags, self.token, self.typecookie,
                _encoded_cmdstr.get(self.cmdstr) or encode_fixed_cached(self.cmdstr, NG_CMDSTRSIZ, "cmdstr"),
            )
        except struct.error as exc:
            raise einval(f"message header field out of range: {exc}") from None
        return header + bytes(self.data)

    __bytes__ = encode

    @classmethod
    def decode_header(cls, buf: Buffer) -> Tuple["NgMesg", int]:
        """Decode the header only: ``(message without data, arglen)``; arglen is not checked."""
        if len(buf) < HEADER_SIZE:
            raise einval(f"message of {len(buf)} bytes is shorter than the {HEADER_SIZE}-byte header")
        version, spare, spare2, arglen, cmd, flags, token, cookie, cmdstr = _HEADER.unpack_from(buf)
        if version != NG_VERSION:
            raise einval(f"message version {version}, expected {NG_VERSION}")
        text = _decoded_cmdstr.get(cmdstr) or decode_fixed_cached(cmdstr)
        return cls(cmd, cookie, b"", flags, token, text, version, spare, spare2), arglen

    @classmethod
    def decode(cls, buf: Buffer) -> "NgMesg":
        """Decode a whole message; ``arglen`` must equal the bytes after the header."""
        size = len(buf)
        if size < HEADER_SIZE:
            raise einval(f"message of {size} bytes is shorter than the {HEADER_SIZE}-byte header")
        version, spare, spare2, arglen, cmd, flags, token, cookie, cmdstr = _HEADER.unpack_from(buf)
        if version != NG_VERSION:
            raise einval(f"message version {version}, expected {NG_VERSION}")
        if arglen != size - HEADER_SIZE:
            raise einval(f"arglen {arglen} but {size - HEADER_SIZE} argument bytes follow the header")
        text = _decoded_cmdstr.get(cmdstr) or decode_fixed_cached(cmdstr)
        return cls(cmd, cookie, bytes(buf[HEADER_SIZE:]), flags, token, text, version, spare, spare2)

    def reply(self, data: bytes = b"") -> "NgMesg":
        """The reply FreeBSD builds: same cmd, cookie, token and cmdstr; flags NGF_RESP."""
        return NgMesg(self.cmd, self.typecookie, bytes(data), NGF_RESP, self.token, self.cmdstr)


__all__ = ["HEADER_SIZE", "NgMesg", "encode_message"]
