"""libnetgraph's log callbacks (``_NgLog``/``_NgLogx``) routed to Python.

The C library calls ``void (*)(const char *fmt, ...)``.  ctypes cannot declare
a variadic callback, so :data:`LOGF` takes the format plus :data:`SLOTS`
pointer-sized slots.  On FreeBSD's ABIs (amd64, arm64, i386, riscv64,
powerpc64 ELFv2) variadic integer and pointer arguments travel exactly like
ordinary ones, so the slots hold the caller's arguments; slots beyond those
passed hold junk that is never used, because :func:`format_c` consumes only
what the format names.  A format this module cannot render safely (floating
point, 64-bit integers on a 32-bit host, more conversions than slots) is
logged as the bare format, which is the spec's fallback.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
from typing import TYPE_CHECKING, Callable, Optional, Sequence

if TYPE_CHECKING:
    from ctypes import _CFunctionType

SLOTS = 8

#: The callback type handed to NgSetErrLog; errno is the C errno at entry.
LOGF = ctypes.CFUNCTYPE(None, ctypes.c_char_p, *([ctypes.c_void_p] * SLOTS), use_errno=True)

LogFunc = Callable[[str], None]

_CONVERSION = re.compile(rb"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?(hh|h|ll|l|j|z|t|q|L)?([diouxXcsp%]|[eEfFgGaAn])")
_WORD_BITS = ctypes.sizeof(ctypes.c_void_p) * 8
_LONG_BITS = ctypes.sizeof(ctypes.c_long) * 8
_SIZE_BITS = {None: 32, "hh": 8, "h": 16, "l": _LONG_BITS, "z": _WORD_BITS, "t": _WORD_BITS,
              "j": 64, "ll": 64, "q": 64, "L": 128}


class _Unrenderable(Exception):
    """The format needs something the slots cannot carry."""


def _integer(raw: Optional[int], bits: int, signed: bool) -> int:
    if bits > _WORD_BITS:
        raise _Unrenderable
    value = (raw or 0) & ((1 << bits) - 1)
    if signed and value >> (bits - 1):
        value -= 1 << bits
    return value


def format_c(fmt: bytes, args: Sequence[Optional[int]]) -> Optional[str]:
    """printf ``fmt`` with integer/pointer ``args`` (as ctypes hands them over).

    Returns ``None`` when the format cannot be rendered from the slots.
    """
    slots = iter(args)

    def take() -> Optional[int]:
        try:
            return next(slots)
        except StopIteration:
            raise _Unrenderable from None

    def render(m: "re.Match[bytes]") -> str:
        flags, width, precision, size, conv = m.groups()
        if conv == b"%":
            return "%"
        if conv in b"eEfFgGaAn":
            raise _Unrenderable
        spec = "%" + flags.decode()
        if width == b"*":
            spec += str(_integer(take(), 32, True))
        elif width:
            spec += width.decode()
        if precision == b"*":
            spec += "." + str(_integer(take(), 32, True))
        elif precision is not None:
            spec += "." + (precision.decode() or "0")
        raw = take()
        letter = conv.decode()
        if letter == "s":
            text = ctypes.string_at(raw).decode("latin-1") if raw else "(null)"
            return (spec + "s") % text
        if letter == "c":
            return (spec + "c") % chr(_integer(raw, 8, False))
        if letter == "p":
            return (spec + "#x") % _integer(raw, _WORD_BITS, False)
        bits = _SIZE_BITS[size.decode() if size else None]
        value = _integer(raw, bits, signed=letter in "di")
        return (spec + {"i": "d", "u": "d"}.get(letter, letter)) % value

    try:
        return _CONVERSION.sub(lambda m: render(m).encode("latin-1", "replace"), fmt).decode("latin-1")
    except (_Unrenderable, ValueError, TypeError):
        return None


def make_callback(sink: LogFunc, with_errno: bool) -> _CFunctionType:
    """A C callback that formats the message and hands one line to ``sink``.

    ``with_errno`` appends ``": <strerror(errno)>"`` as ``warn(3)`` does (``_NgLog``).
    """

    def callback(fmt: Optional[bytes], *args: Optional[int]) -> None:
        err = ctypes.get_errno()
        fmt = fmt or b""
        text = format_c(fmt, args)
        line = text if text is not None else fmt.decode("latin-1")
        if with_errno:
            line = f"{line}: {os.strerror(err)}"
        try:
            sink(line)
        except Exception:  # an exception must never unwind into C
            logging.getLogger(__name__).exception("libnetgraph log sink failed")

    return LOGF(callback)


_logger = logging.getLogger("pyngraph.libnetgraph")


def default_log(line: str) -> None:
    """``_NgLog`` lines (failures, with strerror) go to ``pyngraph.libnetgraph`` at WARNING."""
    _logger.warning("%s", line)


def default_logx(line: str) -> None:
    """``_NgLogx`` lines (debug dumps) go to ``pyngraph.libnetgraph`` at INFO."""
    _logger.info("%s", line)
