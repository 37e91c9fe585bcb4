"""The vlan node type: in the process's kernel, and between a Linux VLAN interface and an eiface.

The end-to-end test joins namespace A's 802.1Q interface (VID 10 on a veth)
to namespace B's eiface through B's ether node of the other veth end and a
vlan node: ARP and ping cross, tagged on the wire, untagged at the eiface.
"""

from __future__ import annotations

import errno
import struct
from pathlib import Path
from typing import Iterator

import pytest

from netif_support import Namespaces, NsDaemon, need_namespaces, need_ping, need_tun, ping_loss
from pyngraph import backend
from pyngraph.api import EIface, Ether, SockNode

DST, SRC = bytes.fromhex("02000000000b"), bytes.fromhex("02000000000a")
WAIT = 20.0


def tagged(tci: int, payload: bytes = b"\x08\x00data") -> bytes:
    return DST + SRC + struct.pack("!HH", 0x8100, tci) + payload


def untagged(payload: bytes = b"\x08\x00data") -> bytes:
    return DST + SRC + payload


@pytest.fixture
def sock() -> Iterator[SockNode]:
    with backend.using("emulated"):
        with SockNode() as node:
            node.mkpeer(".", "vlan", "down", "downstream")
            node.connect(".", "down", "nomatch", "nomatch")
            node.connect(".", "down", "v10", "ten")
            yield node


def test_vlan_filters_and_tags(sock: SockNode) -> None:
    vlan = sock.node("down")
    vlan.msg('addfilter { hook="ten" vid=10 pcp=5 cfi=0 }')
    sock.send("down", tagged(10))
    assert sock.recv(timeout=WAIT) == ("v10", untagged())
    sock.send("down", tagged(20))  # no filter: nomatch, still tagged (decap off)
    assert sock.recv(timeout=WAIT) == ("nomatch", tagged(20))
    sock.send("down", untagged(b"\x08\x06arp"))
    assert sock.recv(timeout=WAIT) == ("nomatch", untagged(b"\x08\x06arp"))
    sock.send("v10", untagged())  # tagged with VID 10, PCP 5
    assert sock.recv(timeout=WAIT) == ("down", tagged((5 << 13) | 10))
    sock.send("nomatch", untagged(b"\x08\x00as is"))
    assert sock.recv(timeout=WAIT) == ("down", untagged(b"\x08\x00as is"))
    table = vlan.msg("gettable")
    assert table is not None and table.text == '{ n=1 filter=[ { hook="ten" vlan=10 vid=10 pcp=5 } ] }'
    vlan.msg("setencapproto 0x88a8")
    sock.send("v10", untagged())
    assert sock.recv(timeout=WAIT) == ("down", DST + SRC + struct.pack("!HH", 0x88A8, (5 << 13) | 10) + b"\x08\x00data")
    proto = vlan.msg("getencapproto")
    assert proto is not None and proto.text == "0x88a8"



def test_filter_encapsulation_keeps_an_out_of_band_tag() -> None:
    """ng_vlan_rcvdata: a filter hook's frame is tagged in the frame and its M_VLANTAG stays as it was.

    b (setencap 0) gives the frame an out-of-band VID 30; a (encap on) puts VID 10 in the frame;
    c picks the out-of-band tag before the frame's, so the frame reaches c's VID 30 hook, tagged 10.
    """
    with backend.using("emulated"), SockNode() as sock:
        sock.mkpeer(".", "vlan", "b", "f")
        sock.mkpeer("b", "vlan", "downstream", "ten")
        sock.mkpeer("b.downstream", "vlan", "downstream", "downstream")
        c = "b.downstream.downstream"
        sock.connect(".", c, "c30", "x30")
        sock.connect(".", c, "c10", "x10")
        sock.node("b").msg('addfilter { hook="f" vid=30 }')
        sock.node("b").msg("setencap 0")
        sock.node("b.downstream").msg('addfilter { hook="ten" vid=10 }')
        sock.node(c).msg('addfilter { hook="x30" vid=30 }')
        sock.node(c).msg('addfilter { hook="x10" vid=10 }')
        sock.send("b", untagged())
        assert sock.recv(timeout=WAIT) == ("c30", tagged(10))

def test_vlan_filter_errors(sock: SockNode) -> None:
    vlan = sock.node("down")
    vlan.msg('addfilter { hook="ten" vid=10 }')
    for text, code in [
        ('addfilter { hook="ten" vid=11 }', errno.EEXIST),  # the hook has a filter
        ('addfilter { hook="nomatch" vid=12 }', errno.EINVAL),  # special hook
        ('addfilter { hook="nothere" vid=12 }', errno.ENOENT),
        ('addfilter { hook="ten" vid=4096 }', errno.EINVAL),
        ('addfilter { hook="ten" vid=10 vlan=11 }', errno.EINVAL),
        ('delfilter "nomatch"', errno.ENOENT),
        ("delvidflt 99", errno.ENOENT),
    ]:
        with pytest.raises(OSError) as refused:
            vlan.msg(text)
        assert refused.value.errno == code, text
    vlan.msg("delvidflt 10")
    vlan.msg('addfilter { hook="ten" vlan=30 }')  # the old field name still works
    table = vlan.msg("gettable")
    assert table is not None and "vid=30" in (table.text or "")
    vlan.msg('delfilter "ten"')
    table = vlan.msg("gettable")
    assert table is not None and table.text == "{}"


@pytest.fixture
def vlan_hosts(tmp_path: Path):
    need_namespaces()
    need_tun()
    spaces = Namespaces("v")
    daemons = []
    try:
        a, b = spaces.add("a"), spaces.add("b")
        spaces.veth(a, "va", b, "vb")
        for ns, dev in ((a, "va"), (b, "vb")):
            spaces.run(ns, ["sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1"])
        daemons = [NsDaemon(a, tmp_path), NsDaemon(b, tmp_path)]
        yield spaces, (a, b), daemons
    finally:
        for daemon in daemons:
            daemon.kill()
        spaces.remove()


def _vlan_host(spaces: Namespaces, ns: str, daemon: NsDaemon, dev: str, address: str) -> str:
    """ether ``dev`` -> vlan (VID 10 on hook "ten") -> eiface with ``address``; the eiface's name."""
    with backend.using("emulated", socket_path=daemon.path), SockNode() as sock:
        wire = Ether.attach(sock, dev)
        wire.mkpeer("vlan", "lower", "downstream")
        wire.set_promisc(True)
        wire.set_autosrc(False)
        eth = EIface.make(sock, hook="ten", path=f"{dev}:lower")  # vlan's "ten" <-> eiface's ether
        sock.node(f"{dev}:lower").msg('addfilter { hook="ten" vid=10 }')
        name = eth.ifname()
    for step in (["ip", "addr", "add", f"{address}/24", "dev", name], ["ip", "link", "set", name, "up"]):
        assert spaces.run(ns, step).returncode == 0
    return name


def test_vlan_between_two_hosts_over_ether_and_eiface(vlan_hosts) -> None:
    need_ping()
    spaces, (a, b), (daemon_a, daemon_b) = vlan_hosts
    _vlan_host(spaces, a, daemon_a, "va", "10.201.5.1")
    name_b = _vlan_host(spaces, b, daemon_b, "vb", "10.201.5.2")
    capture = spaces.run(b, ["sh", "-c", "cat /sys/class/net/vb/statistics/rx_packets"]).stdout
    ping = spaces.run(a, ["ping", "-c", "5", "-i", "0.2", "-W", "5", "10.201.5.2"])
    assert ping_loss(ping.stdout) == 0.0, (ping.stdout, daemon_a.stderr(), daemon_b.stderr())
    mac_b = spaces.run(b, ["cat", f"/sys/class/net/{name_b}/address"]).stdout.strip()
    assert mac_b in spaces.run(a, ["ip", "neigh", "show", "10.201.5.2"]).stdout  # ARP through the tags
    assert int(spaces.run(b, ["cat", "/sys/class/net/vb/statistics/rx_packets"]).stdout) > int(capture)
    with backend.using("emulated", socket_path=daemon_b.path), SockNode() as sock:
        table = sock.node("vb:lower").msg("gettable")
        assert table is not None and table.text == '{ n=1 filter=[ { hook="ten" vlan=10 vid=10 } ] }'
    assert daemon_a.stop() == 0, daemon_a.stderr()
    assert daemon_b.stop() == 0, daemon_b.stderr()
