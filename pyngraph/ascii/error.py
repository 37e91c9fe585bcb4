"""``ParseError``: a conversion error that knows where in the text it happened."""

from __future__ import annotations

from typing import Dict, Optional, Type

from ..errors import NetgraphError, fbsd_to_host_errno

_WINDOW = 60  # characters of text shown around the offending column


class ParseError(NetgraphError):
    """The ASCII form was refused; ``column`` is the character offset in the text.

    ``fbsd_errno`` is the number FreeBSD's parser returns for the same text
    (EINVAL, ENOENT, E2BIG, EALREADY, ERANGE or ENOMEM).  The message shows the
    text with a caret under the offending column.
    """

    column: int
    text: str


_KINDS: Dict[type, Type[ParseError]] = {}


def _kind(fbsd: int) -> Type[ParseError]:
    """``ParseError`` combined with the errno's own subclass (InvalidArgumentError, ...)."""
    base = type(NetgraphError.from_fbsd(fbsd))
    if base is NetgraphError:
        return ParseError
    kind = _KINDS.get(base)
    if kind is None:
        kind = type(base.__name__.replace("Error", "") + "ParseError", (ParseError, base), {})
        kind.__module__ = __name__
        _KINDS[base] = kind
    return kind


def _pointer(text: str, column: int) -> str:
    """Two indented lines: (a window of) the text and a caret under ``column``."""
    lo = max(0, column - _WINDOW // 2)
    hi = lo + _WINDOW
    shown = text[lo:hi].translate({c: " " for c in (9, 10, 11, 12, 13)})
    head = "..." if lo else ""
    tail = "..." if hi < len(text) else ""
    return f"\n  {head}{shown}{tail}\n  {' ' * (len(head) + column - lo)}^"


def parse_error(
    fbsd: int, what: str, text: bytes, offset: int, *, command: Optional[str] = None
) -> ParseError:
    """The error for ``text`` (the kernel's bytes) going wrong at byte ``offset``."""
    shown = text.decode("utf-8", "replace")
    column = len(text[: max(0, offset)].decode("utf-8", "replace"))
    column = min(column, len(shown))
    detail = f"{what} at column {column}{_pointer(shown, column)}"
    err = _kind(fbsd)(
        fbsd_to_host_errno(fbsd), detail, command=command, fbsd_errno=fbsd
    )
    err.column = column
    err.text = shown
    return err


def unparse_error(fbsd: int, what: str, *, command: Optional[str] = None) -> NetgraphError:
    """An error while rendering binary arguments as text (no text column exists)."""
    return NetgraphError.from_fbsd(fbsd, what, command=command)


__all__ = ["ParseError", "parse_error", "unparse_error"]
