"""``python -m pyngraph COMMAND``: ``demo`` (the UDP echo demo) and ``graph`` (render the live graph)."""

from __future__ import annotations

import sys
from typing import List, Optional

USAGE = """usage: python -m pyngraph COMMAND [ARGS]

commands:
  demo    build a UDP echo service from a ksocket and an echo node (emulated backend) and use it
  graph   render the live netgraph graph with graphviz (--svg FILE / --png FILE)
"""


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if args else 64
    command, rest = args[0], args[1:]
    if command == "demo":
        from .demo import main as demo_main

        return demo_main(rest)
    if command == "graph":
        from .cli.graph import main as graph_main

        return graph_main(rest)
    print(f"pyngraph: unknown command {command!r}\n{USAGE}", end="", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
