"""``python -m pyngraph COMMAND``: ``demo`` (the UDP echo demo) and ``graph`` (render the live graph)."""

from __future__ import annotations

import sys
from typing import List, Optional

from . import __version__
from .cli.common import EX_USAGE, guarded

USAGE = """usage: python -m pyngraph [--version] COMMAND [ARGS]   (COMMAND --help for its options)

commands:
  demo    build a UDP echo service from a ksocket and an echo node (emulated backend) and use it
  graph   render the live netgraph graph with graphviz (--svg FILE / --png FILE)

console tools (installed by pip; also python -m MODULE):
  pyngctl         ngctl(8): build, inspect and message the graph      (pyngraph.cli.ngctl)
  pynghook        nghook(8): a hook on stdin/stdout                   (pyngraph.cli.nghook)
  pyngraph-emud   the emulated netgraph daemon (--status, --stop)     (pyngraph.cli.emud)
"""


@guarded("pyngraph")
def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in ("-h", "--help", "help"):
        (sys.stdout if args else sys.stderr).write(USAGE)
        return 0 if args else EX_USAGE
    if args[0] == "--version":
        print(f"pyngraph {__version__}")
        return 0
    command, rest = args[0], args[1:]
    if command == "demo":
        from .demo import main as demo_main

        return demo_main(rest)
    if command == "graph":
        from .cli.graph import main as graph_main

        return graph_main(rest)
    sys.stderr.write(f"pyngraph: unknown command {command!r}\n{USAGE}")
    return EX_USAGE


if __name__ == "__main__":
    sys.exit(main())
