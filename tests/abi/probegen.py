"""Generate a C probe of ``_Static_assert``s from pyngraph's own ABI definitions.

Compiled against FreeBSD's headers (shipped with ziglang) for each FreeBSD
target, the probe checks every struct's size and alignment, every field's
offset and size, and every constant in ``pyngraph.abi.constants`` and the node types'
declarations (``pyngraph.abi.nodetypes``).  Each
assertion's message names what it checks, so a mismatch fails the compile
with the struct, field or constant in the error.
"""

from __future__ import annotations

import ctypes
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Type, Union

from pyngraph.abi import constants, nodetypes
from pyngraph.abi.structs import ALL_STRUCTS

TARGETS = (
    "x86_64-freebsd",
    "aarch64-freebsd",
    "x86-freebsd",
    "riscv64-freebsd",
    "powerpc64-freebsd",
    "arm-freebsd-eabihf",
)

# The i386 ABI aligns 8-byte integers inside structs to 4; the others to 8.
INT64_ALIGN = {"x86-freebsd": 4}

HEADERS = (
    "sys/types.h",
    "sys/socket.h",
    "netinet/in.h",
    "netinet/tcp.h",
    "sys/un.h",
    "errno.h",
    "stddef.h",
    "netgraph/ng_message.h",
    "netgraph/ng_ksocket.h",
    "netgraph/ng_socket.h",
    "netgraph/ng_hub.h",
    "netgraph/ng_echo.h",
    "netgraph/ng_hole.h",
    "netgraph/ng_tee.h",
    "net/if.h",
    "net/ethernet.h",
    "netgraph/ng_iface.h",
    "netgraph/ng_eiface.h",
    "netgraph/ng_ether.h",
    "netgraph/ng_bridge.h",
    "netgraph/ng_one2many.h",
    "netgraph/ng_vlan.h",
)

# Constants no user-level header defines, so the probe cannot check them.
SKIPPED_CONSTANTS = {
    "NG_ABI_VERSION": "kernel module ABI: netgraph/netgraph.h refuses user-level inclusion (#error without _KERNEL)",
    "NG_KSOCKET_TAG_SOCKADDR": "defined in ng_ksocket.h only under _KERNEL (mbuf tag type)",
    "TF_NODELAY": "tcpcb t_flags bit: netinet/tcp_var.h defines it only under _KERNEL",
    "TF_NOPUSH": "tcpcb t_flags bit: netinet/tcp_var.h defines it only under _KERNEL",
    "NGSA_OVERHEAD": "libnetgraph-private (lib/libnetgraph/internal.h), not an installed header",
}

Value = Union[int, str]


def constants_to_check() -> Dict[str, Value]:
    """Every int or node-type-name constant of ``pyngraph.abi.constants`` and of each node type's declaration, and every Errno member."""
    found: Dict[str, Value] = {}
    for name, value in [item for module in (constants, *nodetypes.HEADERS) for item in vars(module).items()]:
        if not name.isupper() or name in SKIPPED_CONSTANTS:
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            found[name] = int(value)
        elif isinstance(value, str) and name.endswith("_NODE_TYPE"):
            found[name] = value
    for member in constants.Errno:
        found[member.name] = int(member)
    return found


def _alignment(ctype: type, target: str) -> int:
    """Alignment of ``ctype`` on ``target`` (ctypes reports the host's)."""
    if issubclass(ctype, ctypes.Structure):
        return max(_alignment(field[1], target) for field in ctype._fields_)
    if issubclass(ctype, ctypes.Array):
        return _alignment(ctype._type_, target)
    align = ctypes.alignment(ctype)
    return INT64_ALIGN.get(target, align) if align == 8 else align


def _assert(expr: str, message: str) -> str:
    return f'_Static_assert({expr}, "{message}");'


def struct_asserts(cls: Type[ctypes.Structure], target: str) -> List[str]:
    """Size, alignment, and each field's offset and size, of one struct."""
    c = f"struct {cls.__name__}"
    lines = [
        _assert(f"sizeof({c}) == {ctypes.sizeof(cls)}", f"sizeof({c}) == {ctypes.sizeof(cls)}"),
        _assert(f"_Alignof({c}) == {_alignment(cls, target)}", f"_Alignof({c}) == {_alignment(cls, target)}"),
    ]
    for name, ctype in (field[:2] for field in cls._fields_):
        offset = getattr(cls, name).offset
        lines.append(_assert(f"offsetof({c}, {name}) == {offset}", f"offsetof({c}, {name}) == {offset}"))
        size = ctypes.sizeof(ctype)
        if size:  # a flexible array member has no size in C
            lines.append(_assert(f"sizeof((({c} *)0)->{name}) == {size}", f"sizeof({c}.{name}) == {size}"))
    return lines


def constant_asserts(name: str, value: Value) -> List[str]:
    """``name == value``; a string constant is checked char by char."""
    if isinstance(value, int):
        return [_assert(f"({name}) == {value}LL", f"constant {name} == {value}")]
    lines = [_assert(f"sizeof({name}) == {len(value) + 1}", f"constant {name} == {value!r}: length")]
    for i, char in enumerate(value):
        lines.append(_assert(f"({name})[{i}] == {ord(char)}", f"constant {name} == {value!r}: char {i}"))
    return lines


def generate(
    target: str,
    structs: Iterable[Type[ctypes.Structure]] = ALL_STRUCTS,
    values: Optional[Mapping[str, Value]] = None,
) -> str:
    """The probe's C source for ``target``."""
    lines = [f"/* pyngraph ABI probe for {target}: generated by tests/abi/probegen.py */"]
    lines += [f"#include <{header}>" for header in HEADERS]
    for cls in structs:
        lines += struct_asserts(cls, target)
    for name, value in (constants_to_check() if values is None else values).items():
        lines += constant_asserts(name, value)
    return "\n".join(lines) + "\n"


def count_asserts(source: str) -> int:
    return source.count("_Static_assert(")


def compile_probe(source: str, target: str, workdir: Path) -> subprocess.CompletedProcess:
    """Compile ``source`` with ``zig cc -target target``; the result carries the compiler's output."""
    path = workdir / f"probe-{target}.c"
    path.write_text(source, encoding="ascii")
    cmd: Sequence[str] = [
        sys.executable, "-m", "ziglang", "cc", "-target", target, "-std=c11", "-ferror-limit=0",
        "-c", str(path), "-o", str(path.with_suffix(".o")),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)


def ziglang_available() -> bool:
    try:
        import ziglang  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":  # print a target's probe: python tests/abi/probegen.py [target]
    print(generate(sys.argv[1] if len(sys.argv) > 1 else TARGETS[0]), end="")
