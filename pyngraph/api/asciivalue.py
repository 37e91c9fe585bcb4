"""Netgraph ASCII text read as plain Python values.

For replies of node types pyngraph has no codec for: ``{ a=1 b="x" }``
becomes a ``dict``, ``[ 1 2 ]`` a ``list`` (``[ 3=7 ]`` puts 7 at index 3),
quoted strings ``str``, numbers ``int`` and any other word (e.g. a ksocket
address ``inet/127.0.0.1:5000``) stays a ``str``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..ascii.lexer import (
    T_EOF, T_EQUALS, T_LBRACE, T_LBRACKET, T_RBRACE, T_RBRACKET, T_STRING, T_WORD, c_text, get_token,
    string_token, strtonum,
)


class _Malformed(ValueError):
    pass


def parse_text(text: str) -> Any:
    """The Python value of ``text`` (None for empty text); ValueError when it is not well formed."""
    s = c_text(text.encode("latin-1", "replace"))
    kind, _, _ = get_token(s, 0)
    if kind == T_EOF:
        return None
    value, off = _value(s, 0)
    if get_token(s, off)[0] != T_EOF:
        raise _Malformed(f"text after the value at offset {off}")
    return value


def _value(s: bytes, off: int) -> Tuple[Any, int]:
    kind, start, length = get_token(s, off)
    if kind == T_LBRACE:
        return _struct(s, start + 1)
    if kind == T_LBRACKET:
        return _array(s, start + 1)
    if kind == T_STRING:
        tok = string_token(s, start)
        assert tok is not None and length is not None
        return tok[0].decode("latin-1"), start + length
    if kind == T_WORD:
        assert length is not None
        return _word(s, start, length), start + length
    raise _Malformed(f"unexpected token at offset {start}")


def _word(s: bytes, start: int, length: int) -> Any:
    number, end = strtonum(s, start, 0, unsigned=False)
    if end == start + length:
        return number
    return s[start:start + length].decode("latin-1")


def _struct(s: bytes, off: int) -> Tuple[Dict[str, Any], int]:
    fields: Dict[str, Any] = {}
    while True:
        kind, start, length = get_token(s, off)
        if kind == T_RBRACE:
            return fields, start + 1
        if kind != T_WORD or length is None:
            raise _Malformed(f"field name expected at offset {start}")
        name = s[start:start + length].decode("latin-1")
        kind, eq, _ = get_token(s, start + length)
        if kind != T_EQUALS:
            raise _Malformed(f"'=' expected after {name!r}")
        fields[name], off = _value(s, eq + 1)


def _array(s: bytes, off: int) -> Tuple[List[Any], int]:
    items: List[Any] = []
    while True:
        kind, start, length = get_token(s, off)
        if kind == T_RBRACKET:
            return items, start + 1
        if kind == T_EOF:
            raise _Malformed("unterminated array")
        index: Optional[int] = None
        if kind == T_WORD and length is not None and get_token(s, start + length)[0] == T_EQUALS:
            index = _word(s, start, length)
            if not isinstance(index, int) or index < 0:
                raise _Malformed(f"bad array index at offset {start}")
            off = get_token(s, start + length)[1] + 1
        value, off = _value(s, off)
        if index is None:
            items.append(value)
        else:
            items.extend([None] * (index + 1 - len(items)))
            items[index] = value


__all__ = ["parse_text"]
