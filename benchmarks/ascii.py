"""ASCII: parse + unparse of typical ksocket arguments (benchmarks/ascii_bench.py's set) vs struct.pack."""

from __future__ import annotations

from typing import List

from pyngraph.ascii.convert import find_by_name, parse_args, unparse_args

from . import ascii_bench
from .common import Result, best_of


def run(quick: bool) -> List[Result]:
    n = 1_000 if quick else 10_000
    cmds = [(find_by_name("ksocket", name), text) for name, text in ascii_bench.ARGS]

    def convert(i: int) -> str:
        cmd, text = cmds[i % len(cmds)]
        return unparse_args(cmd, parse_args(cmd, text))

    ours = best_of(3, lambda: n / ascii_bench._timed(n, convert))
    base = best_of(3, lambda: n / ascii_bench._timed(n, ascii_bench._baseline))
    return [Result("ascii parse+unparse", "-", ours, base, "ops/s",
                   notes=["no goal: text parsing against struct.pack of the finished bytes"])]
