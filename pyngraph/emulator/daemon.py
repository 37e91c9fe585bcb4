"""``pyngraph-emud``: one emulated netgraph shared by every process that connects.

Usage: ``pyngraph-emud [--socket PATH] [--group NAME] [limits] [--idle-exit SECONDS]
[--status | --stop]`` (``--help`` lists every per-client ``--max-*`` and daemon-wide
``--total-*`` limit).  PATH defaults to this user's socket (:mod:`.rundir`), where
clients look when ``PYNGRAPH_EMULATOR`` is unset (the first client starts the daemon
there); others reach it with ``PYNGRAPH_EMULATOR=PATH`` (or
``set_backend("emulated", socket_path=PATH)``); each of their netgraph
sockets is one connection to PATH.  ``--idle-exit`` makes it leave after that
long without a client and without a node.  When a client exits, its descriptors
close and its socket nodes shut down as on FreeBSD.

PATH is created mode 0600 (0660 and the group NAME with ``--group``); a
connecting process must be root, the daemon's user or (with ``--group``) a
member of NAME, else its first request fails with EPERM and the refusal is
logged.  What each may touch, and the limits, are described in
:mod:`.limits`.  SIGINT/SIGTERM shut the graph down, remove PATH and print
``stopped (kernel errors: N)``; SIGUSR1 prints the current statistics, SIGQUIT
the stack of every thread (on stderr; the daemon goes on).  A
kernel error is an unexpected exception the kernel caught and logged: a bug,
never a client's fault.
"""

from __future__ import annotations

import argparse
import errno
import faulthandler
import grp
import logging
import os
import resource
import select
import signal
import socket
import stat
import sys
import threading
import time
from typing import List, Optional

from ..abi.constants import Errno
from .limits import LimitedChannel, LimitedKernel, Limits, PeerPolicy, peer_credentials, refuse
from .control import EX_CANTCREAT, Parser, refusal, seconds, status, stop, version
from .nodes import register_all
from .rundir import default_socket
from .sockbuf import env_options

log = logging.getLogger("pyngraph.emulator.daemon")

_EXHAUSTED = (errno.EMFILE, errno.ENFILE)


class KernelErrors(logging.Handler):
    """Counts the unexpected exceptions the emulated kernel logs (ERROR on ``pyngraph.emulator``)."""

    def __init__(self, keep: int = 20) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: List[str] = []  # the first ``keep`` records, with their tracebacks
        self._keep = keep
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < self._keep:
            self.first.append(self.format(record))

    def install(self) -> "KernelErrors":
        logger = logging.getLogger("pyngraph.emulator")
        logger.addHandler(self)
        if logger.getEffectiveLevel() > logging.ERROR:
            logger.setLevel(logging.ERROR)
        return self

    def remove(self) -> None:
        logging.getLogger("pyngraph.emulator").removeHandler(self)


def _listen(path: str, group_gid: Optional[int]) -> socket.socket:
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
    old_umask = os.umask(0o177)  # never visible with more than 0600, even for an instant
    try:
        listener.bind(path)
    except OSError:
        listener.close()
        raise
    finally:
        os.umask(old_umask)
    if group_gid is not None:
        os.chown(path, -1, group_gid)
        os.chmod(path, 0o660)
    listener.listen(128)
    listener.setblocking(False)
    return listener


_SPARE_FDS = 64  # at most: descriptors kept for the daemon's own needs and the ksockets' sockets


def _channel_budget(wanted: int) -> int:
    """The channels the daemon can hold: ``wanted``, lowered to fit its descriptor limit.

    The soft limit is first raised to the hard one; each netgraph socket holds
    two descriptors (its channel and its descriptor's kernel end), and a
    reserve is kept so that a client over the budget is still answered.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (OSError, ValueError):
            pass
    room = max(1, (soft - min(_SPARE_FDS, soft // 4)) // 2) if soft != resource.RLIM_INFINITY else wanted
    return min(wanted, room) if wanted else room


class Daemon:
    """The daemon's state: its kernel, listener, peer policy and error count."""

    def __init__(self, path: str, limits: Limits = Limits(), group: Optional[str] = None,
                 kernel: Optional[LimitedKernel] = None, idle_exit: float = 0) -> None:
        self.path = path
        self.idle_exit = idle_exit  # seconds without client and node before leaving (0: never)
        self._done = threading.Event()
        if kernel is None:
            kernel = LimitedKernel(limits)
            register_all(kernel)
        self.kernel = kernel
        gid = None if group is None else grp.getgrnam(group).gr_gid
        self.group_gid = gid
        self.policy = PeerPolicy(os.geteuid(), gid)
        self.errors = KernelErrors()
        self.refused = 0
        self.total_channels = _channel_budget(self.kernel.limits.total_channels)
        self._listener: Optional[socket.socket] = None
        self._reserve: Optional[int] = None  # a spare descriptor, given up to refuse with EMFILE
        self._accepting = False
        self._stats_r, self._stats_w = socket.socketpair()
        self._stats_r.setblocking(False)
        self._stats_w.setblocking(False)

    # --- accepting -------------------------------------------------------------------

    def _watch_listener(self, on: bool) -> None:
        assert self._listener is not None
        if on and not self._accepting:
            self.kernel.watch_fd(self._listener.fileno(), self._accept)
        elif not on and self._accepting:
            self.kernel.unwatch_fd(self._listener.fileno())
        self._accepting = on

    def _open_reserve(self) -> None:
        if self._reserve is None:
            try:
                self._reserve = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                pass

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            conn, _ = self._listener.accept()
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno in _EXHAUSTED:
                self._out_of_descriptors(exc)
            else:
                log.warning("accept on %s failed: %s", self.path, exc)
            return
        cred = peer_credentials(conn)
        if not self.policy.allows(cred):
            self._refuse(conn, Errno.EPERM, f"pid {cred.pid} uid {cred.uid} gid {cred.gid} is not root, "
                                            "the daemon's owner or a member of its --group")
            return
        kernel = self.kernel
        limits = kernel.limits
        client = kernel.client(cred)
        if limits.max_channels and client.channels >= limits.max_channels:
            self._refuse(conn, Errno.EMFILE, f"client pid {cred.pid} has {limits.max_channels} "
                                             "netgraph sockets open (--max-channels)")
            kernel._drop_if_idle(client)
        elif self.total_channels and len(kernel.channels) >= self.total_channels:
            self._refuse(conn, Errno.EMFILE, f"the daemon has {self.total_channels} netgraph sockets "
                                             "open (--total-channels)")
            kernel._drop_if_idle(client)
        else:
            LimitedChannel(kernel, conn, client, self._channel_closed)

    def _refuse(self, conn: socket.socket, fbsd_errno: int, reason: str) -> None:
        self.refused += 1
        log.warning("refused %s", reason)
        refuse(conn, fbsd_errno, reason)

    def _out_of_descriptors(self, exc: OSError) -> None:
        """No descriptor for a new client: refuse one with EMFILE, stop accepting until one frees."""
        self._watch_listener(False)
        log.warning("out of descriptors (%s): refusing new clients until one leaves", exc)
        if self._reserve is None:
            return
        os.close(self._reserve)
        self._reserve = None
        try:
            conn, _ = self._listener.accept()  # type: ignore[union-attr]
        except OSError:
            self._open_reserve()
            return
        refuse(conn, Errno.EMFILE, "the daemon is out of descriptors")
        self._open_reserve()

    def _channel_closed(self) -> None:
        if self._listener is None:
            return
        self._open_reserve()
        if not self._accepting and self._reserve is not None:
            self._watch_listener(True)

    # --- statistics ------------------------------------------------------------------

    def stats(self) -> str:
        kernel = self.kernel
        kernel.sweep_clients()
        return (f"clients {len(kernel.clients)} nodes {len(kernel.nodes)} channels {len(kernel.channels)} "
                f"hooks {kernel.hook_count} refused {self.refused} queue drops {kernel.queue_drops} "
                f"kernel errors: {self.errors.count}")

    def _ask_stats(self, signum: int, frame: object) -> None:
        """SIGUSR1: print the statistics from the loop, between two pieces of kernel work."""
        try:
            self._stats_w.send(b"\0")
        except OSError:
            pass

    def _print_stats(self) -> None:
        try:
            self._stats_r.recv(64)
        except BlockingIOError:
            return
        self.kernel.drain(everything=True)
        print(f"pyngraph-emud: {self.stats()}", flush=True)

    # --- running ---------------------------------------------------------------------

    def _idle(self) -> bool:
        """No node, no client, and no client waiting to be accepted."""
        if self.kernel.nodes or self.kernel.channels or self._listener is None:
            return False
        return not select.select([self._listener], [], [], 0)[0]

    def _watch_idle(self) -> None:
        """Stop the kernel once it has been idle for ``idle_exit`` seconds (a thread)."""
        since = time.monotonic()
        while not self._done.wait(min(1.0, self.idle_exit / 4)):
            if not self.kernel.call(self._idle):
                since = time.monotonic()
            elif time.monotonic() - since >= self.idle_exit:
                log.warning("idle for %g s with no client and no node: leaving", self.idle_exit)
                self.kernel.request_stop()
                return

    def run(self) -> None:
        """Serve on this thread until SIGINT/SIGTERM (or :meth:`Kernel.request_stop`)."""
        self.errors.install()
        self._listener = _listen(self.path, self.group_gid)
        self._open_reserve()
        self._watch_listener(True)
        self.kernel.watch_fd(self._stats_r.fileno(), self._print_stats)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGUSR1, self._ask_stats)
        print(f"pyngraph-emud: listening on {self.path}", flush=True)
        watcher = threading.Thread(target=self._watch_idle, name="idle-exit", daemon=True)
        if self.idle_exit > 0:
            watcher.start()
        try:
            self.kernel.run()
        finally:
            self._done.set()
            if watcher.is_alive():
                watcher.join()
            self._watch_listener(False)
            self._listener.close()
            self._listener = None
            if self._reserve is not None:
                os.close(self._reserve)
                self._reserve = None
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            self.kernel.unwatch_fd(self._stats_r.fileno())
            self._stats_r.close()
            self._stats_w.close()
            self.kernel.stop()
            self.errors.remove()
            print(f"pyngraph-emud: stopped (kernel errors: {self.errors.count})", flush=True)

    def _stop(self, signum: int, frame: object) -> None:
        self.kernel.request_stop()


def serve(path: str, kernel: Optional[LimitedKernel] = None, limits: Limits = Limits(),
          group: Optional[str] = None, idle_exit: float = 0) -> None:
    """Run a kernel on this thread, accepting clients at ``path``, until SIGINT/SIGTERM (or idle)."""
    Daemon(path, limits, group, kernel, idle_exit).run()


def _size(text: str) -> int:
    """A byte count: ``4096``, ``64k``, ``16M``, ``1g``."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    scale = units.get(text[-1:].lower(), 1)
    number = text[:-1] if scale > 1 else text
    try:
        value = int(number, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a byte count: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"negative byte count: {text!r}")
    return value * scale


def _count(text: str) -> int:
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"negative: {text!r}")
    return value


_LIMIT_HELP = {  # Limits field -> (kind, what it bounds, errno over it)
    "max_nodes": (_count, "nodes of one client (its socket nodes, MKPEER peers, accepted clones)", "ENOMEM"),
    "max_hooks": (_count, "hooks one client made", "ENOMEM"),
    "max_channels": (_count, "netgraph sockets one client has open", "EMFILE"),
    "max_queued": (_size, "socket-buffer bytes one client's sockets reserve", "ENOBUFS"),
    "max_msg": (_size, "bytes of the largest control message, at most net.graph.maxdgram (PYNGRAPH_MAXDGRAM)",
                "EMSGSIZE"),
    "total_nodes": (_count, "nodes of the whole daemon", "ENOMEM"),
    "total_hooks": (_count, "hooks of the whole daemon", "ENOMEM"),
    "total_channels": (_count, "netgraph sockets of the whole daemon (lowered to fit the descriptor limit)",
                       "EMFILE"),
    "total_queued": (_size, "socket-buffer bytes of the whole daemon", "ENOBUFS"),
}


def _limit_options(parser: argparse.ArgumentParser, defaults: Limits) -> None:
    for name, (kind, what, over) in _LIMIT_HELP.items():
        flag = "--" + name.replace("_", "-")
        default = getattr(defaults, name)
        parser.add_argument(flag, type=kind, default=default, metavar="BYTES" if kind is _size else "N",
                            help=f"{what}{'' if name == 'max_msg' else '; 0: unlimited'} (default {default}); "
                                 f"over it: {over}")


def main(argv: Optional[List[str]] = None) -> int:
    maxdgram = env_options()[1]  # the kernel's net.graph.maxdgram: no message can be larger
    defaults = Limits(max_msg=maxdgram)
    parser = Parser(prog="pyngraph-emud", description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", metavar="PATH",
                        help=f"AF_UNIX socket to listen on (default: this user's, {default_socket()})")
    parser.add_argument("--group", metavar="NAME",
                        help="also admit members of group NAME (the socket becomes 0660, group NAME)")
    _limit_options(parser, defaults)
    parser.add_argument("--idle-exit", type=seconds, default=0.0, metavar="SECONDS",
                        help="leave after SECONDS with no client and no node (default 0: never)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--status", action="store_true", help="say whether a daemon answers at PATH (69: none)")
    action.add_argument("--stop", action="store_true", help="stop the daemon at PATH (SIGTERM) and wait for it")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log kernel events to stderr")
    args = parser.parse_args(argv)
    if not 0 < args.max_msg <= maxdgram:
        parser.error(f"--max-msg must be between 1 and {maxdgram} bytes (net.graph.maxdgram; "
                     "PYNGRAPH_MAXDGRAM raises it)")
    if args.group is not None:
        try:
            grp.getgrnam(args.group)
        except KeyError:
            parser.error(f"no group named {args.group!r}")
    path = args.socket or default_socket()
    if args.status:
        return status(path)
    if args.stop:
        return stop(path)
    refused = refusal(path, make_folder=args.socket is None)
    if refused:
        print(f"pyngraph-emud: {refused[1]}", file=sys.stderr)
        return refused[0]
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="pyngraph-emud: %(message)s", stream=sys.stderr)
    faulthandler.register(signal.SIGQUIT, all_threads=True)  # kill -QUIT: where every thread is, on stderr
    limits = Limits(**{name: getattr(args, name) for name in _LIMIT_HELP})
    try:
        serve(path, limits=limits, group=args.group, idle_exit=args.idle_exit)
    except OSError as exc:
        print(f"pyngraph-emud: cannot listen at {path}: {exc.strerror or exc}", file=sys.stderr)
        return EX_CANTCREAT
    return 0


if __name__ == "__main__":
    sys.exit(main())
