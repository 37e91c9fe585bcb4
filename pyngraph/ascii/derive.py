"""Parse types derived from the ABI declarations (:mod:`pyngraph.abi.schema`).

FreeBSD writes an ``NG_*_TYPE_INFO`` initialiser beside each struct; here the
declaration is the only source: member order and ASCII names, integer size and
style (hex), ``char[n]`` buffers, Ethernet addresses, counted arrays whose
length is read from their counter, and trailing bytes sized by the header
``arglen`` (the whole argument) or by a counter.
"""

from __future__ import annotations

import ctypes
from typing import Dict, List, Type

from ..abi.schema import HEX, SIGNED, Chars, Counted, Int, Octets, Rest, Struct
from .sockaddr import GENERIC_SOCKADDR
from .types import (
    ENADDR, HINT8, HINT16, HINT32, HINT64, INT8, INT16, INT32, INT64, UINT8, UINT16, UINT32, UINT64,
    ArrayType, Buffer, ByteArrayType, Field, FixedArrayType, FixedStringType, LengthFn, ParseType,
    StructType, c_int, read_u32,
)

_INTS = {
    (1, SIGNED): INT8, (2, SIGNED): INT16, (4, SIGNED): INT32, (8, SIGNED): INT64,
    (1, HEX): HINT8, (2, HEX): HINT16, (4, HEX): HINT32, (8, HEX): HINT64,
}
_UINTS = {1: UINT8, 2: UINT16, 4: UINT32, 8: UINT64}
_derived: Dict[Type[Struct], StructType] = {}


def parse_type(cls: Type[Struct]) -> StructType:
    """The parse type of the declared struct ``cls`` (one object per struct)."""
    found = _derived.get(cls)
    if found is None:
        found = _derived[cls] = StructType(_fields(cls, 0), cls.C_NAME)
    return found


def _fields(cls: Type[Struct], base: int) -> List[Field]:
    fields: List[Field] = []
    for m in cls.MEMBERS:
        ctype = m.ctype
        if m.flat and isinstance(ctype, type):
            fields += _fields(ctype, base + m.offset)
        elif isinstance(ctype, Counted):
            fields.append(Field(m.ascii, ArrayType(parse_type(ctype.elem), _counter(cls, ctype.count, m.offset))))
        elif isinstance(ctype, Rest):
            fields.append(Field(m.ascii, GENERIC_SOCKADDR if ctype.sockaddr else ByteArrayType(
                _rest(m.offset) if ctype.count is None else _counter(cls, ctype.count, base + m.offset))))
        else:
            fields.append(Field(m.ascii, scalar_type(ctype)))
    return fields


def scalar_type(ctype: object) -> ParseType:
    """The parse type of a C scalar, ``char[n]``, ``u_char[n]`` or a nested struct."""
    if isinstance(ctype, Int):
        size = ctypes.sizeof(ctype.layout)
        return _INTS.get((size, ctype.style)) or _UINTS[size]
    if isinstance(ctype, Chars):
        return FixedStringType(ctype.n)
    if isinstance(ctype, Octets):
        return ENADDR if ctype.enaddr else FixedArrayType(UINT8, ctype.n)
    assert isinstance(ctype, type) and issubclass(ctype, Struct)
    return parse_type(ctype)


def _counter(cls: Type[Struct], count: str, at: int) -> LengthFn:
    """The length of a member at offset ``at``: the u_int32_t counter ``count`` of the same struct."""
    first, _, rest = count.partition(".")
    member = next(m for m in cls.MEMBERS if m.c == first)
    offset = member.offset
    if rest:
        offset += next(m.offset for m in member.ctype.MEMBERS if m.c == rest)  # type: ignore[union-attr]

    def length(ctx: object, buf: Buffer, pos: int) -> int:
        return c_int(read_u32(buf, pos - at + offset))

    return length


def _rest(at: int) -> LengthFn:
    """Bytes up to the end of the argument: header arglen - ``at``."""

    def length(ctx: object, buf: Buffer, pos: int) -> int:
        return c_int(getattr(ctx, "arglen") - at)

    return length


__all__ = ["parse_type", "scalar_type"]
