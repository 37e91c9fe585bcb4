"""FreeBSD's udp.tunnel example between two hosts: two namespaces, a veth pair, a daemon in each.

examples/netgraph/udp.tunnel runs in each namespace (its ngctl lines are
FreeBSD's); then ping crosses the tunnel without loss and a 10 MB TCP transfer
through it arrives with the checksum it left with.  The figures are printed
(``pytest -s``).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from netif_support import REPO, Namespaces, NsDaemon, need_namespaces, need_ping, need_tun, ping_loss

EXTERIOR = ("10.201.0.1", "10.201.0.2")  # the veth link
INTERIOR = ("10.201.1.1", "10.201.2.1")  # the tunnel's ends
INSIDE_NET = ("10.201.1.0", "10.201.2.0")
SCRIPT = REPO / "examples" / "netgraph" / "udp.tunnel"
SIZE = 10 * 1024 * 1024
PORT = 5001

RECEIVER = """
import hashlib, socket, sys, time
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2]))); srv.listen(1); srv.settimeout(60)
print("ready", flush=True)
conn, _ = srv.accept(); conn.settimeout(60)
digest, total, start = hashlib.sha256(), 0, time.monotonic()
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    digest.update(chunk); total += len(chunk)
print(total, digest.hexdigest(), time.monotonic() - start, flush=True)
"""

SENDER = """
import socket, sys
data = open(sys.argv[3], "rb").read()
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=60)
s.sendall(data); s.close()
"""


@pytest.fixture
def two_hosts(tmp_path: Path) -> Iterator[Tuple[Namespaces, Tuple[str, str], Tuple[NsDaemon, NsDaemon]]]:
    need_namespaces()
    need_tun()
    spaces = Namespaces("u")
    daemons = []
    try:
        a, b = spaces.add("a"), spaces.add("b")
        spaces.veth(a, "vta", b, "vtb")
        for ns, addr, dev in ((a, EXTERIOR[0], "vta"), (b, EXTERIOR[1], "vtb")):
            spaces.run(ns, ["ip", "addr", "add", f"{addr}/30", "dev", dev])
        daemons = [NsDaemon(a, tmp_path), NsDaemon(b, tmp_path)]
        yield spaces, (a, b), (daemons[0], daemons[1])
    finally:
        for daemon in daemons:
            daemon.kill()
        spaces.remove()


def _tunnel_env(daemon: NsDaemon, side: int) -> Dict[str, str]:
    other = 1 - side
    return dict(daemon.env(), LOC_INTERIOR_IP=INTERIOR[side], LOC_EXTERIOR_IP=EXTERIOR[side],
                REM_INTERIOR_IP=INTERIOR[other], REM_EXTERIOR_IP=EXTERIOR[other],
                REM_INSIDE_NET=INSIDE_NET[other])


def test_udp_tunnel_example_between_two_namespaces(two_hosts, tmp_path: Path) -> None:
    need_ping()
    spaces, (a, b), (daemon_a, daemon_b) = two_hosts
    for side, (ns, daemon) in enumerate(((a, daemon_a), (b, daemon_b))):
        result = spaces.run(ns, ["sh", str(SCRIPT)], env=_tunnel_env(daemon, side))
        assert result.returncode == 0, (result.stdout, result.stderr, daemon.stderr())
    shown = spaces.run(a, ["ip", "addr", "show", "ng0"]).stdout
    assert f"inet {INTERIOR[0]} peer {INTERIOR[1]}" in shown, shown

    ping = spaces.run(a, ["ping", "-c", "20", "-i", "0.2", "-W", "5", INTERIOR[1]])
    loss = ping_loss(ping.stdout)
    print(f"\nping across the tunnel: {loss}% loss; {ping.stdout.strip().splitlines()[-1]}")
    assert loss == 0.0, ping.stdout

    payload = tmp_path / "payload"
    data = bytes(range(256)) * (SIZE // 256)
    payload.write_bytes(data)
    receiver = subprocess.Popen(
        ["ip", "netns", "exec", b, sys.executable, "-c", RECEIVER, INTERIOR[1], str(PORT)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline().strip() == "ready"
        sent = spaces.run(a, [sys.executable, "-c", SENDER, INTERIOR[1], str(PORT), str(payload)], timeout=120)
        assert sent.returncode == 0, sent.stderr
        total, digest, seconds = receiver.stdout.readline().split()
    finally:
        receiver.kill()
        receiver.wait(10)
    expected = hashlib.sha256(data).hexdigest()
    print(f"10 MB TCP through the tunnel: {int(total)} bytes in {float(seconds):.2f} s "
          f"({int(total) / float(seconds) / 1e6:.1f} MB/s); sha256 sent {expected[:16]}... "
          f"received {digest[:16]}...")
    assert int(total) == SIZE
    assert digest == expected
    assert daemon_a.stop() == 0, daemon_a.stderr()
    assert daemon_b.stop() == 0, daemon_b.stderr()
