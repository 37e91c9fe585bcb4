"""``struct ng_mesg``: the 56-byte netgraph message header followed by the arguments."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Tuple, Union

from .constants import NG_CMDSTRSIZ, NG_VERSION, NGF_RESP
from .fields import einval, encode_fixed

Buffer = Union[bytes, bytearray, memoryview]

# version, spare, spare2, arglen, cmd, flags, token, typecookie, cmdstr
_HEADER = struct.Struct(f"=BBHIIIII{NG_CMDSTRSIZ}s")
HEADER_SIZE = _HEADER.size
assert HEADER_SIZE == 56


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
        cmdstr = encode_fixed(self.cmdstr, NG_CMDSTRSIZ, "cmdstr")
        try:
            header = _HEADER.pack(
                self.version, self.spare, self.spare2, len(self.data), self.cmd,
                self.flags, self.token, self.typecookie, cmdstr,
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
        cmdstr = cmdstr[: NG_CMDSTRSIZ - 1]
        end = cmdstr.find(b"\0")
        if end >= 0:
            cmdstr = cmdstr[:end]
        msg = cls(cmd, cookie, b"", flags, token, cmdstr.decode("latin-1"), version, spare, spare2)
        return msg, arglen

    @classmethod
    def decode(cls, buf: Buffer) -> "NgMesg":
        """Decode a whole message; ``arglen`` must equal the bytes after the header."""
        msg, arglen = cls.decode_header(buf)
        if arglen != len(buf) - HEADER_SIZE:
            raise einval(f"arglen {arglen} but {len(buf) - HEADER_SIZE} argument bytes follow the header")
        msg.data = bytes(buf[HEADER_SIZE:])
        return msg

    def reply(self, data: bytes = b"") -> "NgMesg":
        """The reply FreeBSD builds: same cmd, cookie, token and cmdstr; flags NGF_RESP."""
        return NgMesg(self.cmd, self.typecookie, bytes(data), NGF_RESP, self.token, self.cmdstr)


__all__ = ["HEADER_SIZE", "NgMesg"]
