"""The ABI schema: how a FreeBSD struct is declared once and what is derived from it.

A struct is a class over :class:`Struct` whose annotations are its members in C
order, each ``Annotated[<Python type>, <C type>, ...]`` (in the manner of
``ng_message.h``'s ``NG_GENERIC_*_INFO`` initialisers beside each struct)::

    class Mkpeer(Struct, c_name="ngm_mkpeer"):
        type: Annotated[str, char[NG_TYPESIZ]]
        ourhook: Annotated[str, char[NG_HOOKSIZ]]
        peerhook: Annotated[str, char[NG_HOOKSIZ]]

From the declaration come:

* ``LAYOUT``: the ctypes layout (C member names, host alignment), for the
  header probe and the FreeBSD backend; ``SIZE`` is its ``sizeof``;
* the binary codec: ``encode()`` and ``decode(buf)`` over one precompiled
  ``struct.Struct`` (``STRUCT``, the fixed part, padding from the layout);
* ``MEMBERS``: what :mod:`pyngraph.ascii.derive` builds the parse type from
  (ASCII names, hex rendering, counted arrays).

Instances are tuples (fields by name, ``_replace``), like a NamedTuple.
String fields are NUL-padded; encoders refuse what does not fit and decoders
read as the kernel does (last byte forced to NUL).  Malformed input raises
``InvalidArgumentError`` (FreeBSD EINVAL).
"""

from __future__ import annotations

import collections
import ctypes
import struct
import sys
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING, Any, Callable, ClassVar, Dict, Iterator, List, Optional, Tuple, Type, TypeVar, Union, get_args,
    get_type_hints,
)

if TYPE_CHECKING or sys.version_info >= (3, 11):
    from typing import Self, dataclass_transform
else:  # Python 3.9/3.10: only type checkers read these
    _C = TypeVar("_C")

    def dataclass_transform(**_: Any) -> Callable[[_C], _C]:
        return lambda cls: cls

from ..errors import InvalidArgumentError, NetgraphError
from .constants import Errno

Buffer = Union[bytes, bytearray, memoryview]

SIGNED, UNSIGNED, HEX = "signed", "unsigned", "hex"


def einval(detail: str) -> InvalidArgumentError:
    """The library's error for malformed ABI input (FreeBSD EINVAL)."""
    err = NetgraphError.from_fbsd(Errno.EINVAL, detail)
    assert isinstance(err, InvalidArgumentError)
    return err


# --- C types -----------------------------------------------------------------------


@dataclass(frozen=True)
class Int:
    """A C integer type; ``style`` is how FreeBSD's parse type prints it."""

    c: str
    layout: Any  # a ctypes integer type
    code: str  # its struct format character
    style: str = UNSIGNED

    @property
    def hex(self) -> "Int":
        """The same type printed in hex (FreeBSD's ``ng_parse_hint*_type``)."""
        return Int(self.c, self.layout, self.code, HEX)


@dataclass(frozen=True)
class Chars:
    """``char[n]``: a NUL-padded string (Python ``str``, latin-1)."""

    n: int

    @property
    def layout(self) -> Any:
        return ctypes.c_char * self.n


@dataclass(frozen=True)
class Octets:
    """``u_char[n]``: raw bytes of exactly ``n`` (``enaddr``: printed as an Ethernet address)."""

    n: int
    enaddr: bool = False

    @property
    def layout(self) -> Any:
        return ctypes.c_uint8 * self.n


class _CharArray:
    def __getitem__(self, n: int) -> Chars:
        return Chars(n)


char = _CharArray()
"""``char[NG_HOOKSIZ]`` and the like."""

u_int8_t = u_char = Int("u_int8_t", ctypes.c_uint8, "B")
u_int16_t = Int("u_int16_t", ctypes.c_uint16, "H")
u_int32_t = Int("u_int32_t", ctypes.c_uint32, "I")
u_int64_t = Int("u_int64_t", ctypes.c_uint64, "Q")
int32_t = Int("int32_t", ctypes.c_int32, "i", SIGNED)
int64_t = Int("int64_t", ctypes.c_int64, "q", SIGNED)
ng_ID_t = Int("ng_ID_t", ctypes.c_uint32, "I", HEX)


@dataclass(frozen=True)
class Counted:
    """A flexible array member ``elem c[]`` counted by a ``u_int32_t`` member.

    ``count`` names that member: a plain name declares it just before the
    array (hidden from Python: ``encode`` writes ``len()``), a dotted one
    names a field of a member declared earlier (``nodeinfo.hooks``).
    """

    elem: "Type[Struct]"
    count: str
    c: str


@dataclass(frozen=True)
class Rest:
    """A flexible ``u_char``/``char`` member: the bytes up to the end of the argument.

    ``count`` (dotted) names a field holding its length instead; ``layout``
    replaces the zero-length array in the C layout (``struct sockaddr addr``);
    ``sockaddr``: printed as a generic sockaddr.
    """

    count: Optional[str] = None
    layout: Optional["Type[Struct]"] = None
    sockaddr: bool = False


@dataclass(frozen=True)
class Ascii:
    """The member's name in FreeBSD's parse type when it is not the C name."""

    name: str


FLAT = "flat"
"""Metadata: a nested struct whose fields FreeBSD's parse type lists in place (ng_mesg's header)."""

CType = Union[Int, Chars, Octets, Counted, Rest, "Type[Struct]"]


@dataclass(frozen=True)
class Member:
    """One C member: Python field name (None: a hidden count), C name, ASCII name, type, offset."""

    attr: Optional[str]
    c: str
    ascii: str
    ctype: CType
    offset: int = 0
    flat: bool = False


# --- the declaration base -------------------------------------------------------------


def _is_struct(ctype: object) -> bool:
    return isinstance(ctype, type) and issubclass(ctype, Struct)


def _members(cls: type) -> List[Member]:
    hints = get_type_hints(cls, include_extras=True, localns={cls.__name__: cls})
    out: List[Member] = []
    for attr in cls.__annotations__:
        args = get_args(hints[attr])
        ctype = args[1] if args else hints[attr]
        meta = args[2:] if args else ()
        c = attr
        ascii_name = next((m.name for m in meta if isinstance(m, Ascii)), None)
        if isinstance(ctype, Counted):
            if "." not in ctype.count:
                out.append(Member(None, ctype.count, ctype.count, u_int32_t))
            c = ctype.c
        out.append(Member(attr, c, ascii_name or c, ctype, flat=FLAT in meta))
    return out


def _layout_of(ctype: CType) -> Any:
    if isinstance(ctype, (Int, Chars, Octets)):
        return ctype.layout
    if isinstance(ctype, Counted):
        return ctype.elem.LAYOUT * 0
    if isinstance(ctype, Rest):
        return ctype.layout.LAYOUT if ctype.layout is not None else ctypes.c_uint8 * 0
    return ctype.LAYOUT


@dataclass_transform(frozen_default=True)
class Struct(Tuple[Any, ...]):
    """Base of every declared struct (see the module docstring)."""

    __slots__ = ()
    C_NAME: ClassVar[str]
    SIZE: ClassVar[int]
    """``sizeof``: the fixed part (a flexible array adds nothing)."""
    LAYOUT: ClassVar[Type[ctypes.Structure]]
    MEMBERS: ClassVar[Tuple[Member, ...]]
    STRUCT: ClassVar[struct.Struct]
    """The fixed part's precompiled codec: one item per integer or char array, nested structs
    flattened; a ``char[n]`` is its first n - 1 bytes (the last is written NUL and not read)."""
    RAW: ClassVar[struct.Struct]
    """``STRUCT`` with every byte of each ``char[n]`` (copying a struct verbatim)."""

    def __init_subclass__(cls, c_name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        members = _members(cls)
        layout = type(c_name, (ctypes.Structure,), {
            "_fields_": [(m.c, _layout_of(m.ctype)) for m in members]})
        cls.C_NAME, cls.LAYOUT, cls.SIZE = c_name, layout, ctypes.sizeof(layout)
        cls.MEMBERS = tuple(Member(m.attr, m.c, m.ascii, m.ctype, getattr(layout, m.c).offset, m.flat)
                            for m in members)
        attrs = [m.attr for m in cls.MEMBERS if m.attr is not None]
        defaults = [cls.__dict__[a] for a in attrs if a in cls.__dict__]
        record = collections.namedtuple(cls.__name__, attrs, defaults=defaults)  # type: ignore[misc]
        for name in attrs + ["__new__", "__repr__", "_replace", "_asdict", "_make", "_fields",
                             "__getnewargs__", "_field_defaults"]:
            setattr(cls, name, record.__dict__[name] if name in record.__dict__ else getattr(record, name))
        _compile(cls)

    def encode(self) -> bytes:
        """The struct's bytes in FreeBSD's host-order form."""
        raise NotImplementedError  # replaced by the compiled codec

    @classmethod
    def decode(cls, buf: Buffer) -> Self:
        """The struct read from ``buf`` (exactly ``SIZE`` bytes, or at least for a variable one)."""
        raise NotImplementedError  # replaced by the compiled codec

    def _replace(self, **changes: Any) -> Self:
        raise NotImplementedError  # replaced by the namedtuple's


# --- the codec compiler ------------------------------------------------------------------


@dataclass
class _Plan:
    """The fixed part flattened: struct format, and one leaf (path of tuple indexes) per item."""

    fmt: List[str] = field(default_factory=list)
    raw: List[str] = field(default_factory=list)
    size: int = 0
    leaves: List[Tuple[Tuple[int, ...], Union[Int, Chars, Octets]]] = field(default_factory=list)
    """(path of tuple indexes, C type) of each item."""
    tail: Optional[Member] = None  # a Counted or Rest member ending the struct

    def pad_to(self, offset: int) -> None:
        if offset > self.size:
            self.fmt.append(f"{offset - self.size}x")
            self.raw.append(f"{offset - self.size}x")
            self.size = offset


def _plan(cls: Type[Struct], plan: _Plan, base: int, path: Tuple[int, ...]) -> None:
    index = 0
    for m in cls.MEMBERS:
        ctype = m.ctype
        here = path + (index,) if m.attr is not None else path + (-1,)
        if isinstance(ctype, (Counted, Rest)):
            if path:
                raise TypeError(f"{cls.C_NAME}: a flexible member must end the outermost struct")
            plan.tail = m
            if isinstance(ctype, Rest) and ctype.layout is not None:
                return  # the sockaddr's bytes are the tail, not fixed fields
            plan.pad_to(base + m.offset)
            index += 1
            continue
        plan.pad_to(base + m.offset)
        if isinstance(ctype, Int):
            plan.fmt.append(ctype.code)
            plan.raw.append(ctype.code)
            plan.size += ctypes.sizeof(ctype.layout)
            plan.leaves.append((here, ctype))
        elif isinstance(ctype, (Chars, Octets)):
            # char[n]: n - 1 bytes then a NUL pad byte (written NUL, never read: the kernel forces it)
            plan.fmt.append(f"{ctype.n - 1}sx" if isinstance(ctype, Chars) else f"{ctype.n}s")
            plan.raw.append(f"{ctype.n}s")
            plan.size += ctype.n
            plan.leaves.append((here, ctype))
        else:
            _plan(ctype, plan, base + m.offset, here)
        if m.attr is not None:
            index += 1
    plan.pad_to(base + cls.SIZE)


def _count_leaf(cls: Type[Struct], plan: _Plan, count: str) -> int:
    """Index in the flat items of the counter named ``count`` (``numnames``, ``nodeinfo.hooks``)."""
    first, _, rest = count.partition(".")
    path: Tuple[int, ...] = ()
    index = 0
    for m in cls.MEMBERS:
        if m.c == first:
            path = (index,) if m.attr is not None else (-1,)
            if rest:
                inner = [x.c for x in m.ctype.MEMBERS]  # type: ignore[union-attr]
                path += (inner.index(rest),)
            break
        if m.attr is not None:
            index += 1
    return [leaf[0] for leaf in plan.leaves].index(path)


def _compile(cls: Type[Struct]) -> None:
    plan = _Plan()
    _plan(cls, plan, 0, ())
    st = struct.Struct("=" + "".join(plan.fmt))
    cls.STRUCT = st
    cls.RAW = struct.Struct("=" + "".join(plan.raw))
    tail = plan.tail
    ns: Dict[str, Any] = {"_st": st, "_new": tuple.__new__, "_slow": _slow_encode, "_einval": einval,
                          "_error": struct.error, "cls": cls}
    count_at = -1
    if tail is not None and isinstance(tail.ctype, Counted):
        count_at = _count_leaf(cls, plan, tail.ctype.count)
        ns["_elem"] = tail.ctype.elem
    elif tail is not None and isinstance(tail.ctype, Rest) and tail.ctype.count is not None:
        count_at = _count_leaf(cls, plan, tail.ctype.count)

    # encode: every leaf's value from the fields; checks inline, the slow path explains failures.
    names = [m.attr for m in cls.MEMBERS if m.attr is not None]
    src = ["def encode(self):", f"    {', '.join(f'v{i}' for i in range(len(names)))}, = self"]
    args, checks = [], []
    for k, (path, ctype) in enumerate(plan.leaves):
        ref = f"v{path[0]}" + "".join(f"[{i}]" for i in path[1:])
        if k == count_at:  # the counter of the flexible member: its length
            args.append(f"len(v{len(names) - 1})")
        elif isinstance(ctype, Chars):
            src.append(f"    r{k} = {ref}.encode('latin-1')")
            checks.append(f"len(r{k}) >= {ctype.n} or 0 in r{k}")
            args.append(f"r{k}")
        elif isinstance(ctype, Octets):
            src.append(f"    r{k} = {ref}")
            checks.append(f"len(r{k}) != {ctype.n}")
            args.append(f"bytes(r{k})")
        else:
            args.append(ref)
    body = f"_st.pack({', '.join(args)})"
    if tail is not None and isinstance(tail.ctype, Counted):
        body += f" + b''.join([e.encode() for e in v{len(names) - 1}])"
    elif tail is not None:
        body += f" + bytes(v{len(names) - 1})"
    src = (["def encode(self):", "  try:"] + ["  " + line for line in src[1:]]
           + ([f"      if {' or '.join(checks)}: raise ValueError"] if checks else [])
           + [f"      return {body}", "  except Exception:", "    return _slow(self)"])
    # decode: the precompiled struct's items unpacked into locals i0, i1 ..., each char array
    # cut at its first NUL; a plain function of ``buf`` (the class is bound, no classmethod call).
    items = "".join(f"i{k}, " for k in range(len(plan.leaves)))
    unpacked = f"{items}= " if items else ""
    values = _rebuild(cls, plan, (), ns)
    if tail is None:
        dec = ["def decode(buf):",
               "  try:",
               f"    {unpacked}_st.unpack(buf)",
               "  except _error:",
               f"    raise _einval(f'{cls.C_NAME}: {{len(buf)}} bytes, expected {cls.SIZE}') from None",
               f"  return _new(cls, {values})",
               "def _from(buf, off):",
               f"  {unpacked}_st.unpack_from(buf, off)",
               f"  return _new(cls, {values})"]
    else:
        if isinstance(tail.ctype, Counted):
            elem = tail.ctype.elem
            ns["_elem_from"] = elem._from  # type: ignore[attr-defined]
            tail_expr = f"[_elem_from(buf, {tail.offset} + {elem.SIZE} * j) for j in range(i{count_at})]"
            need = f"{tail.offset} + {elem.SIZE} * i{count_at}"
            unit = elem.C_NAME
        elif count_at >= 0:
            tail_expr = f"bytes(buf[{tail.offset}:{tail.offset} + i{count_at}])"
            need = f"{tail.offset} + i{count_at}"
            unit = f"bytes of {tail.c}"
        else:
            tail_expr = f"bytes(buf[{tail.offset}:])"
            need = "0"
            unit = ""
        dec = ["def decode(buf):",
               f"  if len(buf) < {st.size}:",
               f"    raise _einval(f'{cls.C_NAME}: truncated, {{len(buf)}} bytes, need {st.size}')",
               f"  {unpacked}_st.unpack_from(buf)",
               f"  if len(buf) < {need}:",
               f"    raise _einval(f'{cls.C_NAME} with {{i{count_at}}} {unit}: truncated, "
               f"{{len(buf)}} bytes, need {{{need}}}')",
               f"  return _new(cls, {values.replace('TAIL', tail_expr)})"]
    exec("\n".join(src + dec), ns)  # the derived codec, compiled once per declaration
    setattr(cls, "encode", ns["encode"])
    setattr(cls, "decode", staticmethod(ns["decode"]))
    if "_from" in ns:
        setattr(cls, "_from", staticmethod(ns["_from"]))


def _rebuild(cls: Type[Struct], plan: _Plan, path: Tuple[int, ...], ns: Dict[str, Any]) -> str:
    """Source of the tuple of ``cls``'s fields from the flat items ``i0, i1 ...`` (nested structs built)."""
    parts = []
    index = 0
    for m in cls.MEMBERS:
        if m.attr is None:
            continue
        here = path + (index,)
        index += 1
        if isinstance(m.ctype, (Counted, Rest)):
            parts.append("TAIL")
        elif _is_struct(m.ctype):
            name = f"_n{len(ns)}"
            ns[name] = m.ctype
            parts.append(f"_new({name}, {_rebuild(m.ctype, plan, here, ns)})")  # type: ignore[arg-type]
        else:
            k = [leaf[0] for leaf in plan.leaves].index(here)
            ctype = plan.leaves[k][1]
            if isinstance(ctype, Chars):  # the kernel forces the last byte to NUL
                parts.append(f"i{k}.partition(b'\\0')[0].decode('latin-1')")
            else:
                parts.append(f"i{k}")
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _slow_encode(value: Struct) -> bytes:
    """Why ``value`` does not encode, as an EINVAL naming the member (the fast path failed)."""
    for m, v in zip((m for m in value.MEMBERS if m.attr is not None), value):
        _check(value.C_NAME, m, v)
    raise einval(f"{value.C_NAME}: cannot encode {value!r}")


def _check(owner: str, m: Member, v: Any) -> None:
    what = f"{owner}.{m.c}"
    ctype = m.ctype
    if isinstance(ctype, Chars):
        if not isinstance(v, str):
            raise einval(f"{what}: {v!r} is not a string")
        try:
            raw = v.encode("latin-1")
        except UnicodeEncodeError:
            raise einval(f"{what} {v!r} is not latin-1") from None
        if b"\0" in raw:
            raise einval(f"{what} {v!r} contains a NUL")
        if len(raw) > ctype.n - 1:
            raise einval(f"{what} {v!r} is longer than {ctype.n - 1} characters")
    elif isinstance(ctype, Octets):
        if not isinstance(v, (bytes, bytearray, memoryview)) or len(v) != ctype.n:
            raise einval(f"{what}: {v!r} is not {ctype.n} bytes")
    elif isinstance(ctype, Int):
        try:
            struct.pack("=" + ctype.code, v)
        except struct.error as exc:
            raise einval(f"{what}: {exc}") from None
    elif isinstance(ctype, Counted):
        for e in v:
            if not isinstance(e, ctype.elem):
                raise einval(f"{what}: {e!r} is not a {ctype.elem.C_NAME}")
            e.encode()
    elif isinstance(ctype, Rest):
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise einval(f"{what}: {v!r} is not bytes")
    elif not isinstance(v, ctype):
        raise einval(f"{what}: {v!r} is not a {ctype.C_NAME}")
    else:
        v.encode()


def text(raw: bytes) -> str:
    """A ``char[]`` field read as the kernel reads it: at most ``len - 1`` characters, up to a NUL."""
    return raw[:-1].partition(b"\0")[0].decode("latin-1")


def walk(cls: Type[Struct]) -> Iterator[Type[Struct]]:
    """``cls`` and every struct it contains, innermost first."""
    for m in cls.MEMBERS:
        inner = m.ctype.elem if isinstance(m.ctype, Counted) else (
            m.ctype.layout if isinstance(m.ctype, Rest) else m.ctype)
        if _is_struct(inner):
            yield from walk(inner)  # type: ignore[arg-type]
    yield cls


__all__ = [
    "Ascii", "Chars", "Counted", "FLAT", "HEX", "Int", "Member", "Octets", "Rest", "SIGNED", "Struct",
    "UNSIGNED", "char", "einval", "int32_t", "int64_t", "ng_ID_t", "text", "u_char", "u_int16_t",
    "u_int32_t", "u_int64_t", "u_int8_t", "walk",
]
