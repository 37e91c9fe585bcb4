"""Run every benchmark: ``python -m benchmarks [--quick] [--json FILE] [--case NAME ...] [--mode inproc|daemon ...]``.

Each case prints ``RATIO <case> [<mode>]: <ratio>x (ours ..., baseline ...)``
with the goal and whether it is met; the baseline is measured in the same run
on the same machine.  ``--quick`` runs a few seconds in all (behaviour check,
not a measurement).  ``--json FILE`` also writes the machine, the date and
every row (ours, baseline, ratio, goal) as JSON, so runs can be compared.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from typing import Callable, Dict, List

from . import ascii, codec, control, dataplane, scale
from .common import Result

CASES: Dict[str, Callable[[bool, List[str]], List[Result]]] = {
    "codec": lambda quick, modes: codec.run(quick),
    "ascii": lambda quick, modes: ascii.run(quick),
    "control": control.run,
    "udp": dataplane.run_udp,
    "tcp": dataplane.run_tcp,
    "scale": scale.run,
}
MODES = ["inproc", "daemon"]


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"machine: nproc {os.cpu_count()}, {model}, Python {platform.python_version()} "
            f"({platform.python_implementation()}), {platform.system()} {platform.release()}, "
            f"load average {_load()}")


def _load() -> str:
    """The 1/5/15-minute load averages: other work on the machine skews every figure."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: List[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run (checks the cases work)")
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--mode", action="append", choices=MODES, help="emulator modes (default: both)")
    parser.add_argument("--json", metavar="FILE", help="also write every row as JSON to FILE ('-': stdout)")
    args = parser.parse_args(argv)
    modes = args.mode or MODES
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    print(machine(), flush=True)
    rows: List[Result] = []
    for name in args.case or list(CASES):
        start = time.perf_counter()
        results = CASES[name](args.quick, modes)
        for row in results:
            print(row.line(), flush=True)
        print(f"  ({name}: {time.perf_counter() - start:.1f} s)", flush=True)
        rows.extend(results)
    if args.json:
        report = {"date": started, "machine": machine(), "quick": args.quick, "rows": [r.as_dict() for r in rows]}
        text = json.dumps(report, indent=1)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w", encoding="utf-8") as f:
                f.write(text + "\n")
    short = [r for r in rows if r.met is False]
    print(f"load average at the end: {_load()}")
    print(f"goals met: {sum(r.met is True for r in rows)}, short: {len(short)}, no goal: "
          f"{sum(r.met is None for r in rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
