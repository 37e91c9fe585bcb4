"""Load: many concurrent clients' control messages, and sustained data through ksockets.

Control: 50 clients x 1,000 requests, every reply matched by token, command,
node and sender (in-process threads, and processes x threads on the daemon).
Data: TCP both ways at once, checksums equal; UDP both ways, every accepted
datagram either received or counted as a drop (the emulated kernel's drop
log, Linux's per-socket drop counter).
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

import rob_loadclient
from rob_support import REPO, WAIT, bounded
from pyngraph import backend as backends, libnetgraph as ng
from pyngraph.abi import Mkpeer, encode_sockaddr
from pyngraph.abi.constants import AF_INET, NGM_GENERIC_COOKIE, NGM_MKPEER, Errno
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME
from pyngraph.abi.sockaddr import decode_sockaddr
from pyngraph.emulator.daemon import KernelErrors
from pyngraph.errors import NetgraphError

CLIENTS, REQUESTS = 50, 1000
SECONDS = 1.5  # how long each data stream runs (a load duration, not an assertion)
HERE = Path(__file__).resolve().parent


def test_50_clients_in_process(kernel_errors: KernelErrors) -> None:
    totals = bounded(lambda: rob_loadclient.hammer(backends.get_backend(), CLIENTS, REQUESTS),
                     "50 in-process clients", timeout=180)
    assert totals == {"sent": CLIENTS * REQUESTS, "matched": CLIENTS * REQUESTS, "failed": 0}
    assert kernel_errors.count == 0, kernel_errors.first


def test_50_clients_on_the_daemon(emud_factory) -> None:
    daemon = emud_factory()
    env = dict(os.environ, PYNGRAPH_BACKEND="emulated", PYNGRAPH_EMULATOR=daemon.path,
               PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]))
    procs = [subprocess.Popen([sys.executable, str(HERE / "rob_loadclient.py"), "5", str(REQUESTS)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(10)]
    lines = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        lines.append(out.strip())
    assert lines == [f"sent {5 * REQUESTS} matched {5 * REQUESTS} failed 0"] * 10
    assert daemon.stop() == 0, daemon.stderr()


# --- data -----------------------------------------------------------------------------------


class DropLog(logging.Handler):
    """Counts the packets the emulated ksocket reports dropping (its DEBUG log)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "dropped" in record.getMessage():
            self.count += 1


@pytest.fixture
def drops():
    logger = logging.getLogger("pyngraph.emulator.ksocket")
    handler, level = DropLog(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def linux_udp_drops(port: int) -> int:
    """Linux's drop counter of the UDP socket bound to 127.0.0.1:``port`` (/proc/net/udp)."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/udp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if fields[1] == want:
                return int(fields[-1])
    raise AssertionError(f"no UDP socket on 127.0.0.1:{port}")


class User:
    def __init__(self) -> None:
        self.cs, ds = ng.NgMkSockNode(None, True)
        assert ds is not None
        self.ds = ds

    def ksocket(self, hook: str, hookname: str) -> None:
        ng.NgSendMsg(self.cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("ksocket", hook, hookname).encode())

    def recv_msg(self):
        if not select.select([self.cs], [], [], WAIT)[0]:
            pytest.fail("no control message")
        return ng.NgAllocRecvMsg(self.cs)[0]

    def send(self, hook: str, data: bytes) -> None:
        """Send until accepted (a full descriptor refuses with ENOBUFS: wait and retry)."""
        while True:
            try:
                ng.NgSendData(self.ds, hook, data)
                return
            except NetgraphError as exc:
                if exc.fbsd_errno != Errno.ENOBUFS:
                    raise
                if not select.select([], [self.ds], [], WAIT)[1]:
                    pytest.fail("the data socket stayed full")

    def close(self) -> None:
        transport = backends.get_backend().transport
        transport.close(self.ds)
        transport.close(self.cs)


def _pattern(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


def test_tcp_both_ways_checksums(kernel_errors: KernelErrors, drops: DropLog, kernel, monkeypatch) -> None:
    # 64 KiB chunks pushed at a reader that may lag: FreeBSD drops what its 20 KiB receive space
    # cannot hold (ng_ksocket_incoming2 ignores the ENOBUFS); checksums need the lossless option.
    monkeypatch.setattr(kernel, "lossless", True)
    listener = socket.create_server(("127.0.0.1", 0))
    user = User()
    try:
        user.ksocket("ks", "inet/stream/tcp")
        with pytest.raises(NetgraphError) as info:
            ng.NgSendMsg(user.cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                         encode_sockaddr(AF_INET, listener.getsockname()))
        assert info.value.fbsd_errno == Errno.EINPROGRESS
        conn, _ = listener.accept()
        reply = user.recv_msg()
        assert reply.cmd == NGM_KSOCKET_CONNECT and struct.unpack("=i", reply.data)[0] == 0
        conn.settimeout(WAIT)
        results: Dict[str, Tuple[int, str]] = {}

        def user_sends() -> None:
            rng, digest, total = random.Random(1), hashlib.sha256(), 0
            end = time.monotonic() + SECONDS
            while time.monotonic() < end:
                chunk = _pattern(rng, rng.randrange(1, 20481))
                user.send("ks", chunk)
                digest.update(chunk)
                total += len(chunk)
            results["to linux"] = (total, digest.hexdigest())

        def linux_sends() -> None:
            rng, digest, total = random.Random(2), hashlib.sha256(), 0
            end = time.monotonic() + SECONDS
            while time.monotonic() < end:
                chunk = _pattern(rng, rng.randrange(1, 65536))
                conn.sendall(chunk)
                digest.update(chunk)
                total += len(chunk)
            results["to user"] = (total, digest.hexdigest())

        def reader(name: str, sent_key: str, fd: object, read: Callable[[], bytes]) -> Callable[[], None]:
            """Hash what arrives until the sender is done and all it sent is in (no progress for WAIT: fail)."""
            def run() -> None:
                digest, total, idle_since = hashlib.sha256(), 0, time.monotonic()
                while sent_key not in results or total < results[sent_key][0]:
                    if not select.select([fd], [], [], 0.2)[0]:
                        if time.monotonic() - idle_since > WAIT:
                            raise AssertionError(f"data stopped after {total} bytes")
                        continue
                    data = read()
                    digest.update(data)
                    total += len(data)
                    idle_since = time.monotonic()
                results[name] = (total, digest.hexdigest())
            run.__name__ = name
            return run

        def from_conn() -> bytes:
            data = conn.recv(1 << 20)
            assert data, "the ksocket closed the connection"
            return data

        def from_user() -> bytes:
            data, hook = ng.NgRecvData(user.ds, 70000)
            assert hook == "ks" and data, "EOF or a foreign hook in the middle of the stream"
            return data

        linux_reads = reader("at linux", "to linux", conn, from_conn)
        user_reads = reader("at user", "to user", user.ds, from_user)
        failures: List[str] = []

        def guarded(fn):
            def run() -> None:
                try:
                    fn()
                except BaseException as exc:  # reported below
                    failures.append(f"{fn.__name__}: {exc!r}")
            return run

        threads = [threading.Thread(target=guarded(f), daemon=True)
                   for f in (user_sends, linux_sends, linux_reads, user_reads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 60)
        assert not failures and not any(t.is_alive() for t in threads), (failures, results)
        print(f"TCP: {results['to linux'][0]} bytes to Linux, {results['to user'][0]} bytes to the user")
        assert results["to linux"][0] > 0 and results["to user"][0] > 0
        assert results["at linux"] == results["to linux"]
        assert results["at user"] == results["to user"]
        conn.close()
    finally:
        user.close()
        listener.close()
    assert drops.count == 0
    assert kernel_errors.count == 0, kernel_errors.first


def test_udp_both_ways_accounted(kernel_errors: KernelErrors, drops: DropLog) -> None:
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", 0))
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    user = User()
    try:
        user.ksocket("ku", "inet/dgram/udp")
        ng.NgSendMsg(user.cs, "ku", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                     encode_sockaddr(AF_INET, peer.getsockname()))
        ng.NgSendMsg(user.cs, "ku", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
        ks_addr = decode_sockaddr(user.recv_msg().data).address
        peer.connect(ks_addr)
        ks_port = ks_addr[1]
        counts: Dict[str, int] = {}

        def user_sends() -> None:
            n, end = 0, time.monotonic() + SECONDS
            while time.monotonic() < end:
                user.send("ku", struct.pack("!I", n) + bytes(n % 1400))
                n += 1
            counts["user sent"] = n

        def linux_sends() -> None:
            n, end = 0, time.monotonic() + SECONDS
            while time.monotonic() < end:
                peer.send(struct.pack("!I", n) + bytes(n % 1400))
                n += 1
            counts["linux sent"] = n

        threads = [threading.Thread(target=f, daemon=True) for f in (user_sends, linux_sends)]
        for t in threads:
            t.start()
        at_linux: List[int] = []
        at_user: List[int] = []
        linux_drops_before = 0  # both sockets are new: their counters start at 0
        deadline = time.monotonic() + SECONDS + 60
        while time.monotonic() < deadline:
            ready = select.select([peer, user.ds], [], [], 0.2)[0]
            if peer in ready:
                at_linux.append(struct.unpack_from("!I", peer.recv(70000))[0])
            if user.ds in ready:
                data, hook = ng.NgRecvData(user.ds, 70000)
                assert hook == "ku"
                at_user.append(struct.unpack_from("!I", data)[0])
            if ready or len(counts) < 2:
                continue
            # Quiet and both senders done: everything sent is received or reported dropped.
            lost_to_linux = counts["user sent"] - len(at_linux) - linux_udp_drops(peer.getsockname()[1])
            lost_to_user = counts["linux sent"] - len(at_user) - linux_udp_drops(ks_port)
            if lost_to_linux - drops.count <= 0 and lost_to_user <= 0:
                break
        for t in threads:
            t.join(WAIT)
        emulator_drops = drops.count
        linux_drops = linux_udp_drops(peer.getsockname()[1]) + linux_udp_drops(ks_port) - linux_drops_before
        assert counts["user sent"] > 0 and counts["linux sent"] > 0
        assert len(set(at_linux)) == len(at_linux) and len(set(at_user)) == len(at_user)  # no duplicates
        total_sent = counts["user sent"] + counts["linux sent"]
        assert total_sent == len(at_linux) + len(at_user) + emulator_drops + linux_drops, (
            counts, len(at_linux), len(at_user), emulator_drops, linux_drops)
        print(f"UDP: sent {counts}, received {len(at_linux)}/{len(at_user)}, "
              f"drops emulator {emulator_drops} linux {linux_drops}")
    finally:
        user.close()
        peer.close()
    assert kernel_errors.count == 0, kernel_errors.first
