"""Parse and render 10,000 typical ksocket arguments; compare with struct.pack.

Run from the repository root: ``python -m benchmarks.ascii_bench [N]``.
Each operation is one text -> binary conversion followed by binary -> text
(the work ngctl's ``msg`` and a reply's display cause); the baseline packs
the same binary with ``struct`` alone.
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from typing import Callable, List, Tuple

from pyngraph.ascii.convert import find_by_name, parse_args, unparse_args

ARGS: List[Tuple[str, str]] = [
    ("bind", "inet/127.0.0.1:8080"),
    ("connect", "inet/192.168.1.1:1234"),
    ("bind", 'local/"/var/run/ngsock"'),
    ("setopt", "{ level=0xffff name=4 value=[ 1 ] }"),
    ("setopt", "{ level=6 name=1 value=[ 1 0 0 0 ] }"),
]

_INET = struct.Struct("!BBH4s8x")
_OPT = struct.Struct("=ii")


def _baseline(i: int) -> bytes:
    """The same kinds of arguments built directly with struct.pack."""
    k = i % len(ARGS)
    if k == 0:
        return _INET.pack(16, 2, 8080, socket.inet_aton("127.0.0.1"))
    if k == 1:
        return _INET.pack(16, 2, 1234, socket.inet_aton("192.168.1.1"))
    if k == 2:
        path = b"/var/run/ngsock"
        return bytes((2 + len(path), 1)) + path
    if k == 3:
        return _OPT.pack(0xFFFF, 4) + (1).to_bytes(4, sys.byteorder)
    return _OPT.pack(6, 1) + (1).to_bytes(4, sys.byteorder)


def _timed(n: int, op: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        op(i)
    return time.perf_counter() - start


def main(argv: List[str]) -> int:
    n = int(argv[0]) if argv else 10_000
    cmds = [(find_by_name("ksocket", name), text) for name, text in ARGS]

    def convert(i: int) -> str:
        cmd, text = cmds[i % len(cmds)]
        return unparse_args(cmd, parse_args(cmd, text))

    for i in range(len(cmds)):  # warm up, and check the forms survive the trip
        cmd, text = cmds[i]  # (same arglen: it sizes the sockopt value)
        assert parse_args(cmd, convert(i), arglen=len(text) + 1) == parse_args(cmd, text), text

    ours = _timed(n, convert)
    base = _timed(n, _baseline)
    print(f"ascii parse+unparse: {n} ksocket arguments in {ours:.3f} s = {n / ours:,.0f} ops/s")
    print(f"struct.pack baseline: {n} arguments in {base:.4f} s = {n / base:,.0f} ops/s")
    print(f"ratio: the ASCII round trip costs {ours / base:.0f}x a struct.pack")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
