"""ngctl's and nghook's output formats, as pure functions of decoded replies.

Every function returns text ending in a newline (or the empty string); the
formats are those of FreeBSD's tools, byte for byte.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ..abi import LinkInfo, NodeInfo, TypeInfo

UNNAMED = "<unnamed>"
_ROW = "  {:<15} {:<15} {:<12} {:<15} {:<15}\n"


def _printable(byte: int) -> str:
    # isprint() in the C locale: ngctl never calls setlocale()
    return chr(byte) if 0x20 <= byte <= 0x7E else "."


def dump_ascii(data: bytes) -> str:
    """ngctl's hex dump: 16 bytes a line, offset, hex column, one space, characters."""
    lines = []
    for offset in range(0, len(data), 16):
        chunk = data[offset:offset + 16]
        hexes = "".join(f"{b:02x} " for b in chunk).ljust(48)
        chars = "".join(_printable(b) for b in chunk).ljust(16)
        lines.append(f"{offset:04x}:  {hexes} {chars}\n")
    return "".join(lines)


def node_line(info: NodeInfo) -> str:
    """One node as ``list`` and ``show`` print it."""
    name = info.name or UNNAMED
    return f"  Name: {name:<15} Type: {info.type:<15} ID: {info.id:08x}   Num hooks: {info.hooks}\n"


def hook_table(links: Sequence[LinkInfo]) -> str:
    """``show``'s table of hooks (every line padded, so it ends in blanks)."""
    if not links:
        return ""
    out = [
        _ROW.format("Local hook", "Peer name", "Peer type", "Peer ID", "Peer hook"),
        _ROW.format("----------", "---------", "---------", "-------", "---------"),
    ]
    for link in links:
        peer = link.nodeinfo
        out.append(_ROW.format(link.ourhook, peer.name or UNNAMED, peer.type, f"{peer.id:08x}", link.peerhook))
    return "".join(out)


def list_header(count: int, named_only: bool) -> str:
    return f"There are {count} total {'named ' if named_only else ''}nodes:\n"


def types_table(types: Sequence[TypeInfo]) -> str:
    """``types``'s output: a count, then names right-aligned with their node counts."""
    out = [f"There are {len(types)} total types:\n"]
    if types:
        out.append(f"{'Type name':>15}   Number of living nodes\n")
        out.append(f"{'---------':>15}   ----------------------\n")
    out.extend(f"{t.type_name:>15}   {t.numnodes:5d}\n" for t in types)
    return "".join(out)


def wrap_help(text: str, width: int = 63) -> Iterable[str]:
    """Cut a help text as the newest ngctl does: at most ``width`` characters, at a blank."""
    pos = 0
    while pos < len(text):
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return
        end = min(pos + width, len(text))
        cut = end
        while cut > pos and cut < len(text) and text[cut] not in " \t":
            cut -= 1
        if cut == pos:  # one word longer than the width: cut it hard
            cut = end
        yield "  " + text[pos:cut] + "\n"
        pos = cut
