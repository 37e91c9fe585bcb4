"""Codecs of the control-message arguments (the ``data`` of an ``NgMesg``).

Each codec is a NamedTuple with ``encode() -> bytes`` and ``decode(buf)``.
String fields are NUL-padded; encoders refuse names that do not fit and
decoders read them as the kernel does (last byte forced to NUL).  Malformed
input raises ``InvalidArgumentError`` (FreeBSD EINVAL).
"""

from __future__ import annotations

import struct
from typing import Callable, List, NamedTuple, TypeVar, Union

from .constants import NG_HOOKSIZ, NG_NODESIZ, NG_PATHSIZ, NG_TYPESIZ
from .fields import DECODED, ENCODED, decode_fixed, decode_fixed_cached, einval, encode_fixed, encode_fixed_cached
from .sockaddr import Sockaddr, decode_sockaddr

Buffer = Union[bytes, bytearray, memoryview]
T = TypeVar("T")

_U32 = struct.Struct("=I")
_NODEINFO = struct.Struct(f"={NG_NODESIZ}s{NG_TYPESIZ}sII")
_LINKINFO_NAMES = struct.Struct(f"={NG_HOOKSIZ}s{NG_HOOKSIZ}s")
_TYPEINFO = struct.Struct(f"={NG_TYPESIZ}sI")
_SOCKOPT = struct.Struct("=ii")
_MKPEER = struct.Struct(f"={NG_TYPESIZ}s{NG_HOOKSIZ}s{NG_HOOKSIZ}s")
_CONNECT = struct.Struct(f"={NG_PATHSIZ}s{NG_HOOKSIZ}s{NG_HOOKSIZ}s")

_new = tuple.__new__  # a NamedTuple built without its Python-level __new__
_encoded32 = ENCODED[NG_TYPESIZ]
_decoded = DECODED
_enc = encode_fixed_cached
_dec = decode_fixed_cached


def _exact(buf: Buffer, size: int, what: str) -> bytes:
    if len(buf) != size:
        raise einval(f"{what}: {len(buf)} bytes, expected {size}")
    return bytes(buf)


def _at_least(buf: Buffer, size: int, what: str) -> None:
    if len(buf) < size:
        raise einval(f"{what}: truncated, {len(buf)} bytes, need {size}")


def _pack(st: struct.Struct, what: str, *values: object) -> bytes:
    try:
        return st.pack(*values)
    except struct.error as exc:
        raise einval(f"{what}: {exc}") from None


class Mkpeer(NamedTuple):
    """``struct ngm_mkpeer`` (96 bytes)."""

    type: str
    ourhook: str
    peerhook: str

    def encode(self) -> bytes:
        cache = _encoded32
        try:
            return cache[self.type] + cache[self.ourhook] + cache[self.peerhook]
        except (KeyError, TypeError):  # a name not seen yet: checked (and cached) one by one
            return _enc(self.type, NG_TYPESIZ, "type") + _enc(self.ourhook, NG_HOOKSIZ, "ourhook") + _enc(
                self.peerhook, NG_HOOKSIZ, "peerhook")

    @classmethod
    def decode(cls, buf: Buffer) -> "Mkpeer":
        if len(buf) != SIZEOF_MKPEER:
            _exact(buf, SIZEOF_MKPEER, "ngm_mkpeer")
        type_, ours, peer = _MKPEER.unpack(buf)
        cache = _decoded
        try:
            return _new(cls, (cache[type_], cache[ours], cache[peer]))
        except KeyError:
            return _new(cls, (_dec(type_), _dec(ours), _dec(peer)))


class Connect(NamedTuple):
    """``struct ngm_connect`` (576 bytes)."""

    path: str
    ourhook: str
    peerhook: str

    def encode(self) -> bytes:
        return (
            _enc(self.path, NG_PATHSIZ, "path")
            + _enc(self.ourhook, NG_HOOKSIZ, "ourhook")
            + _enc(self.peerhook, NG_HOOKSIZ, "peerhook")
        )

    @classmethod
    def decode(cls, buf: Buffer) -> "Connect":
        if len(buf) != SIZEOF_CONNECT:
            _exact(buf, SIZEOF_CONNECT, "ngm_connect")
        path, ours, peer = _CONNECT.unpack(buf)
        return cls(decode_fixed(path), _dec(ours), _dec(peer))


class Name(NamedTuple):
    """``struct ngm_name`` (32 bytes)."""

    name: str

    def encode(self) -> bytes:
        return _enc(self.name, NG_NODESIZ, "name")

    @classmethod
    def decode(cls, buf: Buffer) -> "Name":
        return cls(_dec(_exact(buf, NG_NODESIZ, "ngm_name")))


class Rmhook(NamedTuple):
    """``struct ngm_rmhook`` (32 bytes)."""

    ourhook: str

    def encode(self) -> bytes:
        return _enc(self.ourhook, NG_HOOKSIZ, "ourhook")

    @classmethod
    def decode(cls, buf: Buffer) -> "Rmhook":
        return cls(_dec(_exact(buf, NG_HOOKSIZ, "ngm_rmhook")))


class NodeInfo(NamedTuple):
    """``struct nodeinfo`` (72 bytes): the NODEINFO reply."""

    name: str
    type: str
    id: int
    hooks: int

    def encode(self) -> bytes:
        return _pack(
            _NODEINFO, "nodeinfo",
            _enc(self.name, NG_NODESIZ, "name"),
            _enc(self.type, NG_TYPESIZ, "type"),
            self.id, self.hooks,
        )

    @classmethod
    def decode(cls, buf: Buffer) -> "NodeInfo":
        return cls._from(_exact(buf, _NODEINFO.size, "nodeinfo"), 0)

    @classmethod
    def _from(cls, raw: bytes, offset: int) -> "NodeInfo":
        name, type_, id_, hooks = _NODEINFO.unpack_from(raw, offset)
        return cls(_dec(name), _dec(type_), id_, hooks)


class LinkInfo(NamedTuple):
    """``struct linkinfo`` (136 bytes): one hook and the node at its far end."""

    ourhook: str
    peerhook: str
    nodeinfo: NodeInfo

    def encode(self) -> bytes:
        return (
            encode_fixed(self.ourhook, NG_HOOKSIZ, "ourhook")
            + encode_fixed(self.peerhook, NG_HOOKSIZ, "peerhook")
            + self.nodeinfo.encode()
        )

    @classmethod
    def decode(cls, buf: Buffer) -> "LinkInfo":
        return cls._from(_exact(buf, SIZEOF_LINKINFO, "linkinfo"), 0)

    @classmethod
    def _from(cls, raw: bytes, offset: int) -> "LinkInfo":
        ours, peer = _LINKINFO_NAMES.unpack_from(raw, offset)
        node = NodeInfo._from(raw, offset + _LINKINFO_NAMES.size)
        return cls(decode_fixed(ours), decode_fixed(peer), node)


class HookList(NamedTuple):
    """``struct hooklist``: the LISTHOOKS reply, 72 + 136 * n bytes.

    ``nodeinfo.hooks`` counts the links; ``encode`` writes ``len(links)`` there.
    """

    nodeinfo: NodeInfo
    links: List[LinkInfo]

    def encode(self) -> bytes:
        node = self.nodeinfo._replace(hooks=len(self.links))
        return node.encode() + b"".join(link.encode() for link in self.links)

    @classmethod
    def decode(cls, buf: Buffer) -> "HookList":
        _at_least(buf, SIZEOF_NODEINFO, "hooklist")
        raw = bytes(buf)
        node = NodeInfo._from(raw, 0)
        _at_least(raw, SIZEOF_NODEINFO + SIZEOF_LINKINFO * node.hooks, f"hooklist of {node.hooks} hooks")
        links = [LinkInfo._from(raw, SIZEOF_NODEINFO + SIZEOF_LINKINFO * i) for i in range(node.hooks)]
        return cls(node, links)


def _counted(buf: Buffer, size: int, entry: Callable[[bytes, int], T], what: str, unit: str) -> List[T]:
    """A u32 count followed by that many ``size``-byte entries (namelist, typelist)."""
    _at_least(buf, 4, what)
    raw = bytes(buf)
    (count,) = _U32.unpack_from(raw)
    _at_least(raw, 4 + size * count, f"{what} of {count} {unit}")
    return [entry(raw, 4 + size * i) for i in range(count)]


class NameList(NamedTuple):
    """``struct namelist``: the LISTNAMES/LISTNODES reply, 4 + 72 * n bytes."""

    nodes: List[NodeInfo]

    def encode(self) -> bytes:
        return _U32.pack(len(self.nodes)) + b"".join(n.encode() for n in self.nodes)

    @classmethod
    def decode(cls, buf: Buffer) -> "NameList":
        return cls(_counted(buf, SIZEOF_NODEINFO, NodeInfo._from, "namelist", "nodes"))


class TypeInfo(NamedTuple):
    """``struct typeinfo`` (36 bytes)."""

    type_name: str
    numnodes: int

    def encode(self) -> bytes:
        return _pack(_TYPEINFO, "typeinfo", encode_fixed(self.type_name, NG_TYPESIZ, "type_name"), self.numnodes)

    @classmethod
    def decode(cls, buf: Buffer) -> "TypeInfo":
        return cls._from(_exact(buf, _TYPEINFO.size, "typeinfo"), 0)

    @classmethod
    def _from(cls, raw: bytes, offset: int) -> "TypeInfo":
        name, numnodes = _TYPEINFO.unpack_from(raw, offset)
        return cls(decode_fixed(name), numnodes)


class TypeList(NamedTuple):
    """``struct typelist``: the LISTTYPES reply, 4 + 36 * n bytes."""

    types: List[TypeInfo]

    def encode(self) -> bytes:
        return _U32.pack(len(self.types)) + b"".join(t.encode() for t in self.types)

    @classmethod
    def decode(cls, buf: Buffer) -> "TypeList":
        return cls(_counted(buf, SIZEOF_TYPEINFO, TypeInfo._from, "typelist", "types"))


class Sockopt(NamedTuple):
    """``struct ng_ksocket_sockopt``: FreeBSD level and name, then the value bytes."""

    level: int
    name: int
    value: bytes = b""

    def encode(self) -> bytes:
        return _pack(_SOCKOPT, "ng_ksocket_sockopt", self.level, self.name) + bytes(self.value)

    @classmethod
    def decode(cls, buf: Buffer) -> "Sockopt":
        _at_least(buf, _SOCKOPT.size, "ng_ksocket_sockopt")
        level, name = _SOCKOPT.unpack_from(buf)
        return cls(level, name, bytes(buf[_SOCKOPT.size:]))


class AcceptReply(NamedTuple):
    """``struct ng_ksocket_accept``: the new node's ID, then the peer's FreeBSD sockaddr.

    The kernel sends exactly ``4 + sa_len`` bytes; ``addr`` keeps the raw bytes.
    """

    nodeid: int
    addr: bytes

    def encode(self) -> bytes:
        return _pack(_U32, "ng_ksocket_accept", self.nodeid) + bytes(self.addr)

    @classmethod
    def decode(cls, buf: Buffer) -> "AcceptReply":
        _at_least(buf, 4, "ng_ksocket_accept")
        (nodeid,) = _U32.unpack_from(buf)
        return cls(nodeid, bytes(buf[4:]))

    def sockaddr(self) -> Sockaddr:
        """The peer address decoded (see ``decode_sockaddr``)."""
        return decode_sockaddr(self.addr)


SIZEOF_MKPEER = 3 * 32
SIZEOF_CONNECT = NG_PATHSIZ + 2 * NG_HOOKSIZ
SIZEOF_NODEINFO = _NODEINFO.size
SIZEOF_LINKINFO = _LINKINFO_NAMES.size + SIZEOF_NODEINFO
SIZEOF_TYPEINFO = _TYPEINFO.size
