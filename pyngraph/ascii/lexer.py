"""Tokens, quoted strings and numbers of netgraph's ASCII form, as FreeBSD 14 reads them.

The text is handled as the kernel sees it: bytes up to the first NUL.  Every
function here takes ``s``, such bytes with one NUL appended (see
:func:`c_text`), so that looking one byte past the end is always safe.

Quirks kept on purpose (they decide which texts FreeBSD accepts):

* ``\\x`` and octal escapes take *all* following digits, keeping 8 bits;
* the reported length of a quoted string is one short for every ``\\x``
  escape, every ``\\\\`` and every other single-character escape (``\\q``);
* a multi-digit escape whose value is 0 mod 256 (``\\x00``, ``\\000``) ends
  the kernel's scan early, so the string counts as unterminated;
* numbers follow the kernel's ``strtol``/``strtoul``: ``0x`` followed by no
  hex digit consumes nothing, and out-of-range values saturate.
"""

from __future__ import annotations

from typing import Optional, Tuple

WHITESPACE = frozenset(b" \t\n\v\f\r")

# Token kinds.
T_LBRACE, T_RBRACE, T_LBRACKET, T_RBRACKET, T_EQUALS, T_STRING, T_WORD, T_EOF, T_ERROR = range(9)

_SINGLE = {ord("{"): T_LBRACE, ord("}"): T_RBRACE, ord("["): T_LBRACKET,
           ord("]"): T_RBRACKET, ord("="): T_EQUALS}
_WORD_END = frozenset(b" \t\n\v\f\r\0{}[]=\"")
_SIMPLE_ESCAPES = {ord("t"): 9, ord("n"): 10, ord("r"): 13, ord("v"): 11, ord("f"): 12, ord('"'): 34}
_OCTAL = frozenset(b"01234567")
_HEX = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}
_QUOTE = 0x22
_BACKSLASH = 0x5C

U64 = (1 << 64) - 1
I64_MAX = (1 << 63) - 1


def c_text(raw: bytes) -> bytes:
    """``raw`` as a C string (cut at the first NUL), with the NUL sentinel appended."""
    end = raw.find(0)
    return (raw if end < 0 else raw[:end]) + b"\0"


def skip_ws(s: bytes, off: int) -> int:
    """Offset of the first non-whitespace byte at or after ``off``."""
    while s[off] in WHITESPACE:
        off += 1
    return off


def get_token(s: bytes, off: int) -> Tuple[int, int, Optional[int]]:
    """The next token: ``(kind, start, length)``; length is None for T_ERROR."""
    off = skip_ws(s, off)
    c = s[off]
    if c == 0:
        return T_EOF, off, 0
    kind = _SINGLE.get(c)
    if kind is not None:
        return kind, off, 1
    if c == _QUOTE:
        tok = string_token(s, off)
        if tok is None:
            return T_ERROR, off, None
        return T_STRING, off, tok[2]
    end = off + 1
    while s[end] not in _WORD_END:
        end += 1
    return T_WORD, off, end - off


def string_token(s: bytes, off: int) -> Optional[Tuple[bytes, int, int]]:
    """Decode the quoted string at ``off``: ``(value, start, counted length)``.

    Returns None when there is no opening quote or the string does not end.
    The counted length is FreeBSD's, which is short by one for each ``\\x``,
    ``\\\\`` and other single-character escape (see the module docstring).
    """
    off = skip_ws(s, off)
    if s[off] != _QUOTE:
        return None
    value = bytearray()
    counted = 1
    i = off + 1
    while True:
        c = s[i]
        if c == 0:
            return None
        if c == _QUOTE:
            return bytes(value), off, counted + 1
        if c != _BACKSLASH or s[i + 1] == 0:
            value.append(c)
            i += 1
            counted += 1
            continue
        e = s[i + 1]
        simple = _SIMPLE_ESCAPES.get(e)
        if simple is not None:
            value.append(simple)
            i += 2
            counted += 2
        elif e in _OCTAL:
            j, x = i + 1, 0
            while s[j] in _OCTAL:
                x = ((x << 3) + s[j] - 48) & 0xFFFFFFFF
                j += 1
            if x & 0xFF == 0 and j - (i + 1) > 1:
                return None  # the kernel's in-place copy stops at this NUL
            value.append(x & 0xFF)
            counted += j - i
            i = j
        elif e == 0x78:  # 'x'
            j, x = i + 2, 0
            while s[j] in _HEX:
                x = ((x << 4) + _HEX[s[j]]) & 0xFFFFFFFF
                j += 1
            if x & 0xFF == 0 and j > i + 2:
                return None  # as above
            value.append(x & 0xFF)
            counted += j - (i + 2) + 1
            i = j
        else:
            value.append(e)
            i += 2
            counted += 1


def encode_string(raw: bytes) -> str:
    """``raw`` as a double-quoted string the way FreeBSD renders it."""
    out = ['"']
    for c in raw:
        if c == 9:
            out.append("\\t")
        elif c == 12:
            out.append("\\f")
        elif c == 10:
            out.append("\\n")
        elif c == 13:
            out.append("\\r")
        elif c == 11:
            out.append("\\v")
        elif c == _QUOTE or c == _BACKSLASH:
            out.append("\\" + chr(c))
        elif c < 0x20 or c > 0x7E:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    out.append('"')
    return "".join(out)


def _digit(c: int) -> int:
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 122:
        return c - 87
    if 65 <= c <= 90:
        return c - 55
    return 99


def strtonum(s: bytes, off: int, base: int, *, unsigned: bool) -> Tuple[int, int]:
    """The kernel's ``strtoul`` (unsigned) or ``strtol``/``strtoq`` (64-bit): ``(value, end)``.

    ``end == off`` means no digits were found (value 0).  Unsigned results are
    in 0 .. 2**64-1 (negation wraps), signed ones saturate at the int64 limits.
    """
    i = skip_ws(s, off)
    neg = False
    if s[i] == 0x2D:  # '-'
        neg = True
        i += 1
    elif s[i] == 0x2B:  # '+'
        i += 1
    if base in (0, 16) and s[i] == 0x30 and s[i + 1] in (0x78, 0x58):
        i += 2
        base = 16
    if base == 0:
        base = 8 if s[i] == 0x30 else 10
    limit = U64 if unsigned else (I64_MAX + 1 if neg else I64_MAX)
    acc, seen, overflow = 0, False, False
    while True:
        d = _digit(s[i])
        if d >= base:
            break
        seen = True
        if not overflow:
            acc = acc * base + d
            if acc > limit:
                overflow = True
        i += 1
    if not seen:
        return 0, off
    if overflow:
        acc = U64 if unsigned else (-(I64_MAX + 1) if neg else I64_MAX)
    elif neg:
        acc = (-acc) & U64 if unsigned else -acc
    return acc, i


__all__ = [
    "T_EOF", "T_EQUALS", "T_ERROR", "T_LBRACE", "T_LBRACKET", "T_RBRACE", "T_RBRACKET",
    "T_STRING", "T_WORD", "WHITESPACE", "c_text", "encode_string", "get_token",
    "skip_ws", "string_token", "strtonum",
]
