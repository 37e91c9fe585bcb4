#!/usr/bin/env python3
"""Bounded random fuzzer of the emulated netgraph kernel.

Usage: ``fuzz_emulator.py --iterations N --seed S [--daemon] [--batch B]``.

Sends malformed control messages through the real client path (``sendto`` on
a control socket: bad versions, short headers, arglen larger or smaller than
the payload, unknown cookies and commands, bad paths, random bytes as every
argument struct, ASCII conversions of random inner messages), malformed data
packets, and raw requests to the kernel's channel (unknown ops, short bodies,
foreign descriptors).  Every input must end in success or an ``OSError``
(the errno FreeBSD gives) -- anything else is a failure; after every batch a
NODEINFO must be answered; and the kernel must log no unexpected exception.
Without ``--daemon`` the kernel runs in this process; with it a
``pyngraph-emud`` is started and its final error count is read.

Every socket address the fuzzer gives a ksocket is rewritten to loopback port
0 or 9 (or a relative local path inside a temporary directory): nothing
leaves the host and no other local service is touched.
Exit status 0: no failure, no kernel error.
"""

from __future__ import annotations

import argparse
import collections
import errno
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
from typing import Any, Callable, Counter, Dict, List, NamedTuple, Optional, Tuple

from pyngraph.abi import Connect, Mkpeer, NodeInfo
from pyngraph.abi.constants import (
    NG_CMDSTRSIZ, NG_VERSION, NGM_ASCII2BINARY, NGM_BINARY2ASCII, NGM_CONNECT, NGM_GENERIC_COOKIE,
    NGM_LISTHOOKS, NGM_LISTNAMES, NGM_LISTNODES, NGM_LISTTYPES, NGM_MKPEER, NGM_NAME, NGM_NODEINFO,
    NGM_RMHOOK, NGM_SHUTDOWN, NGM_TEXT_CONFIG, NGM_TEXT_STATUS,
)
from pyngraph.abi.nodetypes.ng_echo import NGM_ECHO_COOKIE
from pyngraph.abi.nodetypes.ng_hole import NGM_HOLE_COOKIE
from pyngraph.abi.nodetypes.ng_hub import NGM_HUB_COOKIE
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_COOKIE
from pyngraph.abi.nodetypes.ng_socket import NG_CONTROL, NG_DATA, NGM_SOCKET_COOKIE
from pyngraph.abi.nodetypes.ng_tee import NGM_TEE_COOKIE
from pyngraph.abi.message import HEADER_SIZE
from pyngraph.backend.emulated import EmulatedTransport
from pyngraph.backend.pylib import PyLibNetgraph
from pyngraph.emulator import transport as wire

WAIT = 10.0  # seconds a reply may take before the kernel is declared hung
_HEADER = struct.Struct(f"=BBHIIIII{NG_CMDSTRSIZ}s")
COOKIES = [NGM_GENERIC_COOKIE, NGM_KSOCKET_COOKIE, NGM_SOCKET_COOKIE, NGM_HUB_COOKIE, NGM_ECHO_COOKIE,
           NGM_HOLE_COOKIE, NGM_TEE_COOKIE]
GENERIC_CMDS = [NGM_SHUTDOWN, NGM_MKPEER, NGM_CONNECT, NGM_NAME, NGM_RMHOOK, NGM_NODEINFO, NGM_LISTHOOKS,
                NGM_LISTNAMES, NGM_LISTNODES, NGM_LISTTYPES, NGM_TEXT_STATUS, NGM_BINARY2ASCII,
                NGM_ASCII2BINARY, NGM_TEXT_CONFIG]
TYPES = ["hub", "echo", "hole", "tee", "ksocket", "socket", "nosuch", ""]
HOOKNAMES = ["inet/dgram/udp", "inet/stream/tcp", "inet6/dgram/udp", "local/stream/0", "local/dgram/0",
             "inet/raw/icmp", "2/2/17", "inet/bogus/udp", "inet/dgram", "", "left", "right", "left2right"]
ASCII_WORDS = ["mkpeer", "connect", "name", "rmhook", "nodeinfo", "listhooks", "bind", "connect", "listen",
               "setopt", "getopt", "getname", "shutdown", "nosuch", ""]
PATHS = [".", ".:", "", "h", "e", "t", "tr", "t.right", "o", "ku", "kt", "[0]:", "[1]:", "[ffffffff]:", "nosuch:",
         ":", "a.b:c", "a:b:c", "h..x", ".:h", "[0x1]:", "ku.", ".h"]


class Case(NamedTuple):
    """One input: a control datagram to ``path``, or a data packet to ``hook``."""

    kind: str  # "msg" or "data"
    path: Optional[str]
    raw: bytes


def _text(rng: random.Random, limit: int = 40) -> str:
    alphabet = "ab.:[]0x1f/ \0\xff\u00e9-_"
    if rng.random() < 0.3:
        return "".join(chr(rng.randrange(256)) for _ in range(rng.randrange(limit)))
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(limit)))


def _fixed(rng: random.Random, size: int) -> bytes:
    """A fixed-size name field: a plausible name, random bytes, or no NUL at all."""
    roll = rng.random()
    if roll < 0.4:
        return rng.choice(TYPES + HOOKNAMES).encode("latin-1")[:size].ljust(size, b"\0")
    if roll < 0.7:
        return bytes(rng.randrange(256) for _ in range(size))
    return _text(rng, size).encode("latin-1", "replace")[:size].ljust(size, b"\0")


def loopback_sockaddr(rng: random.Random) -> bytes:
    """A FreeBSD sockaddr that, if it parses at all, names loopback or a relative local path."""
    kind = rng.randrange(5)
    port = rng.choice([0, 9])  # no port of anyone else's service on this host
    if kind == 0:
        return struct.pack("=BB", 16, 2) + struct.pack("!H", port) + socket.inet_aton("127.0.0.1") + bytes(8)
    if kind == 1:
        return (struct.pack("=BB", 28, 28) + struct.pack("!HI", port, rng.randrange(1 << 20))
                + socket.inet_pton(socket.AF_INET6, "::1") + struct.pack("=I", rng.randrange(3)))
    if kind == 2:
        name = "".join(rng.choice("abcdef") for _ in range(rng.randrange(1, 12))).encode()
        return bytes((2 + len(name) + 1, 1)) + name + b"\0"
    raw = bytearray(rng.randrange(256) for _ in range(rng.randrange(40)))
    return sanitize_sockaddr(bytes(raw))


def sanitize_sockaddr(sa: bytes) -> bytes:
    """Rewrite whatever address a ksocket could use from ``sa`` to loopback port 0/9 or a local relative path."""
    if len(sa) < 2:
        return sa
    raw = bytearray(sa)
    family = raw[1]
    if family in (2, 28) and len(raw) >= 4 and raw[2:4] != b"\0\0":
        raw[2:4] = struct.pack("!H", 9)
    if family == 2 and len(raw) >= 8:  # AF_INET: the address becomes 127.0.0.1
        raw[4:8] = socket.inet_aton("127.0.0.1")
    elif family == 28 and len(raw) >= 24:  # AF_INET6: ::1
        raw[8:24] = socket.inet_pton(socket.AF_INET6, "::1")
    elif family == 1:  # AF_LOCAL: a short relative name of safe characters
        raw[2:] = bytes(b"abcdef"[b % 6] for b in raw[2:])
    return bytes(raw)


def _argument(rng: random.Random, cookie: int, cmd: int) -> bytes:
    """Arguments for (cookie, cmd): the right struct with random contents, or random bytes."""
    roll = rng.random()
    if roll < 0.15:
        return bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 31, 32, 33, 95, 96, 97, 575, 576])))
    if cookie == NGM_GENERIC_COOKIE:
        if cmd == NGM_MKPEER:
            return _fixed(rng, 32) + _fixed(rng, 32) + _fixed(rng, 32)
        if cmd == NGM_CONNECT:
            path = rng.choice(PATHS + [_text(rng, 600)]).encode("latin-1", "replace")[:512].ljust(512, b"\0")
            return path + _fixed(rng, 32) + _fixed(rng, 32)
        if cmd in (NGM_NAME, NGM_RMHOOK):
            return _fixed(rng, 32)
        if cmd in (NGM_ASCII2BINARY, NGM_BINARY2ASCII):
            return inner_message(rng)
        return b""
    if cookie == NGM_KSOCKET_COOKIE:
        if cmd in (1, 4):  # BIND, CONNECT
            return loopback_sockaddr(rng)
        if cmd == 2:  # LISTEN
            return struct.pack("=i", rng.choice([0, 1, 5, -1, 1 << 30]))
        if cmd in (7, 8):  # SETOPT, GETOPT
            level = rng.choice([0xFFFF, 0, 6, 17, 41, rng.randrange(-5, 70000)])
            name = rng.choice([1, 2, 4, 8, 0x1001, 0x1002, 0x20, rng.randrange(-5, 70000)])
            value = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 4, 8, 2000])))
            return struct.pack("=ii", level, name) + (value if cmd == 7 else b"")
    return b""


def inner_message(rng: random.Random) -> bytes:
    """An inner ``ng_mesg`` for ASCII2BINARY/BINARY2ASCII: ASCII text, binary args or junk."""
    word = rng.choice(ASCII_WORDS) if rng.random() < 0.8 else _text(rng, 40)
    if rng.random() < 0.5:
        text = rng.choice(['{ type="hub" ourhook="x" peerhook="y" }', '{ name="n" }', "[ 1 2 3 ]",
                           '{ path="." ourhook="a" peerhook="b" }', "inet/127.0.0.1:9", '"\\x41\\777"',
                           "{ level=0xffff name=4 value=[ 1 0 0 0 ] }", "local/abc", "{", "}", "=", '"'])
    else:
        text = _text(rng, 60)
    data = text.encode("latin-1", "replace") + (b"\0" if rng.random() < 0.9 else b"")
    cookie = rng.choice(COOKIES + [rng.randrange(1 << 32)])
    cmd = rng.choice(GENERIC_CMDS + list(range(1, 9)) + [rng.randrange(1 << 32)])
    arglen = len(data) if rng.random() < 0.8 else rng.randrange(1 << 32)
    flags = rng.choice([0, 1, rng.randrange(1 << 32)])
    cmdstr = word.encode("latin-1", "replace")[:31] + (b"" if rng.random() < 0.05 else b"\0")
    header = _HEADER.pack(rng.choice([NG_VERSION, 0, 8, 255]), 0, 0, arglen, cmd, flags,
                          rng.randrange(1 << 32), cookie, cmdstr.ljust(NG_CMDSTRSIZ, b"\0")[:NG_CMDSTRSIZ])
    if rng.random() < 0.1:
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(100)))
    return header + data


def control_datagram(rng: random.Random) -> bytes:
    """A whole control datagram, malformed in one or more ways."""
    cookie = rng.choice(COOKIES) if rng.random() < 0.85 else rng.randrange(1 << 32)
    if cookie == NGM_GENERIC_COOKIE:
        cmd = rng.choice(GENERIC_CMDS) if rng.random() < 0.9 else rng.randrange(1 << 32)
    else:
        cmd = rng.randrange(0, 10) if rng.random() < 0.9 else rng.randrange(1 << 32)
    data = _argument(rng, cookie, cmd)
    version = NG_VERSION if rng.random() < 0.85 else rng.randrange(256)
    arglen = len(data)
    roll = rng.random()
    if roll < 0.08:
        arglen += rng.randrange(1, 100)
    elif roll < 0.14:
        arglen = max(0, arglen - rng.randrange(1, 100))
    elif roll < 0.18:
        arglen = rng.choice([0xFFFFFFFF, 1 << 31, 65536])
    cmdstr = _text(rng, 40).encode("latin-1", "replace")[:NG_CMDSTRSIZ].ljust(NG_CMDSTRSIZ, b"\0")
    flags = rng.choice([0, 0, 1, rng.randrange(1 << 32)])
    raw = _HEADER.pack(version, rng.randrange(256), rng.randrange(1 << 16), arglen, cmd, flags,
                       rng.randrange(1 << 32), cookie, cmdstr) + data
    roll = rng.random()
    if roll < 0.05:
        raw = raw[: rng.randrange(HEADER_SIZE)]  # short header
    elif roll < 0.08:
        raw = raw + bytes(rng.randrange(1, 30000))  # trailing junk, maybe oversized
    elif roll < 0.1:
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(200)))
    return raw


def gen_case(rng: random.Random) -> Case:
    """One random input."""
    if rng.random() < 0.15:
        hook = rng.choice(["h", "e", "t", "tr", "o", "ku", "kt", "nosuch", "", None, _text(rng, 40)])
        size = rng.choice([0, 1, 100, 1400, 20480, 20481, 70000])
        return Case("data", hook, bytes(rng.randrange(256) for _ in range(min(size, 64))) * (size // 64 or 1))
    path = rng.choice(PATHS) if rng.random() < 0.8 else _text(rng, 45)
    return Case("msg", path, control_datagram(rng))


class Workspace:
    """A socket node with a small graph hanging from it: hub, echo, tee (both hooks), hole, two ksockets.

    Every node of the graph is a direct peer of the socket node, so closing it takes them all.
    """

    def __init__(self, lib: PyLibNetgraph, sink_port: int) -> None:
        self.lib = lib
        self.transport: Any = lib.transport
        cs, ds = lib.NgMkSockNode(None, True)
        assert ds is not None
        self.cs, self.ds = cs, ds
        G = NGM_GENERIC_COOKIE
        for hook, type_name, peer in (("h", "hub", "x"), ("e", "echo", "x"), ("t", "tee", "left"),
                                      ("o", "hole", "x"), ("ku", "ksocket", "inet/dgram/udp"),
                                      ("kt", "ksocket", "inet/stream/tcp")):
            lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer(type_name, hook, peer).encode())
        self.id = self.nodeinfo()
        lib.NgSendMsg(cs, "t", G, NGM_CONNECT, Connect(f"[{self.id:x}]:", "right", "tr").encode())
        sa = struct.pack("=BB", 16, 2) + struct.pack("!H", sink_port) + socket.inet_aton("127.0.0.1") + bytes(8)
        lib.NgSendMsg(cs, "ku", NGM_KSOCKET_COOKIE, 4, sa)

    def nodeinfo(self) -> int:
        """NODEINFO of our node, answered within ``WAIT`` (other queued messages skipped)."""
        token = self.lib.NgSendMsg(self.cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
        for _ in range(10000):
            if not select.select([self.cs], [], [], WAIT)[0]:
                raise TimeoutError(f"no NODEINFO reply within {WAIT} s: the kernel is hung")
            msg, _ = self.lib.NgRecvMsg(self.cs, 1 << 17)
            if msg.is_response and msg.token == token and msg.cmd == NGM_NODEINFO:
                return NodeInfo.decode(msg.data).id
        raise AssertionError("NODEINFO reply never came among 10000 messages")

    def drain(self) -> None:
        for fd in (self.cs, self.ds):
            while select.select([fd], [], [], 0)[0]:
                data, _ = self.transport.recvfrom(fd, 1 << 17)
                if not data:
                    break

    def run(self, case: Case) -> str:
        """Apply one input; ``"ok"`` or the errno name.  Non-OSError exceptions propagate."""
        try:
            if case.kind == "msg":
                self.transport.sendto(self.cs, case.raw, case.path)
            else:
                self.transport.sendto(self.ds, case.raw, case.path)
        except OSError as exc:
            return errno.errorcode.get(exc.errno or 0, str(exc.errno))
        return "ok"

    def close(self) -> None:
        for fd in (self.ds, self.cs):
            try:
                self.transport.close(fd)
            except OSError:
                pass


def raw_channel_case(rng: random.Random, connect: Callable[[], socket.socket]) -> List[Tuple[int, bytes]]:
    """Random requests on a fresh raw channel; the (op, status errno) of each answer.

    Each request must be answered by exactly one status (or the channel closes
    after OP_CLOSE or EOF); a missing answer raises TimeoutError.
    """
    chan = connect()
    chan.settimeout(WAIT)
    answers: List[Tuple[int, bytes]] = []
    keep: List[socket.socket] = []
    try:
        for step in range(rng.randrange(1, 6)):
            if step == 0 and rng.random() < 0.5:  # a valid OPEN first, so later requests reach a socket
                a, b = wire.seqpacket_pair()
                keep.append(a)
                wire.send_fds(chan, bytes((wire.OP_OPEN, rng.choice([NG_CONTROL, NG_DATA]))), [b.fileno()])
                b.close()
                answers.append((wire.OP_OPEN, _status(chan)))
                continue
            op = rng.choice([wire.OP_OPEN, wire.OP_BIND, wire.OP_CONNECT, wire.OP_SEND, wire.OP_SOCKNAME,
                             ord("Z"), 0, 255])
            body = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 2, 5, 40, 300])))
            if op == wire.OP_OPEN and rng.random() < 0.6:
                body = bytes((rng.choice([NG_CONTROL, NG_DATA, 0, 7]),))
            fds: List[int] = []
            roll = rng.random()
            if roll < 0.35:
                pick = rng.randrange(4)
                if pick == 0:
                    a, b = wire.seqpacket_pair()
                    keep.append(a)
                    fds = [b.detach()]
                elif pick == 1:
                    r, w = os.pipe()
                    os.close(w)
                    fds = [r]
                elif pick == 2:
                    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    fds = [s.detach()]
                else:
                    pairs = [wire.seqpacket_pair() for _ in range(3)]
                    keep.extend(a for a, _ in pairs)
                    fds = [b.detach() for _, b in pairs]
            message = bytes((op,)) + body
            try:
                if fds:
                    wire.send_fds(chan, message, fds)
                else:
                    chan.send(message)
            finally:
                for fd in fds:
                    os.close(fd)
            answers.append((op, _status(chan)))
    finally:
        chan.close()
        for s in keep:
            s.close()
    return answers


def _status(chan: socket.socket) -> bytes:
    """The errno bytes of the next status on a raw channel (updates skipped)."""
    reply = chan.recv(1 << 16)
    while reply[:1] == bytes((wire.UPDATE,)):
        reply = chan.recv(1 << 16)
    if not reply:
        raise AssertionError("a request got no status: the channel closed")
    if reply[0] != wire.STATUS or len(reply) < 5:
        raise AssertionError(f"a request was answered with {reply[:8]!r}, not a status")
    return reply[1:5]


def in_process_channel() -> socket.socket:
    """A raw channel to this process's kernel."""
    from pyngraph.emulator.channel import ServerChannel
    from pyngraph.emulator.inprocess import default_kernel

    user, kernel_end = wire.seqpacket_pair()
    kernel = default_kernel()
    kernel.call_soon_threadsafe(lambda: ServerChannel(kernel, kernel_end))
    return user


def daemon_channel(path: str) -> Callable[[], socket.socket]:
    def connect() -> socket.socket:
        chan = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        chan.connect(path)
        return chan

    return connect


def udp_sink() -> socket.socket:
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.setblocking(False)
    return sink


def fuzz(lib: PyLibNetgraph, connect: Callable[[], socket.socket], iterations: int, seed: int,
         batch: int = 50, log: Callable[[str], None] = lambda line: None, raw: float = 0.05) -> Dict[str, int]:
    """Run ``iterations`` inputs (a share ``raw`` of them raw-channel sequences); the outcome counts.

    Raises on a non-OSError exception, a missing status or a NODEINFO left unanswered.
    """
    rng = random.Random(seed)
    outcomes: Counter[str] = collections.Counter()
    sink = udp_sink()
    workspace: Optional[Workspace] = None
    try:
        for i in range(iterations):
            if workspace is None:
                workspace = Workspace(lib, sink.getsockname()[1])
            if rng.random() < raw:
                for op, err in raw_channel_case(rng, connect):
                    outcomes[f"raw:{'ok' if err == bytes(4) else 'errno'}"] += 1
                continue
            case = gen_case(rng)
            result = workspace.run(case)
            outcomes[result] += 1
            if (i + 1) % batch == 0 or result == "EPIPE":
                workspace.drain()
                try:
                    workspace.nodeinfo()
                except OSError:  # our own node was shut down by a fuzzed message
                    pass
                workspace.close()
                workspace = None
                while select.select([sink], [], [], 0)[0]:
                    sink.recv(70000)
                log(f"{i + 1} inputs: {dict(outcomes)}")
        if workspace is not None:
            workspace.drain()
            workspace.nodeinfo()
        # The kernel still answers a fresh user.
        check = Workspace(lib, sink.getsockname()[1])
        check.nodeinfo()
        check.close()
    finally:
        if workspace is not None:
            workspace.close()
        sink.close()
    return dict(outcomes)


def _spawn_daemon(tmp: str) -> Tuple[subprocess.Popen, str]:
    path = os.path.join(tmp, "emud.sock")
    proc = subprocess.Popen([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", path],
                            stdout=subprocess.PIPE, text=True, cwd=tmp)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening" not in line:
        raise SystemExit(f"fuzz_emulator: the daemon did not start: {line!r}")
    return proc, path


def _stop_daemon(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    for line in out.splitlines():
        if "kernel errors:" in line:
            return int(line.rsplit(":", 1)[1].strip(" )"))
    raise SystemExit(f"fuzz_emulator: no error count from the daemon: {out!r}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=50, help="inputs between NODEINFO checks")
    parser.add_argument("--daemon", action="store_true", help="fuzz a pyngraph-emud instead of this process")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    say = (lambda line: print(line, flush=True)) if args.verbose else (lambda line: None)
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # local-socket binds land here
        if args.daemon:
            proc, path = _spawn_daemon(tmp)
            try:
                outcomes = fuzz(PyLibNetgraph(EmulatedTransport(path)), daemon_channel(path),
                                args.iterations, args.seed, args.batch, say)
            finally:
                errors = _stop_daemon(proc)
        else:
            from pyngraph.emulator.daemon import KernelErrors

            counter = KernelErrors().install()
            try:
                outcomes = fuzz(PyLibNetgraph(EmulatedTransport()), in_process_channel,
                                args.iterations, args.seed, args.batch, say)
            finally:
                counter.remove()
            errors = counter.count
            for text in counter.first:
                print(text, file=sys.stderr)
    print(f"iterations {args.iterations} seed {args.seed} kernel errors {errors}")
    print("outcomes: " + " ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
