"""The ng_ksocket hook-name grammar: ``<family>/<type>/<protocol>``.

Each component is an alias or an unsigned decimal number read the way the
kernel's ``strtoul`` does on LP64 (amd64, arm64).  Protocol aliases exist only
for family 2 (inet), so IPv6 hooks carry a numeric protocol (``inet6/dgram/17``).
"""

from __future__ import annotations

from typing import Dict, NamedTuple

from .constants import NG_HOOKSIZ, Family, Proto, SockType
from .schema import einval

FAMILY_ALIASES: Dict[str, int] = {
    "local": Family.LOCAL,
    "inet": Family.INET,
    "inet6": Family.INET6,
    "atm": Family.ATM,
    "divert": Family.DIVERT,
}
TYPE_ALIASES: Dict[str, int] = {
    "stream": SockType.STREAM,
    "dgram": SockType.DGRAM,
    "raw": SockType.RAW,
    "rdm": SockType.RDM,
    "seqpacket": SockType.SEQPACKET,
}
# Protocol aliases, valid only when the family is exactly PROTO_ALIAS_FAMILY.
PROTO_ALIAS_FAMILY = Family.INET
PROTO_ALIASES: Dict[str, int] = {
    "ip": Proto.IP,
    "raw": Proto.RAW,
    "icmp": Proto.ICMP,
    "igmp": Proto.IGMP,
    "tcp": Proto.TCP,
    "udp": Proto.UDP,
    "gre": Proto.GRE,
    "esp": Proto.ESP,
    "ah": Proto.AH,
    "swipe": Proto.SWIPE,
    "encap": Proto.ENCAP,
    "pim": Proto.PIM,
}

_SPACE = " \t\n\v\f\r"
_ULONG_MAX = 2**64 - 1
_INT_MAX = 2**31 - 1


class HookSpec(NamedTuple):
    """The socket a ksocket hook name asks for (FreeBSD numbers)."""

    family: int
    type: int
    protocol: int


def _strtoul_int(text: str) -> int:
    """``(int)strtoul(text, &end, 10)`` with ``*end == '\\0'`` required; -1 when invalid."""
    i = 0
    while i < len(text) and text[i] in _SPACE:
        i += 1
    negative = False
    if i < len(text) and text[i] in "+-":
        negative = text[i] == "-"
        i += 1
    digits = i
    while i < len(text) and "0" <= text[i] <= "9":
        i += 1
    if i == digits:  # no digits: strtoul leaves the end at the start of the text
        return 0 if text == "" else -1
    if i != len(text):
        return -1
    value = int(text[digits:i])
    if value > _ULONG_MAX:
        value = _ULONG_MAX  # ERANGE saturates, whatever the sign
    elif negative:
        value = -value & _ULONG_MAX
    value &= 0xFFFFFFFF  # the cast to a 32-bit int
    return value if value <= _INT_MAX else -1


def _resolve(text: str, aliases: Dict[str, int], what: str, name: str) -> int:
    if text in aliases:
        return int(aliases[text])
    value = _strtoul_int(text)
    if value < 0:
        raise einval(f"hook name {name!r}: {what} {text!r} is neither an alias nor a number")
    return value


def parse_hookname(name: str) -> HookSpec:
    """Resolve a ksocket hook name as FreeBSD's ``ng_ksocket_newhook`` does."""
    if len(name) > NG_HOOKSIZ - 1:
        raise einval(f"hook name {name!r} is longer than {NG_HOOKSIZ - 1} characters")
    family_text, sep, rest = name.partition("/")
    if not sep:
        raise einval(f"hook name {name!r}: no '/' after the family")
    type_text, sep, proto_text = rest.partition("/")
    if not sep:
        raise einval(f"hook name {name!r}: no '/' after the type")
    family = _resolve(family_text, FAMILY_ALIASES, "family", name)
    type_ = _resolve(type_text, TYPE_ALIASES, "type", name)
    protos = PROTO_ALIASES if family == PROTO_ALIAS_FAMILY else {}
    protocol = _resolve(proto_text, protos, "protocol", name)
    return HookSpec(family, type_, protocol)


def _name_of(value: int, aliases: Dict[str, int], what: str) -> str:
    if not isinstance(value, int) or not 0 <= value <= _INT_MAX:
        raise einval(f"{what} {value!r} is not in 0..{_INT_MAX}")
    for alias, number in aliases.items():
        if number == value:
            return alias
    return str(int(value))


def make_hookname(family: int, type: int, protocol: int) -> str:
    """The hook name FreeBSD resolves to ``(family, type, protocol)``.

    Aliases are used wherever FreeBSD accepts them; a protocol is numeric
    unless the family is inet (e.g. ``inet/dgram/udp``, ``inet6/dgram/17``).
    """
    protos = PROTO_ALIASES if family == PROTO_ALIAS_FAMILY else {}
    name = "/".join((
        _name_of(family, FAMILY_ALIASES, "family"),
        _name_of(type, TYPE_ALIASES, "type"),
        _name_of(protocol, protos, "protocol"),
    ))
    if len(name) > NG_HOOKSIZ - 1:
        raise einval(f"hook name {name!r} is longer than {NG_HOOKSIZ - 1} characters")
    return name


__all__ = ["HookSpec", "parse_hookname", "make_hookname", "FAMILY_ALIASES", "TYPE_ALIASES", "PROTO_ALIASES"]
