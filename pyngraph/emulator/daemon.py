"""``pyngraph-emud``: one emulated netgraph shared by every process that connects.

Usage: ``pyngraph-emud --socket PATH``.  Clients reach it with
``PYNGRAPH_EMULATOR=PATH`` (or ``set_backend("emulated", socket_path=PATH)``);
each of their netgraph sockets is one connection to PATH.  When a client
exits, its descriptors close and its socket nodes shut down as on FreeBSD.
SIGINT/SIGTERM shut the graph down and remove PATH.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import stat
import sys
from typing import List, Optional

from .kernel import Kernel
from .transport import ServerChannel


def _listen(path: str) -> socket.socket:
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            probe = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                probe.connect(path)
            except OSError:
                os.unlink(path)  # stale socket of a dead daemon
            else:
                raise SystemExit(f"pyngraph-emud: {path}: another daemon is listening")
            finally:
                probe.close()
    except FileNotFoundError:
        pass
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(128)
    listener.setblocking(False)
    return listener


def serve(path: str, kernel: Optional[Kernel] = None) -> None:
    """Run a kernel on this thread, accepting clients at ``path``, until SIGINT/SIGTERM."""
    kernel = kernel or Kernel()
    listener = _listen(path)

    def accept() -> None:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return
        ServerChannel(kernel, conn)

    def stop(signum: int, frame: object) -> None:
        kernel.request_stop()

    kernel.watch_fd(listener.fileno(), accept)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    print(f"pyngraph-emud: listening on {path}", flush=True)
    try:
        kernel.run()
    finally:
        kernel.unwatch_fd(listener.fileno())
        listener.close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        kernel.stop()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="pyngraph-emud", description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True, metavar="PATH", help="AF_UNIX socket to listen on")
    parser.add_argument("-v", "--verbose", action="store_true", help="log kernel events to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="pyngraph-emud: %(message)s", stream=sys.stderr)
    serve(args.socket)
    return 0


if __name__ == "__main__":
    sys.exit(main())
