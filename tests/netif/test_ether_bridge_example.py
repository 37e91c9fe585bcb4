"""FreeBSD's ether.bridge example: two hosts on either side of an emulated ng_bridge.

Three namespaces: host A and host B, each joined by a veth pair to a bridge
namespace whose pyngraph-emud bridges the two veth ends with
examples/netgraph/ether.bridge (ng_ether + ng_bridge).  ARP resolves across
the bridge and ping crosses it without loss; the bridge learned both hosts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Tuple

import pytest

from netif_support import REPO, Namespaces, NsDaemon, need_namespaces, need_ping, ping_loss

HOST_A, HOST_B = "10.201.3.1", "10.201.3.2"
SCRIPT = REPO / "examples" / "netgraph" / "ether.bridge"


@pytest.fixture
def bridged(tmp_path: Path) -> Iterator[Tuple[Namespaces, Tuple[str, str, str], NsDaemon]]:
    need_namespaces()
    spaces = Namespaces("e")
    daemon = None
    try:
        a, br, b = spaces.add("a"), spaces.add("br"), spaces.add("b")
        spaces.veth(a, "ha", br, "ba")
        spaces.veth(b, "hb", br, "bb")
        for ns, addr, dev in ((a, HOST_A, "ha"), (b, HOST_B, "hb")):
            spaces.run(ns, ["ip", "addr", "add", f"{addr}/24", "dev", dev])
        for dev in ("ba", "bb"):  # bridged ports carry no addresses of their own
            spaces.run(br, ["sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1"])
        daemon = NsDaemon(br, tmp_path)
        yield spaces, (a, br, b), daemon
    finally:
        if daemon is not None:
            daemon.kill()
        spaces.remove()


def test_ether_bridge_example_joins_two_hosts(bridged) -> None:
    need_ping()
    spaces, (a, br, b), daemon = bridged
    env = dict(daemon.env(), BRIDGE_IFACES="ba bb", LOCAL_IFACES="")
    started = spaces.run(br, ["sh", str(SCRIPT), "start"], env=env)
    assert started.returncode == 0, (started.stdout, started.stderr, daemon.stderr())

    ping = spaces.run(a, ["ping", "-c", "10", "-i", "0.2", "-W", "5", HOST_B])
    loss = ping_loss(ping.stdout)
    print(f"\nping across the bridge: {loss}% loss; {ping.stdout.strip().splitlines()[-1]}")
    assert loss == 0.0, (ping.stdout, daemon.stderr())

    mac_b = spaces.run(b, ["cat", "/sys/class/net/hb/address"]).stdout.strip()
    mac_a = spaces.run(a, ["cat", "/sys/class/net/ha/address"]).stdout.strip()
    neigh = spaces.run(a, ["ip", "neigh", "show", HOST_B]).stdout
    assert mac_b in neigh, neigh  # ARP resolved across the bridge

    table = spaces.run(br, [*env["NGCTL"].split(), "msg", "bnet0:", "gettable"], env=env)
    assert table.returncode == 0, table.stderr
    assert "numHosts=2" in table.stdout and mac_a in table.stdout and mac_b in table.stdout, table.stdout
    stats = spaces.run(br, ["sh", str(SCRIPT), "stats"], env=env)
    assert stats.returncode == 0, stats.stderr
    assert "Network interface ba:" in stats.stdout and "recvPackets" in stats.stdout, stats.stdout
    print(stats.stdout)

    stopped = spaces.run(br, ["sh", str(SCRIPT), "stop"], env=env)
    assert stopped.returncode == 0, stopped.stderr
    again = spaces.run(a, ["ping", "-c", "2", "-i", "0.2", "-W", "1", HOST_B])
    assert ping_loss(again.stdout) == 100.0, again.stdout  # the bridge is gone, so is the path
    assert daemon.stop() == 0, daemon.stderr()
