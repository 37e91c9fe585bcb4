"""``pyngraph-emud``: the emulator daemon's command line, with the tools' no-traceback guard."""

from __future__ import annotations

import sys
from typing import List, Optional

from ..emulator import daemon
from .common import guarded


@guarded("pyngraph-emud")
def main(argv: Optional[List[str]] = None) -> int:
    """See :mod:`pyngraph.emulator.daemon`."""
    return daemon.main(argv)


if __name__ == "__main__":
    sys.exit(main())
