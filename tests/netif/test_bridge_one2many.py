"""The bridge and one2many node types in the process's emulated kernel (no interfaces involved).

Absence of a packet on a hook is shown by ordering, not by waiting: a marker
sent after it reaches every hook, and is the next packet there.
"""

from __future__ import annotations

import errno
from typing import Iterator, List

import pytest

from pyngraph import backend
from pyngraph.api import SockNode

A, B, C = (bytes.fromhex(x) for x in ("02000000000a", "02000000000b", "02000000000c"))
BCAST = b"\xff" * 6
WAIT = 20.0


@pytest.fixture
def sock() -> Iterator[SockNode]:
    with backend.using("emulated"):
        with SockNode() as node:
            yield node


def frame(dst: bytes, src: bytes, payload: bytes = b"x") -> bytes:
    return dst + src + b"\x08\x00" + payload


def received(sock: SockNode, hooks: List[str]) -> dict:
    """The next packet on each of ``hooks`` (any order of arrival)."""
    got: dict = {}
    while len(got) < len(hooks):
        hook, data = sock.recv(timeout=WAIT)
        assert hook in hooks and hook not in got, (hook, data, got)
        got[hook] = data
    return got


def bridge(sock: SockNode, *hooks: str) -> None:
    """A bridge on our hooks l0, l1 ... attached by ``hooks`` (link0, uplink1 ...)."""
    sock.mkpeer(".", "bridge", "l0", hooks[0])
    for n, name in enumerate(hooks[1:], 1):
        sock.connect(".", "l0", f"l{n}", name)


@pytest.mark.parametrize("name, ok", [
    ("link0", True), ("link12", True), ("uplink1", True), ("uplink0", False), ("link01", False),
    ("link", False), ("linkx", False), ("uplink", False), ("foo", False),
])
def test_bridge_hook_names(sock: SockNode, name: str, ok: bool) -> None:
    sock.mkpeer(".", "bridge", "b", "link5")
    if ok:
        sock.connect(".", "b", "x", name)
    else:
        with pytest.raises(OSError) as bad:
            sock.connect(".", "b", "x", name)
        assert bad.value.errno == errno.EINVAL


def test_bridge_learns_floods_and_forwards(sock: SockNode) -> None:
    bridge(sock, "link0", "link1", "link2")
    sock.send("l0", frame(BCAST, A, b"hello"))
    assert received(sock, ["l1", "l2"]) == {"l1": frame(BCAST, A, b"hello"), "l2": frame(BCAST, A, b"hello")}
    sock.send("l1", frame(A, B, b"to a"))  # A is known on link0: only there
    assert sock.recv(timeout=WAIT) == ("l0", frame(A, B, b"to a"))
    sock.send("l2", frame(BCAST, C, b"marker"))
    assert received(sock, ["l0", "l1"]) == {"l0": frame(BCAST, C, b"marker"), "l1": frame(BCAST, C, b"marker")}
    sock.send("l0", frame(B"\x02\0\0\0\0\x99", A, b"unknown"))  # unknown unicast floods
    assert set(received(sock, ["l1", "l2"])) == {"l1", "l2"}
    table = sock.node("l0").msg("gettable")
    assert table is not None and table.value["numHosts"] == 3
    assert {(h["addr"], h["hook"]) for h in table.value["hosts"]} == {
        ("02:00:00:00:00:0a", "link0"), ("02:00:00:00:00:0b", "link1"), ("02:00:00:00:00:0c", "link2")}
    stats = sock.node("l0").msg("getstats 0")
    assert stats is not None
    assert stats.value["recvPackets"] == 2 and stats.value["recvBroadcast"] == 1 and stats.value["recvUnknown"] == 1
    assert stats.value["xmitPackets"] == 2


def test_bridge_uplink_first_keeps_unknown_unicast_on_uplinks(sock: SockNode) -> None:
    bridge(sock, "uplink1", "link1", "link2")
    sock.send("l1", frame(b"\x02\0\0\0\0\x99", A, b"unknown"))
    assert sock.recv(timeout=WAIT) == ("l0", frame(b"\x02\0\0\0\0\x99", A, b"unknown"))
    sock.send("l0", frame(BCAST, C, b"marker"))  # uplinks do not learn; broadcast reaches every link
    assert set(received(sock, ["l1", "l2"])) == {"l1", "l2"}
    table = sock.node("l0").msg("gettable")
    assert table is not None and [h["hook"] for h in table.value["hosts"]] == ["link1"]


def test_bridge_detects_a_loop(sock: SockNode) -> None:
    bridge(sock, "link0", "link1", "link2")
    sock.send("l0", frame(BCAST, A, b"first"))
    received(sock, ["l1", "l2"])
    # ng_bridge_rcvdata returns ELOOP and ngd_send returns what the direct delivery returned
    for data in (frame(BCAST, A, b"looped"),  # A again, on another link, within minStableAge
                 frame(BCAST, B, b"muted")):  # link1 is muted now
        with pytest.raises(OSError) as info:
            sock.send("l1", data)
        assert info.value.errno == errno.ELOOP
    sock.send("l2", frame(BCAST, C, b"marker"))
    assert received(sock, ["l0", "l1"]) == {"l0": frame(BCAST, C, b"marker"), "l1": frame(BCAST, C, b"marker")}
    stats = sock.node("l0").msg("getstats 1")
    assert stats is not None and stats.value["loopDetects"] == 1 and stats.value["loopDrops"] == 2
    sock.node("l0").msg("reset")
    stats = sock.node("l0").msg("getclrstats 1")
    assert stats is not None and "loopDrops" not in stats.value


def test_bridge_config_stats_and_persistence(sock: SockNode) -> None:
    bridge(sock, "link0")
    node = sock.node("l0").resolve()
    node.msg("setconfig { debugLevel=2 loopTimeout=5 maxStaleness=30 minStableAge=2 }")
    config = node.msg("getconfig")
    assert config is not None
    assert config.value == {"debugLevel": 2, "loopTimeout": 5, "maxStaleness": 30, "minStableAge": 2}
    with pytest.raises(OSError) as missing:
        node.msg("getstats 3")
    assert missing.value.errno == errno.ENOTCONN
    node.msg("setpersistent")
    sock.rmhook(".", "l0")
    assert node.info().hooks == 0  # persistent: outlives its last hook
    node.shutdown()
    sock.mkpeer(".", "bridge", "l0", "link0")
    plain = sock.node("l0").resolve()
    sock.rmhook(".", "l0")
    with pytest.raises(OSError) as gone:
        plain.info()
    assert gone.value.errno == errno.ENOENT


def one2many(sock: SockNode, many: int) -> None:
    sock.mkpeer(".", "one2many", "one", "one")
    for n in range(many):
        sock.connect(".", "one", f"m{n}", f"many{n}")


def test_one2many_round_robin_and_fan_in(sock: SockNode) -> None:
    one2many(sock, 3)
    for n in range(6):
        sock.send("one", b"p%d" % n)
    got = [sock.recv(timeout=WAIT) for _ in range(6)]
    assert [hook for hook, _ in got] == ["m0", "m1", "m2", "m0", "m1", "m2"]
    sock.send("m1", b"up")
    assert sock.recv(timeout=WAIT) == ("one", b"up")
    stats = sock.node("one").msg("getstats 1")
    assert stats is not None and stats.value == {"recvOctets": 2, "recvPackets": 1, "xmitOctets": 4, "xmitPackets": 2}
    stats = sock.node("one").msg("getstats -1")
    assert stats is not None and stats.value["xmitPackets"] == 1


def test_one2many_all_failover_and_config(sock: SockNode) -> None:
    one2many(sock, 2)
    node = sock.node("one")
    node.msg("setconfig { xmitAlg=2 failAlg=1 enabledLinks=[ 1 1 ] }")
    sock.send("one", b"everyone")
    assert received(sock, ["m0", "m1"]) == {"m0": b"everyone", "m1": b"everyone"}
    node.msg("setconfig { xmitAlg=3 failAlg=1 enabledLinks=[ 0 1 ] }")
    sock.send("one", b"first active")
    assert sock.recv(timeout=WAIT) == ("m1", b"first active")
    config = node.msg("getconfig")
    assert config is not None and config.text == "{ xmitAlg=3 failAlg=1 enabledLinks=[ 1=1 ] }"
    for bad in ("setconfig { xmitAlg=4 failAlg=1 }", "setconfig { xmitAlg=1 failAlg=0 }", "getstats 64"):
        with pytest.raises(OSError) as refused:
            node.msg(bad)
        assert refused.value.errno == errno.EINVAL


@pytest.mark.parametrize("name", ["many64", "many01", "manyx", "many", "two"])
def test_one2many_hook_names(sock: SockNode, name: str) -> None:
    sock.mkpeer(".", "one2many", "o", "many63")
    with pytest.raises(OSError) as bad:
        sock.connect(".", "o", "x", name)
    assert bad.value.errno == errno.EINVAL


# FreeBSD's tests/sys/netgraph/bridge.c, uplink_private and uplink_classic: the hooks attached
# first to last, then (sending hook, source byte, destination, hooks that must get the frame).
_DST = {"0": bytes([2, 4, 6, 0, 0, 0]), "2": bytes([2, 4, 6, 0, 0, 2]),
        "mcast": bytes([0xff, 4, 6, 0, 0, 2]), "bcast": BCAST}
_STEPS = [("u1", 1, "0"), ("l0", 0, "2"), ("u2", 2, "0"), ("l3", 3, "0"), ("u1", 1, "2"), ("l0", 0, "2"),
          ("u1", 1, "mcast"), ("l0", 0, "mcast"), ("u1", 1, "bcast"), ("l0", 0, "bcast")]
_LINKS = {"l0": ("link0", 0), "u1": ("uplink1", -1), "u2": ("uplink2", -2), "l3": ("link3", 3)}
_EXPECTED = {
    "private": ("u1 u2 l0 l3", ["u2", "u1 u2", "l0", "l0", "u2", "u1 u2", "l0 u2 l3", "u1 u2 l3",
                                "l0 u2 l3", "u1 u2 l3"]),
    "classic": ("l0 u1 u2 l3", ["l0 u2 l3", "u1 u2 l3", "l0", "l0", "l0 u2 l3", "u1 u2 l3", "l0 u2 l3",
                                "u1 u2 l3", "l0 u2 l3", "u1 u2 l3"]),
}


@pytest.mark.parametrize("mode", sorted(_EXPECTED))
def test_bridge_uplinks_as_freebsds_own_test(sock: SockNode, mode: str) -> None:
    order, expected = _EXPECTED[mode]
    first, *rest = order.split()
    sock.mkpeer(".", "bridge", first, _LINKS[first][0])
    bridge = sock.node(first).resolve()
    for ours in rest:
        sock.connect(".", bridge, ours, _LINKS[ours][0])
    for (hook, src, dst), receivers in zip(_STEPS, expected):
        data = _DST[dst] + bytes([2, 4, 6, 0, 0, src]) + b"\x08\x00" + bytes(84)
        sock.send(hook, data)
        want = receivers.split()
        assert sorted(received(sock, want)) == sorted(want), (hook, src, dst)
        for ours, (_, number) in _LINKS.items():  # and nowhere else
            stats = bridge.msg(f"getclrstats {number}")
            assert stats is not None and stats.value.get("xmitPackets", 0) == (ours in want), (hook, dst, ours)
    table = bridge.msg("gettable")
    assert table is not None and table.value["numHosts"] == 2
