"""Helpers shared by the ABI codecs: the EINVAL error and fixed-size string fields."""

from __future__ import annotations

from typing import Dict

from ..errors import InvalidArgumentError, NetgraphError
from .constants import NG_CMDSTRSIZ, NG_HOOKSIZ, NG_NODESIZ, NG_PATHSIZ, NG_TYPESIZ, Errno

# Fields seen before (a handful of names in practice), bounded: str -> padded field by
# field size, and field -> str.  Only valid fields are cached, so errors stay as they were.
CACHE_MAX = 4096
ENCODED: Dict[int, Dict[str, bytes]] = {NG_TYPESIZ: {}, NG_PATHSIZ: {}}
DECODED: Dict[bytes, str] = {}
assert NG_TYPESIZ == NG_HOOKSIZ == NG_NODESIZ == NG_CMDSTRSIZ  # the 32-byte fields share one cache


def einval(detail: str) -> InvalidArgumentError:
    """The library's error for malformed ABI input (FreeBSD EINVAL)."""
    err = NetgraphError.from_fbsd(Errno.EINVAL, detail)
    assert isinstance(err, InvalidArgumentError)
    return err


def encode_fixed(value: str, size: int, what: str) -> bytes:
    """Encode ``value`` (latin-1) NUL-padded to ``size`` bytes, keeping the last byte NUL."""
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raise einval(f"{what} {value!r} is not latin-1") from None
    if b"\0" in raw:
        raise einval(f"{what} {value!r} contains a NUL")
    if len(raw) > size - 1:
        raise einval(f"{what} {value!r} is longer than {size - 1} characters")
    return raw.ljust(size, b"\0")


def decode_fixed(raw: bytes) -> str:
    """Decode a NUL-padded string field as the kernel reads it.

    The kernel forces the field's last byte to NUL, so at most ``len(raw) - 1``
    characters count; the string ends at the first NUL (latin-1).
    """
    raw = raw[:-1]
    end = raw.find(b"\0")
    return (raw if end < 0 else raw[:end]).decode("latin-1")


def encode_fixed_cached(value: str, size: int, what: str) -> bytes:
    """:func:`encode_fixed` with a cache of the fields already checked (size 32 or 512)."""
    cache = ENCODED[size]
    try:
        raw = cache.get(value)
    except TypeError:  # unhashable: encode_fixed gives the error
        raw = None
    if raw is None:
        raw = encode_fixed(value, size, what)
        if len(cache) >= CACHE_MAX:
            cache.clear()
        cache[value] = raw
    return raw


def decode_fixed_cached(raw: bytes) -> str:
    """:func:`decode_fixed` with a cache of the fields already read."""
    text = DECODED.get(raw)
    if text is None:
        text = decode_fixed(raw)
        if len(DECODED) >= CACHE_MAX:
            DECODED.clear()
        DECODED[raw] = text
    return text
