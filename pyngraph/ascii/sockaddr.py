"""ng_ksocket's parse types of socket addresses (the accept reply and socket options derive
from their declarations: :mod:`.derive`).

The socket-address type has FreeBSD 14's special forms:

* ``inet/a.b.c.d[:port]`` (decimal octets and port; port 0 is not rendered),
* ``local/"path"`` (``sun_len`` = 2 + path length, truncated to one byte),
* the generic ``{ len=.. family=.. data=[..] }`` for every other family.

Only ``local`` and ``inet`` have a text form.  Newer FreeBSD documents an
``inet6/[addr]:port`` form; FreeBSD 14 has none (``inet6/...`` is EINVAL and
IPv6 addresses render in the generic form), and neither has this module.
"""

from __future__ import annotations

from ..abi.constants import AF_INET, AF_LOCAL, Errno
from .error import unparse_error
from .lexer import T_LBRACE, encode_string, get_token, skip_ws, string_token, strtonum
from .types import (
    UINT8, Buffer, ByteArrayType, Field, ParseContext, ParseType, StructType,
    UnparseContext, c_int,
)

SOCK_MAXADDRLEN = 255
_SADATA_OFFSET = 2  # sa_len, sa_family

# Family names of the ksocket alias table, matched exactly (case-sensitive).
FAMILY_ALIASES = {b"local": 1, b"inet": 2, b"inet6": 28, b"atm": 30, b"divert": 44}


def _sockdata_length(ctx: object, buf: Buffer, pos: int) -> int:
    """Length of ``sa_data``: ``sa_len`` - 2 (0 when ``sa_len`` < 2)."""
    sa_len = buf[pos - _SADATA_OFFSET] if pos >= _SADATA_OFFSET else 0
    return 0 if sa_len < _SADATA_OFFSET else sa_len - _SADATA_OFFSET


GENERIC_SOCKADDR = StructType(
    [Field("len", UINT8), Field("family", UINT8), Field("data", ByteArrayType(_sockdata_length))],
    "sockaddr",
)
"""``{ len=.. family=.. data=[..] }``: any ``struct sockaddr`` (used alone by the accept reply)."""


def _parse_family(word: bytes) -> int:
    """A family name or decimal number as ksocket reads it; -1 when invalid."""
    value = FAMILY_ALIASES.get(word)
    if value is not None:
        return value
    s = word + b"\0"
    number, end = strtonum(s, 0, 10, unsigned=True)
    number = c_int(number)
    if number < 0 or s[end] != 0:
        return -1
    return number


class KsocketSockaddrType(ParseType):
    """ksocket's ``struct sockaddr`` argument (bind, connect; getname, getpeername replies)."""

    def __repr__(self) -> str:
        return "KsocketSockaddrType()"

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        s = ctx.s
        tok, off, _ = get_token(s, off)
        if tok == T_LBRACE:
            return GENERIC_SOCKADDR.parse(ctx, off, out)
        slash = s.find(b"/", off)
        if slash < 0:
            raise ctx.fail(Errno.EINVAL, off, "expected <family>/<address>")
        if slash - off > 31:
            raise ctx.fail(Errno.EINVAL, off, "family name longer than 31 bytes")
        family = _parse_family(s[off:slash])
        if family < 0:
            raise ctx.fail(Errno.EINVAL, off, f"unknown family {s[off:slash].decode('utf-8', 'replace')!r}")
        ctx.room(out, _SADATA_OFFSET, off)
        family &= 0xFF
        off = slash + 1
        if family == AF_LOCAL:
            return self._parse_local(ctx, off, out)
        if family == AF_INET:
            return self._parse_inet(ctx, off, out)
        raise ctx.fail(Errno.EINVAL, slash - 1,
                       f"family {family} has no text form (use {{ len=.. family=.. data=[..] }})")

    @staticmethod
    def _parse_local(ctx: ParseContext, off: int, out: bytearray) -> int:
        start = skip_ws(ctx.s, off)
        tok = string_token(ctx.s, off)
        if tok is None:
            raise ctx.fail(Errno.EINVAL, start, "expected a quoted path")
        value, start, toklen = tok
        end = value.find(0)
        path = value if end < 0 else value[:end]
        if len(path) > SOCK_MAXADDRLEN:
            raise ctx.fail(Errno.E2BIG, start, f"path of {len(path)} bytes (at most {SOCK_MAXADDRLEN})")
        ctx.room(out, _SADATA_OFFSET + len(path), start)
        sun_len = (_SADATA_OFFSET + len(path)) & 0xFF
        # sun_len is a single byte: the argument is as long as what it says.
        out += (bytes((sun_len, AF_LOCAL)) + path)[:sun_len]
        return start + toklen

    @staticmethod
    def _parse_inet(ctx: ParseContext, off: int, out: bytearray) -> int:
        s = ctx.s
        addr = bytearray()
        port = 0
        for i in range(4):
            value, end = strtonum(s, off, 10, unsigned=True)
            if end == off or value > 0xFF:
                raise ctx.fail(Errno.EINVAL, skip_ws(s, off), "expected an octet 0..255")
            addr.append(value)
            off = end
            if i < 3:
                if s[off] != 0x2E:  # '.'
                    raise ctx.fail(Errno.EINVAL, off, "expected '.'")
                off += 1
            elif s[off] == 0x3A:  # ':'
                off += 1
                value, end = strtonum(s, off, 10, unsigned=True)
                if end == off or value > 0xFFFF:
                    raise ctx.fail(Errno.EINVAL, skip_ws(s, off), "expected a port 0..65535")
                port = value
                off = end
        out += bytes((16, AF_INET)) + port.to_bytes(2, "big") + addr + bytes(8)
        return off

    def unparse(self, ctx: UnparseContext, data: Buffer, off: int) -> int:
        ctx.need(data, off, _SADATA_OFFSET)
        family = data[off + 1]
        if family == AF_LOCAL:
            sun_len = data[off]
            if sun_len < _SADATA_OFFSET:  # FreeBSD would copy a negative length
                raise unparse_error(Errno.EINVAL, f"local address with sun_len {sun_len}",
                                    command=ctx.command)
            ctx.need(data, off, sun_len)
            ctx.emit("local/" + encode_string(bytes(data[off + 2:off + sun_len])))
            return off + sun_len
        if family == AF_INET:
            ctx.need(data, off, 8)
            text = "inet/%d.%d.%d.%d" % tuple(data[off + 4:off + 8])
            port = int.from_bytes(data[off + 2:off + 4], "big")
            ctx.emit(text + (f":{port}" if port else ""))
            return off + 16
        return GENERIC_SOCKADDR.unparse(ctx, data, off)


SOCKADDR = KsocketSockaddrType()


__all__ = ["FAMILY_ALIASES", "GENERIC_SOCKADDR", "KsocketSockaddrType", "SOCKADDR"]
