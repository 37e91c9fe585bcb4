"""Each struct's size and each node type's cookie is written once: in its declaration.

The sizes of ``struct ng_msghdr`` (56), ``struct nodeinfo`` (72),
``struct ngm_mkpeer`` (96) and ``struct ngm_connect`` (576) come from the
declarations in ``pyngraph.abi`` (``MsgHdr.SIZE``, ``NodeInfo.SIZE`` ...); a
bare one elsewhere is a second description that can drift.  Cookies are
``NGM_*_COOKIE`` of ``pyngraph.abi.constants`` (generic, flow) or of the node
type's declaration (``pyngraph.abi.nodetypes.ng_hub``), never their numbers.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path
from typing import Dict, List

from pyngraph.abi import constants, nodetypes
from pyngraph.abi.args import Connect, Mkpeer, NodeInfo
from pyngraph.abi.message import MsgHdr

PACKAGE = Path(__file__).resolve().parents[2] / "pyngraph"

SIZES: Dict[int, str] = {
    MsgHdr.SIZE: "struct ng_msghdr: HEADER_SIZE / MsgHdr.SIZE",
    NodeInfo.SIZE: "struct nodeinfo: NodeInfo.SIZE",
    Mkpeer.SIZE: "struct ngm_mkpeer: Mkpeer.SIZE",
    Connect.SIZE: "struct ngm_connect: Connect.SIZE",
}
DECLARATIONS = {f"abi/nodetypes/{module.__name__.rpartition('.')[2]}.py": module for module in nodetypes.HEADERS}
COOKIE_HOMES = {"abi/constants.py": constants, **DECLARATIONS}
COOKIES: Dict[int, str] = {value: name for module in COOKIE_HOMES.values() for name, value in vars(module).items()
                           if name.startswith("NGM_") and name.endswith("_COOKIE")}

# Where these numbers are something else: FreeBSD's errno numbers and constants (EISCONN is 56,
# NG_IFACE_MTU_MIN 72 ...), declared once there.
NOT_SIZES = {"abi/constants.py", "abi/strerror.py", "fbsd_errno.py", *DECLARATIONS}

_SIZE_IN_TEXT = re.compile(r"\b(%s)[- ]bytes?\b" % "|".join(str(size) for size in SIZES))


def _number(token: str) -> int:
    try:
        return int(token.replace("_", ""), 0)
    except ValueError:
        return -1  # a float or complex literal


def scan(name: str, source: str) -> List[str]:
    """``name:line: what`` for each stray size or cookie literal in ``source``."""
    found: List[str] = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        line = tok.start[0]
        if tok.type == tokenize.NUMBER:
            value = _number(tok.string)
            if value in SIZES and name not in NOT_SIZES:
                found.append(f"{name}:{line}: {tok.string} is the size of {SIZES[value]}")
            if value in COOKIES and not (name in COOKIE_HOMES and COOKIES[value] in vars(COOKIE_HOMES[name])):
                found.append(f"{name}:{line}: {tok.string} is the cookie {COOKIES[value]}")
        elif tok.type in (tokenize.STRING, tokenize.COMMENT) and name not in NOT_SIZES:
            for match in _SIZE_IN_TEXT.finditer(tok.string):
                size = int(match.group(1))
                found.append(f"{name}:{line + tok.string.count(chr(10), 0, match.start())}: "
                             f"'{match.group(0)}' restates the size of {SIZES[size]}")
    return found


def test_scan_names_each_stray_literal() -> None:
    source = (
        '"""The 56-byte header."""\n'
        "x = HEADER_SIZE + 72\n"
        "cookie = 1137070366  # generic\n"
        "ok = NodeInfo.SIZE + 0x48\n"
    )
    assert scan("backend/example.py", source) == [
        "backend/example.py:1: '56-byte' restates the size of struct ng_msghdr: HEADER_SIZE / MsgHdr.SIZE",
        "backend/example.py:2: 72 is the size of struct nodeinfo: NodeInfo.SIZE",
        "backend/example.py:3: 1137070366 is the cookie NGM_GENERIC_COOKIE",
        "backend/example.py:4: 0x48 is the size of struct nodeinfo: NodeInfo.SIZE",
    ]
    assert scan("abi/constants.py", "NGM_GENERIC_COOKIE = 1137070366\nEISCONN = 56\n") == []
    assert scan("abi/nodetypes/ng_hub.py", "NGM_HUB_COOKIE = 1082189597\n") == []
    assert scan("abi/nodetypes/ng_tee.py", "x = 1082189597\n") == [
        "abi/nodetypes/ng_tee.py:1: 1082189597 is the cookie NGM_HUB_COOKIE"]


def test_every_declaration_is_scanned() -> None:
    found = {p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "abi" / "nodetypes").glob("ng_*.py")}
    assert found == set(DECLARATIONS)


def test_sizes_and_cookies_are_written_once() -> None:
    found: List[str] = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50  # the whole package is read
    for path in files:
        found += scan(path.relative_to(PACKAGE).as_posix(), path.read_text(encoding="utf-8"))
    assert not found, "bare sizes or cookies outside their declarations:\n" + "\n".join(found)

