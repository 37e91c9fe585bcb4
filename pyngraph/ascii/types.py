"""Netgraph parse types: values that convert between ASCII text and binary arguments.

A parse type knows four things, like FreeBSD's ``struct ng_parse_type``:

* ``parse(ctx, off, out)``: read the text in ``ctx`` at byte ``off``, append
  the binary value to ``out`` (the whole argument built so far) and return
  where the text scan stopped;
* ``unparse(ctx, data, off)``: render the value at ``data[off:]`` (``data``
  is the whole argument) into ``ctx`` and return the offset after it;
* ``default(ctx, out)``: append the value an omitted field takes;
* ``align``: the alignment of the value inside a struct (0: none).

Composite types (structs, fixed and variable arrays) follow FreeBSD's rules:
fields are matched by name first and built in declaration order, padding is
zero, a field equal to its default is not rendered, and a variable array
takes its length from context (a count parsed earlier, the header arglen).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from ..abi.message import HEADER_SIZE
from ..abi.constants import (
    NG_CMDSTRSIZ, NG_HOOKSIZ, NG_NODESIZ, NG_PATHSIZ, NG_TYPESIZ, Errno,
)
from ..errors import NetgraphError
from .error import parse_error, unparse_error
from .lexer import (
    T_EOF, T_EQUALS, T_LBRACE, T_LBRACKET, T_RBRACE, T_RBRACKET, T_WORD, c_text,
    encode_string, get_token, skip_ws, string_token, strtonum,
)

BUFSIZE = 20 * 1024
"""Size of the kernel's conversion buffers (binary result, text result)."""

BYTEORDER = sys.byteorder  # netgraph arguments are in host order

Buffer = Union[bytes, bytearray]


class ParseContext:
    """What parsing sees besides the type: the text, the header arglen, the buffer size.

    ``arglen`` is the ``arglen`` of the message header the argument sits
    behind; the sockopt value length is derived from it.  ``limit`` is the
    size of the binary buffer (ERANGE beyond it).
    """

    __slots__ = ("s", "arglen", "limit", "command", "at")

    def __init__(self, text: bytes = b"", arglen: int = 0, *, limit: int = BUFSIZE,
                 command: Optional[str] = None) -> None:
        self.s = c_text(text)
        self.arglen = arglen
        self.limit = limit
        self.command = command
        self.at = 0  # text offset blamed for errors that have none (defaults, padding)

    def fail(self, fbsd: int, off: int, what: str) -> NetgraphError:
        """The error for the text going wrong at byte ``off``."""
        return parse_error(fbsd, what, self.s[:-1], off, command=self.command)

    def room(self, out: bytearray, size: int, off: Optional[int] = None) -> None:
        """ERANGE unless ``size`` more bytes fit in the binary buffer."""
        if len(out) + size > self.limit:
            raise self.fail(Errno.ERANGE, self.at if off is None else off,
                            f"binary form exceeds {self.limit} bytes")


class UnparseContext:
    """Collects rendered text; ERANGE once it (plus its NUL) no longer fits ``limit``."""

    __slots__ = ("parts", "size", "arglen", "limit", "command")

    def __init__(self, arglen: int, *, limit: int = BUFSIZE, command: Optional[str] = None) -> None:
        self.parts: List[str] = []
        self.size = 0
        self.arglen = arglen
        self.limit = limit
        self.command = command

    def emit(self, text: str) -> None:
        self.size += len(text)
        if self.size >= self.limit:
            raise unparse_error(
                Errno.ERANGE, f"text form exceeds {self.limit - 1} characters", command=self.command
            )
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)

    def need(self, data: Buffer, off: int, size: int) -> None:
        """EINVAL unless ``data`` holds ``size`` bytes at ``off`` (FreeBSD would read past it)."""
        if off < 0 or off + size > len(data):
            raise unparse_error(
                Errno.EINVAL,
                f"argument of {len(data)} bytes is shorter than its layout ({off + size} bytes)",
                command=self.command,
            )


class ParseType:
    """Base of all parse types; see the module docstring for the protocol."""

    align = 0
    static_default: Optional[bytes] = None
    """The default value when it does not depend on context (else None)."""

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        raise NotImplementedError

    def unparse(self, ctx: UnparseContext, data: Buffer, off: int) -> int:
        raise NotImplementedError

    def default(self, ctx: ParseContext, out: bytearray) -> None:
        raise ctx.fail(Errno.EOPNOTSUPP, 0, f"{type(self).__name__} has no default value")

    # Conveniences for a value used alone as a whole argument.

    def to_binary(self, text: str, arglen: Optional[int] = None) -> bytes:
        """Parse ``text`` as a whole argument (``arglen`` defaults to its length + 1)."""
        raw = text.encode("utf-8", "surrogateescape")
        ctx = ParseContext(raw, len(raw) + 1 if arglen is None else arglen)
        out = bytearray()
        self.parse(ctx, 0, out)
        ctx.room(out, 0)
        return bytes(out)

    def to_text(self, data: Buffer, arglen: Optional[int] = None) -> str:
        """Render ``data`` as a whole argument (``arglen`` defaults to its length)."""
        ctx = UnparseContext(len(data) if arglen is None else arglen)
        self.unparse(ctx, bytes(data), 0)
        return ctx.text()

    def default_value(self, arglen: int = 0) -> bytes:
        """The default value alone."""
        out = bytearray()
        self.default(ParseContext(b"", arglen), out)
        return bytes(out)


# --- integers -------------------------------------------------------------------

SIGNED, UNSIGNED, HEX = "signed", "unsigned", "hex"


class IntType(ParseType):
    """An 8/16/32/64-bit integer, rendered signed, unsigned or as ``0x`` hex."""

    def __init__(self, size: int, style: str) -> None:
        assert size in (1, 2, 4, 8) and style in (SIGNED, UNSIGNED, HEX)
        self.size = size
        self.align = size
        self.style = style
        bits = 8 * size
        self._mask = (1 << bits) - 1
        # FreeBSD's accepted range: signed minimum .. unsigned maximum (64-bit: none).
        self._lo = -(1 << (bits - 1))
        self._hi = self._mask
        self.static_default = bytes(size)

    def __repr__(self) -> str:
        return f"IntType({self.size}, {self.style!r})"

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        s = ctx.s
        if self.size == 4 and self.style != SIGNED:
            value, end = strtonum(s, off, 0, unsigned=True)
            if value > (1 << 63) - 1:
                value -= 1 << 64  # the kernel keeps strtoul's result in a long
        else:
            value, end = strtonum(s, off, 0, unsigned=False)
        if end == off:
            raise ctx.fail(Errno.EINVAL, skip_ws(s, off), "expected a number")
        if self.size < 8 and not self._lo <= value <= self._hi:
            raise ctx.fail(Errno.EINVAL, skip_ws(s, off),
                           f"{value} is out of range for a {8 * self.size}-bit integer")
        out += (value & self._mask).to_bytes(self.size, BYTEORDER)
        return end

    def unparse(self, ctx: UnparseContext, data: Buffer, off: int) -> int:
        ctx.need(data, off, self.size)
        value = int.from_bytes(data[off:off + self.size], BYTEORDER)
        if self.style == HEX:
            ctx.emit("0x%x" % value)
        elif self.style == SIGNED and value >> (8 * self.size - 1):
            ctx.emit(str(value - (1 << (8 * self.size))))
        else:
            ctx.emit(str(value))
        return off + self.size

    def default(self, ctx: ParseContext, out: bytearray) -> None:
        ctx.room(out, self.size)
        out += bytes(self.size)


INT8, UINT8, HINT8 = IntType(1, SIGNED), IntType(1, UNSIGNED), IntType(1, HEX)
INT16, UINT16, HINT16 = IntType(2, SIGNED), IntType(2, UNSIGNED), IntType(2, HEX)
INT32, UINT32, HINT32 = IntType(4, SIGNED), IntType(4, UNSIGNED), IntType(4, HEX)
INT64, UINT64, HINT64 = IntType(8, SIGNED), IntType(8, UNSIGNED), IntType(8, HEX)


# --- strings --------------------------------------------------------------------

def _strlen(data: Buffer, off: int) -> int:
    """C ``strlen`` at ``off``, stopping at the end of the argument."""
    end = data.find(0, off)
    return (len(data) if end < 0 else end) - off


class StringType(ParseType):
    """A NUL-terminated string of any length (the text* responses)."""

    static_default = b"\0"

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        tok = string_token(ctx.s, off)
        if tok is None:
            raise ctx.fail(Errno.EINVAL, skip_ws(ctx.s, off), "expected a quoted string")
        value, start, toklen = tok
        out += value + b"\0"
        return start + toklen

    def unparse(self, ctx: UnparseContext, data: Buffer, off: int) -> int:
        n = _strlen(data, off)
        ctx.emit(encode_string(bytes(data[off:off + n])))
        return off + n + 1

    def default(self, ctx: ParseContext, out: bytearray) -> None:
        ctx.room(out, 1)
        out += b"\0"


class FixedStringType(ParseType):
    """A NUL-padded ``char[size]`` buffer (node, hook, type, command names, paths)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.static_default = bytes(size)

    def __repr__(self) -> str:
        return f"FixedStringType({self.size})"

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        start = skip_ws(ctx.s, off)
        tok = string_token(ctx.s, off)
        if tok is None:
            raise ctx.fail(Errno.EINVAL, start, "expected a quoted string")
        value, _, toklen = tok
        if len(value) + 1 > self.size:
            raise ctx.fail(Errno.E2BIG, start,
                           f"string of {len(value)} bytes does not fit char[{self.size}]")
        out += value + bytes(self.size - len(value))
        return start + toklen

    def unparse(self, ctx: UnparseContext, data: Buffer, off: int) -> int:
        ctx.need(data, off, self.size)
        n = _strlen(data, off)
        ctx.emit(encode_string(bytes(data[off:off + n])))
        return off + self.size

    def default(self, ctx: ParseContext, out: bytearray) -> None:
        ctx.room(out, self.size)
        out += bytes(self.size)


NODEBUF = FixedStringType(NG_NODESIZ)
HOOKBUF = FixedStringType(NG_HOOKSIZ)
TYPEBUF = FixedStringType(NG_TYPESIZ)
CMDBUF = FixedStringType(NG_CMDSTRSIZ)
PATHBUF = FixedStringType(NG_PATHSIZ)
STRING = StringType()



class EnaddrType(ParseType):
    """An Ethernet address ``xx:xx:xx:xx:xx:xx`` (``ng_parse_enaddr_type``: no default, no alignment)."""

    size = 6

    def __repr__(self) -> str:
        return "EnaddrType()"

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        ctx.room(out, self.size, off)
        s = ctx.s
        value = bytearray()
        for i in range(self.size):
            byte, end = strtonum(s, off, 16, unsigned=True)
            if end == off or byte > 0xFF:
                raise ctx.fail(Errno.EINVAL, skip_ws(s, off), "expected a hex byte of an Ethernet address")
            value.append(byte)
            off = end
            if i < self.size - 1:
                if s[off] != 0x3A:  # ':'
                    raise ctx.fail(Errno.EINVAL, off, "expected ':' in an Ethernet address")
                off += 1
        out += value
        return off

    def unparse(self, ctx: UnparseContext, data: Buffer, off: int) -> int:
        ctx.need(data, off, self.size)
        ctx.emit(":".join("%02x" % b for b in bytes(data[off:off + self.size])))
        return off + self.size


ENADDR = EnaddrType()

# --- composites -----------------------------------------------------------------

LengthFn = Callable[[object, Buffer, int], int]
"""``(ctx, buf, pos) -> count`` for a variable array starting at ``buf[pos]``.

``buf`` is the whole argument (as built so far when parsing) and ``ctx.arglen``
the header arglen.  A negative count makes parsing fail with ENOMEM.
"""


def c_int(value: int) -> int:
    """``value`` converted to a C ``int`` (32-bit, wrapping)."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def read_u32(buf: Buffer, pos: int) -> int:
    """The host-order u_int32_t at ``buf[pos]`` (zeros beyond the buffer)."""
    if pos < 0:
        return 0
    return int.from_bytes(bytes(buf[pos:pos + 4]).ljust(4, b"\0"), BYTEORDER)


@dataclass(frozen=True)
class Field:
    """One struct member: its ASCII name, type and an optional alignment override."""

    name: str
    type: ParseType
    align: int = 0


class _Composite(ParseType):
    """What structs and arrays share: FreeBSD's two-phase parse and default-skipping render."""

    _open = T_LBRACE
    _close = T_RBRACE
    _open_char, _close_char = "{", "}"
    _is_struct = True

    def count(self, ctx: object, buf: Buffer, pos: int) -> int:
        raise NotImplementedError

    def element(self, index: int) -> ParseType:
        raise NotImplementedError

    def element_align(self, index: int) -> int:
        return self.element(index).align

    def _name(self, index: int) -> str:
        raise NotImplementedError

    def _index_of(self, ctx: ParseContext, word: bytes, off: int) -> int:
        raise NotImplementedError

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        return self._parse_text(ctx, off, out)

    def default(self, ctx: ParseContext, out: bytearray) -> None:
        # FreeBSD parses an empty "{}" / "[]": every element takes its default.
        self._parse_text(ctx, 0, out, b"[]\0" if self._open == T_LBRACKET else b"{}\0")

    def _parse_text(self, ctx: ParseContext, off: int, out: bytearray,
                    s: Optional[bytes] = None) -> int:
        if s is None:
            s = ctx.s
        base = len(out)
        num = self.count(ctx, out, base)
        if s is ctx.s:
            ctx.at = off
        if num < 0:
            raise ctx.fail(Errno.ENOMEM, ctx.at, f"negative element count {num}")
        tok, off, length = _token(s, off)
        if tok != self._open:
            raise ctx.fail(Errno.EINVAL, off, f"expected '{self._open_char}'")
        off += length

        # Phase 1: find where each given value starts; values are skipped, not parsed.
        given: Dict[int, int] = {}
        next_index = 0
        while True:
            tok, off, length = _token(s, off)
            if tok == self._close:
                off += length
                break
            where = off
            if self._is_struct:
                if tok != T_WORD:
                    raise ctx.fail(Errno.EINVAL, off, "expected a field name")
                index = self._index_of(ctx, s[off:off + length], off)
                off += length
                tok, off, length = _token(s, off)
                if tok != T_EQUALS:
                    raise ctx.fail(Errno.EINVAL, off, "expected '='")
                off += length
            elif tok in (T_LBRACE, T_LBRACKET):
                index = next_index
                next_index += 1
            elif tok != T_WORD:
                raise ctx.fail(Errno.EINVAL, off, "expected an array element")
            else:
                tok2, _, length2 = _token(s, off + length)
                if tok2 != T_EQUALS:
                    index = next_index
                    next_index += 1
                else:
                    value, end = strtonum(s, off, 0, unsigned=True)
                    if end - off != length:
                        raise ctx.fail(Errno.EINVAL, off, "bad array index")
                    index = value & 0xFFFFFFFF
                    next_index = index + 1
                    off += length + length2  # FreeBSD ignores blanks before '='
            if index >= num:
                raise ctx.fail(Errno.E2BIG, where, f"index {index} beyond the {num} elements")
            if index in given:
                what = "field given" if self._is_struct else "index given"
                raise ctx.fail(Errno.EALREADY, where, f"{what} twice")
            off = skip_ws(s, off)
            given[index] = off
            off = _skip_value(ctx, off)

        # Phase 2: build the binary in declaration order, from values or defaults.
        anchor = ctx.at
        for index in range(num):
            etype = self.element(index)
            align = self.element_align(index)
            ctx.at = given.get(index, anchor)
            if align:
                for _ in range((align - (len(out) - base) % align) % align):
                    ctx.room(out, 1)
                    out.append(0)
            if index in given:
                off = etype.parse(ctx, given[index], out)
            elif etype.static_default is not None:
                ctx.room(out, len(etype.static_default))
                out += etype.static_default
            else:
                etype.default(ctx, out)
        ctx.at = anchor
        if self.align:
            while (len(out) - base) % self.align:
                ctx.room(out, 1)
                out.append(0)
        return off

    def unparse(self, ctx: UnparseContext, data: Buffer, off: int) -> int:
        num = self.count(ctx, data, off)
        ctx.emit(self._open_char)
        next_index = 0
        printed = False
        for index in range(num):
            etype = self.element(index)
            align = self.element_align(index)
            if align:
                off += (align - off % align) % align
            if HEADER_SIZE + off < BUFSIZE:
                size = self._default_size(ctx, index, data, off)
                if size is not None:
                    off += size
                    continue
            ctx.emit(" ")
            if self._is_struct:
                ctx.emit(self._name(index) + "=")
            else:
                if index != next_index:
                    next_index = index
                    ctx.emit(f"{index}=")
                next_index += 1
            off = etype.unparse(ctx, data, off)
            printed = True
        ctx.emit((" " if printed else "") + self._close_char)
        return off

    def _default_size(self, ctx: UnparseContext, index: int, data: Buffer, off: int) -> Optional[int]:
        """Size of element ``index`` if ``data[off:]`` holds its default value, else None."""
        static = self.element(index).static_default
        if static is not None:
            size = len(static)
            fits = size <= BUFSIZE - HEADER_SIZE - off  # FreeBSD's work buffer
            return size if fits and data[off:off + size] == static else None
        work = bytearray(data[:off])
        try:
            self.element(index).default(ParseContext(b"", ctx.arglen, limit=BUFSIZE - HEADER_SIZE), work)
        except NetgraphError:
            return None
        size = len(work) - off
        return size if data[off:off + size] == work[off:] else None


def _token(s: bytes, off: int) -> Tuple[int, int, int]:
    """get_token for the composite parser, which reads a length only after checking the kind
    (T_ERROR, an unterminated string, has none)."""
    tok, start, length = get_token(s, off)
    return tok, start, length or 0


def _skip_value(ctx: ParseContext, off0: int) -> int:
    """Offset after the value at ``off0`` (brackets and braces balanced)."""
    s = ctx.s
    off = off0
    length = 0
    depth_bracket = depth_brace = 0
    while True:
        tok, off, tok_len = get_token(s, off)
        if tok_len is not None:  # an unterminated string keeps the previous length
            length = tok_len
        if tok == T_LBRACKET:
            depth_bracket += 1
        elif tok == T_LBRACE:
            depth_brace += 1
        elif tok == T_RBRACKET:
            if depth_bracket == 0:
                raise ctx.fail(Errno.EINVAL, off, "unbalanced ']'")
            depth_bracket -= 1
        elif tok == T_RBRACE:
            if depth_brace == 0:
                raise ctx.fail(Errno.EINVAL, off, "unbalanced '}'")
            depth_brace -= 1
        elif tok == T_EOF:
            raise ctx.fail(Errno.EINVAL, off, "unexpected end of text")
        off += length
        if depth_bracket <= 0 and depth_brace <= 0:
            return off


class StructType(_Composite):
    """``{ name=value ... }`` over C struct members in declaration order."""

    def __init__(self, fields: Sequence[Field], name: str = "") -> None:
        self.fields = tuple(fields)
        self.name = name
        self._by_name = {f.name.encode("ascii"): i for i, f in enumerate(self.fields)}
        self.align = max((f.type.align for f in self.fields), default=0)
        if all(f.type.static_default is not None for f in self.fields):
            self.static_default = self.default_value()

    def __repr__(self) -> str:
        return f"StructType({self.name or [f.name for f in self.fields]})"

    def count(self, ctx: object, buf: Buffer, pos: int) -> int:
        return len(self.fields)

    def element(self, index: int) -> ParseType:
        return self.fields[index].type

    def element_align(self, index: int) -> int:
        field = self.fields[index]
        return field.align or field.type.align

    def _name(self, index: int) -> str:
        return self.fields[index].name

    def _index_of(self, ctx: ParseContext, word: bytes, off: int) -> int:
        index = self._by_name.get(word)
        if index is None:
            raise ctx.fail(Errno.ENOENT, off, f"no field {word.decode('utf-8', 'replace')!r}")
        return index


class ArrayType(_Composite):
    """``[ v0 v1 idx=v ... ]`` whose length comes from context (``length(ctx, buf, pos)``)."""

    _open, _close = T_LBRACKET, T_RBRACKET
    _open_char, _close_char = "[", "]"
    _is_struct = False

    def __init__(self, element: ParseType, length: LengthFn) -> None:
        self.elem = element
        self.length = length
        self.align = element.align

    def __repr__(self) -> str:
        return f"ArrayType({self.elem!r})"

    def count(self, ctx: object, buf: Buffer, pos: int) -> int:
        return self.length(ctx, buf, pos)

    def element(self, index: int) -> ParseType:
        return self.elem


class FixedArrayType(ArrayType):
    """An array of exactly ``n`` elements."""

    def __init__(self, element: ParseType, n: int) -> None:
        super().__init__(element, lambda ctx, buf, pos: n)
        self.n = n
        if element.static_default is not None:
            self.static_default = self.default_value()

    def __repr__(self) -> str:
        return f"FixedArrayType({self.elem!r}, {self.n})"


class ByteArrayType(ArrayType):
    """Bytes of a context-given length: ``[ 0x1 2=0x3 ]`` or a quoted string (zero-padded).

    Rendered always in the array form.  Like FreeBSD's, the type itself has
    no alignment.
    """

    def __init__(self, length: LengthFn) -> None:
        super().__init__(HINT8, length)
        self.align = 0

    def __repr__(self) -> str:
        return "ByteArrayType()"

    def parse(self, ctx: ParseContext, off: int, out: bytearray) -> int:
        tok = string_token(ctx.s, off)
        if tok is None:
            return self._parse_text(ctx, off, out)
        value, start, toklen = tok
        n = self.length(ctx, out, len(out))
        if n > ctx.limit - len(out):
            raise ctx.fail(Errno.ERANGE, start, f"binary form exceeds {ctx.limit} bytes")
        if len(value) > n:
            raise ctx.fail(Errno.E2BIG, start, f"string of {len(value)} bytes for {n} bytes")
        out += value + bytes(n - len(value))
        return start + toklen


__all__ = [
    "BUFSIZE", "ByteArrayType", "ENADDR", "EnaddrType", "CMDBUF", "Field", "FixedArrayType", "FixedStringType",
    "HINT16", "HINT32", "HINT64", "HINT8", "HOOKBUF", "INT16", "INT32", "INT64", "INT8",
    "IntType", "NODEBUF", "PATHBUF", "ParseContext", "ParseType", "STRING", "StringType",
    "StructType", "TYPEBUF", "UINT16", "UINT32", "UINT64", "UINT8", "UnparseContext",
    "ArrayType", "c_int", "read_u32",
]
