"""iface, eiface and ether nodes on real Linux interfaces, in a namespace with its own daemon.

The namespace, its veth pair and the address 10.201.9.1 (peer 10.201.9.2)
exist only inside the test.  Each test drives the daemon through the Python
API (Iface, EIface, Ether) and checks what Linux sees.
"""

from __future__ import annotations

import asyncio
import errno
import os
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from netif_support import REPO, Namespaces, NsDaemon, need_namespaces, need_tun
from pyngraph import backend
from pyngraph.abi.constants import NGM_FLOW_COOKIE, NGM_LINK_IS_DOWN, NGM_LINK_IS_UP
from pyngraph.aio import AioEIface, AioEther, AioIface, AioSockNode
from pyngraph.api import EIface, Ether, Iface, MessageEvent, SockNode

LOCAL, PEER = "10.201.9.1", "10.201.9.2"


@pytest.fixture(scope="module")
def netns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tuple[Namespaces, str, NsDaemon]]:
    need_namespaces()
    need_tun()
    spaces = Namespaces("n")
    daemon = None
    try:
        ns, other = spaces.add("x"), spaces.add("y")
        spaces.veth(ns, "vx", other, "vy")
        daemon = NsDaemon(ns, tmp_path_factory.mktemp("netif"))
        yield spaces, ns, daemon
    finally:
        if daemon is not None:
            daemon.kill()
        spaces.remove()


@pytest.fixture
def sock(netns) -> Iterator[SockNode]:
    _, _, daemon = netns
    with backend.using("emulated", socket_path=daemon.path):
        with SockNode() as node:
            yield node


def _link(spaces: Namespaces, ns: str, dev: str) -> str:
    return spaces.run(ns, ["ip", "-o", "link", "show", dev]).stdout


def _details(spaces: Namespaces, ns: str, dev: str) -> str:
    return spaces.run(ns, ["ip", "-d", "link", "show", dev]).stdout


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _icmp_echo(src: str, dst: str, ident: int) -> bytes:
    """An IPv4 ICMP echo request from ``src`` to ``dst``."""
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"pyngraph"
    icmp = icmp[:2] + struct.pack("!H", _checksum(icmp)) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0, 64, 1, 0,
                         bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + icmp


def test_new_types_are_listed(sock: SockNode) -> None:
    names = {t.type_name for t in sock.list_types()}
    assert {"iface", "eiface", "ether", "bridge", "one2many"} <= names


def test_iface_is_a_tun_device_named_as_freebsd_names_it(sock: SockNode, netns) -> None:
    spaces, ns, _ = netns
    ng = Iface.make(sock, hook="inet")
    name = ng.ifname()
    try:
        assert name.startswith("ng") and name[2:].isdigit()
        assert sock.info(f"{name}:").type == "iface"  # the node took the interface's name
        shown = _link(spaces, ns, name)
        assert shown.startswith(f"{ng.ifindex()}: {name}:"), shown
        assert "POINTOPOINT" in shown and "NOARP" in shown
        with pytest.raises(OSError) as bad:
            ng.mkpeer("hole", "x", "ipx")
        assert bad.value.errno == errno.EPFNOSUPPORT
        with pytest.raises(OSError) as twice:
            ng.connect(".", "inet", "other")
        assert twice.value.errno == errno.EEXIST  # the hook name is taken (ng_add_hook)
        ng.point2point()  # allowed while down
        spaces.run(ns, ["ip", "link", "set", name, "up"])
        with pytest.raises(OSError) as busy:
            ng.broadcast()
        assert busy.value.errno == errno.EBUSY
    finally:
        ng.shutdown()
    assert _link(spaces, ns, name) == ""  # the interface went with its node


def test_iface_carries_bare_ip_packets_both_ways(sock: SockNode, netns) -> None:
    spaces, ns, _ = netns
    ng = Iface.make(sock, hook="inet")
    name = ng.ifname()
    try:
        spaces.run(ns, ["ip", "addr", "add", LOCAL, "peer", PEER, "dev", name])
        spaces.run(ns, ["ip", "link", "set", name, "up"])
        sock.send("inet", _icmp_echo(PEER, LOCAL, 0x4242))  # Linux answers the echo through ng0
        for _ in range(20):  # other packets (IPv6 router solicitations ...) use inet6: not this hook
            hook, packet = sock.recv(timeout=10)
            if packet[9] == 1 and packet[20] == 0:  # ICMP echo reply
                break
        else:
            pytest.fail("no echo reply came out of the inet hook")
        assert hook == "inet" and packet[0] >> 4 == 4
        assert packet[12:16] == bytes(map(int, LOCAL.split("."))) and packet[16:20] == bytes(map(int, PEER.split(".")))
        assert struct.unpack("!H", packet[24:26])[0] == 0x4242
    finally:
        ng.shutdown()


def test_iface_needs_cap_net_admin(tmp_path: Path) -> None:
    need_tun()
    if os.geteuid() != 0:
        pytest.skip("dropping CAP_NET_ADMIN is tested as root")
    script = (
        "import errno\n"
        "from pyngraph import backend\n"
        "from pyngraph.api import Iface, SockNode\n"
        "with backend.using('emulated'), SockNode() as s:\n"
        "    try:\n"
        "        Iface.make(s)\n"
        "    except OSError as exc:\n"
        "        print(errno.errorcode[exc.errno], exc)\n"
        "    print(sorted(t.type_name for t in s.list_types()))\n"
    )
    result = subprocess.run(["setpriv", "--bounding-set", "-net_admin", "--inh-caps", "-net_admin",
                             sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, PYTHONPATH=str(REPO)), cwd=str(tmp_path))
    if result.returncode != 0 and "setpriv" in result.stderr:
        pytest.skip(f"cannot drop CAP_NET_ADMIN here: {result.stderr.strip()}")
    assert result.stdout.startswith("EPERM "), (result.stdout, result.stderr)
    assert "CAP_NET_ADMIN" in result.stdout
    assert "'iface'" in result.stdout  # still listed


def test_eiface_is_a_tap_device(sock: SockNode, netns) -> None:
    spaces, ns, _ = netns
    eth = EIface.make(sock)
    name = eth.ifname()
    try:
        assert name.startswith("ngeth")
        spaces.run(ns, ["ip", "link", "set", name, "up"])
        assert "LOWER_UP" in _link(spaces, ns, name)  # ether hook connected: link up
        eth.set_enaddr("02:00:5e:01:02:03")
        assert "link/ether 02:00:5e:01:02:03" in _link(spaces, ns, name)
        reply = eth.send_msg(eth.cookie, 2, reply=True)  # NGM_EIFACE_GET_IFADDRS
        sdl = bytes(reply.data)
        assert sdl[1] == 18 and sdl[0] == 56  # AF_LINK, FreeBSD's rounded sockaddr_dl
        nlen = sdl[5]
        assert sdl[8:8 + nlen] == name.encode() and sdl[8 + nlen:14 + nlen] == bytes.fromhex("02005e010203")
        with pytest.raises(OSError) as bad:
            eth.mkpeer("hole", "x", "lower")
        assert bad.value.errno == errno.EPFNOSUPPORT
        sock.rmhook(".", "ether")
        assert "NO-CARRIER" in _link(spaces, ns, name)  # hook gone: link down, node stays
    finally:
        eth.shutdown()


def test_ether_node_of_a_veth(sock: SockNode, netns) -> None:
    spaces, ns, _ = netns
    vx = Ether.attach(sock, "vx")
    assert vx.info().type == "ether" and vx.ifname() == "vx"
    assert vx.enaddr() in _link(spaces, ns, "vx")
    assert not vx.autosrc() and not vx.promisc()  # ng_ether_attach zeroes both (M_ZERO)
    vx.set_promisc(True)
    assert "promiscuity 1" in _details(spaces, ns, "vx")
    vx.set_autosrc(True)
    assert vx.autosrc()
    with pytest.raises(OSError) as bad:
        sock.mkpeer(".", "ether", "e", "lower")
    assert bad.value.errno == errno.EINVAL  # ether nodes are not made, only attached
    vx.shutdown()  # a reset: promiscuous mode off, the node found again
    assert "promiscuity 0" in _details(spaces, ns, "vx")
    again = Ether.attach(sock, "vx")
    assert again.ifname() == "vx"
    assert again.autosrc() and not again.promisc()  # ng_ether_shutdown turns promisc off, keeps autosrc
    with pytest.raises(OSError) as gone:
        Ether.attach(sock, "nosuchif0").info()
    assert gone.value.errno == errno.ENOENT


def test_interface_nodes_on_asyncio(netns) -> None:
    """The same helpers, written once, awaited: AioIface, AioEIface, AioEther."""
    spaces, ns, daemon = netns

    async def main() -> None:
        async with AioSockNode() as sock:
            ng = await AioIface.make(sock, hook="inet")
            name = await ng.ifname()
            assert _link(spaces, ns, name).startswith(f"{await ng.ifindex()}: {name}:")
            await ng.shutdown()
            eth = await AioEIface.make(sock)
            await eth.set_enaddr("02:00:00:00:00:2a")
            assert "02:00:00:00:00:2a" in _link(spaces, ns, await eth.ifname())
            await eth.shutdown()
            vx = AioEther.attach(sock, "vx")
            assert (await vx.info()).type == "ether" and await vx.ifname() == "vx"
            assert await vx.enaddr() in _link(spaces, ns, "vx")

    with backend.using("emulated", socket_path=daemon.path):
        asyncio.run(asyncio.wait_for(main(), 30))


def test_pyngctl_shows_the_new_types(sock: SockNode, netns) -> None:
    spaces, ns, daemon = netns
    ng = Iface.make(sock, hook="inet")
    name = ng.ifname()
    try:
        env = daemon.env()
        types = spaces.run(ns, [*env["NGCTL"].split(), "types"], env=env).stdout
        for type_name in ("iface", "eiface", "ether", "bridge", "one2many", "vlan"):
            assert f" {type_name} " in types, types
        listed = spaces.run(ns, [*env["NGCTL"].split(), "list"], env=env).stdout
        assert f"Name: {name} " in listed and "Type: iface" in listed, listed
        shown = spaces.run(ns, [*env["NGCTL"].split(), "show", f"{name}:"], env=env).stdout
        assert "Type: iface" in shown and "inet" in shown, shown
        reply = spaces.run(ns, [*env["NGCTL"].split(), "msg", f"{name}:", "getifname"], env=env).stdout
        assert f'"{name}"' in reply, reply
    finally:
        ng.shutdown()


def test_ether_tells_lower_about_link_state(sock: SockNode, netns) -> None:
    spaces, ns, _ = netns
    other = ns[:-1] + "y"  # the namespace holding the veth's other end
    vx = Ether.attach(sock, "vx")
    sock.connect(".", vx, "wire", "lower")  # our hook "wire" <-> vx's lower
    try:
        for state, cmd in (("down", NGM_LINK_IS_DOWN), ("up", NGM_LINK_IS_UP)):
            assert spaces.run(other, ["ip", "link", "set", "vy", state]).returncode == 0
            event = sock.next_event(timeout=20)
            assert isinstance(event, MessageEvent), event
            assert (event.msg.typecookie, event.msg.cmd) == (NGM_FLOW_COOKIE, cmd)
    finally:
        sock.rmhook(".", "wire")


_SEND_FRAMES = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for frame in sys.argv[2:]:
    s.send(bytes.fromhex(frame))
"""


def _frames_on(sock: SockNode, hook: str, last: bytes) -> List[bytes]:
    """Frames arriving on our ``hook`` up to the one carrying ``last``."""
    seen = []
    while not seen or last not in seen[-1]:
        seen.append(sock.recv(timeout=20, hook=hook)[1])
    return seen


def test_ether_orphans_get_what_ether_demux_discards(sock: SockNode, netns) -> None:
    """orphans: frames of protocols the stack has no handler for (RARP too); never IP/ARP/IPv6,
    never a VID != 0 (vlan_input's), unicast to another host only when the interface is
    promiscuous at the user's request; a priority tag (VID 0) is taken off first."""
    spaces, ns, _ = netns
    other = ns[:-1] + "y"
    vx = Ether.attach(sock, "vx")
    ours = bytes.fromhex(vx.enaddr().replace(":", ""))
    src, elsewhere, bcast = bytes.fromhex("020000000001"), bytes.fromhex("020000000099"), b"\xff" * 6

    def frame(dst: bytes, ethertype: int, mark: bytes, tci: Optional[int] = None) -> bytes:
        vlan = struct.pack("!HH", 0x8100, tci) if tci is not None else b""
        return dst + src + vlan + struct.pack("!H", ethertype) + mark.ljust(46, b".")

    def send(*frames: bytes) -> None:
        done = spaces.run(other, [sys.executable, "-c", _SEND_FRAMES, "vy", *(f.hex() for f in frames)])
        assert done.returncode == 0, done.stderr

    sock.connect(".", vx, "o", "orphans")
    try:
        send(frame(ours, 0x88B5, b"local-protocol"), frame(bcast, 0x8035, b"rarp"),
             frame(ours, 0x0800, b"ip"), frame(bcast, 0x0806, b"arp"), frame(ours, 0x86DD, b"ipv6"),
             frame(ours, 0x88B5, b"vid-5", tci=5), frame(ours, 0x88B5, b"priority-only", tci=0x6000),
             frame(elsewhere, 0x88B5, b"other-host"), frame(ours, 0x88B5, b"end-1"))
        got = _frames_on(sock, "o", b"end-1")
        marks = [f[14:].rstrip(b".") for f in got]
        assert marks == [b"local-protocol", b"rarp", b"priority-only", b"end-1"], marks
        assert got[2] == frame(ours, 0x88B5, b"priority-only")  # the tag is gone, the rest as sent
        assert spaces.run(ns, ["ip", "link", "set", "vx", "promisc", "on"]).returncode == 0
        send(frame(elsewhere, 0x88B5, b"other-host"), frame(ours, 0x88B5, b"end-2"))
        marks = [f[14:].rstrip(b".") for f in _frames_on(sock, "o", b"end-2")]
        assert marks == [b"other-host", b"end-2"], marks
    finally:
        spaces.run(ns, ["ip", "link", "set", "vx", "promisc", "off"])
        sock.rmhook(".", "o")


def test_ether_node_follows_its_interface_renamed(sock: SockNode, netns) -> None:
    """A renamed interface renames its node, which keeps its ID and hooks (ng_ether_ifnet_arrival_event)."""
    spaces, ns, _ = netns
    vx = Ether.attach(sock, "vx")
    sock.connect(".", vx, "w", "lower")
    node_id = vx.info().id

    def rename(old: str, new: str) -> None:
        for step in (["set", old, "down"], ["set", old, "name", new], ["set", new, "up"]):
            assert spaces.run(ns, ["ip", "link", *step]).returncode == 0

    rename("vx", "vz")
    try:
        for _ in range(200):
            names = {n.name: n.id for n in sock.list_nodes()}
            if names.get("vz") == node_id:
                break
            time.sleep(0.05)
        assert names.get("vz") == node_id and "vx" not in names, names
        vz = Ether.attach(sock, "vz")
        assert vz.ifname() == "vz"
        assert [link.ourhook for link in vz.hooks().links] == ["lower"]
    finally:
        sock.rmhook(".", "w")
        rename("vz", "vx")


def test_ether_detach_is_for_that_interface_only(sock: SockNode, netns) -> None:
    """DETACH takes the node from this interface for good; an interface made anew under the same
    name is another ifnet, which gets a node of its own (with autosrc off again)."""
    spaces, ns, _ = netns
    other = ns[:-1] + "y"
    vx = Ether.attach(sock, "vx")
    vx.set_autosrc(True)
    vx.detach()
    with pytest.raises(OSError) as gone:
        Ether.attach(sock, "vx").info()
    assert gone.value.errno == errno.ENOENT
    assert spaces.run(ns, ["ip", "link", "del", "vx"]).returncode == 0
    spaces.veth(ns, "vx", other, "vy")
    again = Ether.attach(sock, "vx")
    assert again.ifname() == "vx" and not again.autosrc()
    assert again.ifindex() == int(spaces.run(ns, ["cat", "/sys/class/net/vx/ifindex"]).stdout)
