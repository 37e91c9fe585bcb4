"""Helpers shared by the ABI codecs: the EINVAL error and fixed-size string fields."""

from __future__ import annotations

from ..errors import InvalidArgumentError, NetgraphError
from .constants import Errno


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
