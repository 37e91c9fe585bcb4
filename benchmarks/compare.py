"""Compare two ``python -m benchmarks --json`` runs: ``python -m benchmarks.compare OLD.json NEW.json``.

One line per case and mode found in both: the ratio (ours/baseline) of each run and how it moved.
Ratios, not raw figures, are compared: each was measured against a baseline in its own run.
"""

from __future__ import annotations

import json
import sys
from typing import Dict, List, Optional, Tuple

Key = Tuple[str, str]


def ratios(path: str) -> Tuple[str, Dict[Key, float]]:
    """The run's date and its ratio per (case, mode)."""
    with open(path, encoding="utf-8") as f:
        run = json.load(f)
    return str(run.get("date", "?")), {(row["case"], row["mode"]): float(row["ratio"]) for row in run["rows"]}


def compare(old_path: str, new_path: str) -> List[str]:
    """The report's lines."""
    old_date, old = ratios(old_path)
    new_date, new = ratios(new_path)
    lines = [f"{'case':48} {'mode':7} {old_date[:16]:>16} {new_date[:16]:>16}  change"]
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        change = f"{after / before:.2f}x" if before else "-"
        lines.append(f"{key[0]:48} {key[1]:7} {before:16.3f} {after:16.3f}  {change}")
    only = sorted(old.keys() ^ new.keys())
    if only:
        lines.append("in one run only: " + ", ".join(f"{c} [{m}]" for c, m in only))
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 64
    try:
        print("\n".join(compare(args[0], args[1])))
    except (OSError, ValueError, KeyError) as exc:
        print(f"benchmarks.compare: {exc}", file=sys.stderr)
        return 66
    return 0


if __name__ == "__main__":
    sys.exit(main())
