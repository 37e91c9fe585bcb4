"""The ASCII form of netgraph control messages (what ngctl reads and prints).

Byte-exact with FreeBSD 14's ``ng_parse`` and the parse types of ``ng_base``
and ``ng_ksocket``, quirks included.  Modules:

* :mod:`.lexer`: tokens, quoted strings, numbers;
* :mod:`.types`: the parse types (ints, strings, byte arrays, arrays, structs);
* :mod:`.sockaddr`: ksocket's socket-address, accept and sockopt types;
* :mod:`.cmdlists`: each node type's command list (:data:`CMDLISTS`, :data:`GENERIC`);
* :mod:`.convert`: whole-message conversion and the kernel's ASCII2BINARY /
  BINARY2ASCII handlers.
"""

from __future__ import annotations

from .cmdlists import CMDLISTS, GENERIC, Cmd, CmdList
from .convert import (
    ascii_to_binary, binary_to_ascii, find_by_name, find_by_number, format_message,
    kernel_ascii2binary, kernel_binary2ascii, parse_args, unparse_args,
)
from .error import ParseError
from .types import ParseContext, ParseType, UnparseContext

__all__ = [
    "CMDLISTS", "GENERIC", "Cmd", "CmdList", "ParseContext", "ParseError", "ParseType",
    "UnparseContext", "ascii_to_binary", "binary_to_ascii", "find_by_name", "find_by_number",
    "format_message", "kernel_ascii2binary", "kernel_binary2ascii", "parse_args", "unparse_args",
]
