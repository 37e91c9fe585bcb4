"""ASCII forms of the iface, eiface, ether, bridge and one2many messages.

No FreeBSD-produced vectors exist for these commands in tests/data; the
expected bytes are derived from the structs in FreeBSD's headers (ng_bridge.h,
ng_one2many.h; layouts checked by the ABI probe) and the parse types their
node sources declare (ng_parse_enaddr_type: ``%02x:`` six times, strtoul
base 16 per byte; a struct omits fields equal to their default; a fixed
array prints only non-default elements as ``index=value``).
"""

from __future__ import annotations

import struct
import sys

import pytest

from pyngraph.abi.constants import Errno
from pyngraph.ascii.convert import find_by_name, parse_args, unparse_args
from pyngraph.errors import NetgraphError

little = pytest.mark.skipif(sys.byteorder != "little", reason="expected bytes are little endian")


def parse(typename: str, command: str, text: str, response: bool = False) -> bytes:
    return parse_args(find_by_name(typename, command), text, response=response)


def unparse(typename: str, command: str, data: bytes, response: bool = False) -> str:
    return unparse_args(find_by_name(typename, command), data, response=response)


def refused(fn) -> int:
    with pytest.raises(NetgraphError) as info:
        fn()
    return info.value.fbsd_errno


@pytest.mark.parametrize("text, raw", [
    ("00:11:22:33:44:55", bytes.fromhex("001122334455")),
    ("0:1:a:B:c:ff", bytes.fromhex("00010a0b0cff")),
    ("  02:00:00:00:00:0a", bytes.fromhex("02000000000a")),
])
def test_enaddr_parses_as_freebsd(text: str, raw: bytes) -> None:
    assert parse("ether", "setenaddr", text) == raw
    assert parse("eiface", "set", text) == raw


@pytest.mark.parametrize("text", ["00:11:22:33:44", "00-11-22-33-44-55", "100:11:22:33:44:55", "zz:1:2:3:4:5", ""])
def test_bad_enaddr_is_einval(text: str) -> None:
    assert refused(lambda: parse("ether", "addmulti", text)) == Errno.EINVAL


def test_enaddr_renders_lowercase_two_digits() -> None:
    assert unparse("ether", "getenaddr", bytes.fromhex("0a1b2c3d4e5f"), True) == "0a:1b:2c:3d:4e:5f"


@little
def test_ether_and_iface_int_and_string_replies() -> None:
    assert parse("ether", "setpromisc", "1") == struct.pack("=i", 1)
    assert unparse("ether", "getautosrc", struct.pack("=i", 0), True) == "0"
    assert unparse("iface", "getifname", b"ng0".ljust(16, b"\0"), True) == '"ng0"'
    assert unparse("iface", "getifindex", struct.pack("=I", 7), True) == "7"
    assert unparse("eiface", "getifname", b"ngeth0".ljust(16, b"\0"), True) == '"ngeth0"'


@little
def test_bridge_config() -> None:
    raw = parse("bridge", "setconfig", "{ debugLevel=2 loopTimeout=5 maxStaleness=900 minStableAge=1 }")
    assert raw == bytes([2, 0, 0, 0]) + struct.pack("=III", 5, 900, 1)  # u_char, 3 pad bytes, 3 u_int32
    assert unparse("bridge", "getconfig", raw, True) == "{ debugLevel=2 loopTimeout=5 maxStaleness=900 minStableAge=1 }"
    assert parse("bridge", "setconfig", "{ loopTimeout=60 }") == bytes(4) + struct.pack("=III", 60, 0, 0)


@little
def test_bridge_stats_names_follow_the_parse_type() -> None:
    # NG_BRIDGE_STATS_TYPE_INFO names recvMulticast/recvBroadcast (no s), unlike the struct members
    raw = struct.pack("=14Q", 100, 2, 1, 1, 0, 0, 0, 50, 1, 0, 1, 0, 0, 0)
    text = unparse("bridge", "getstats", raw, True)
    assert text == ("{ recvOctets=100 recvPackets=2 recvMulticast=1 recvBroadcast=1 xmitOctets=50 "
                    "xmitPackets=1 xmitBroadcasts=1 }")
    assert parse("bridge", "getstats", "-2") == struct.pack("=i", -2)  # uplink2


@little
def test_bridge_table_and_movehost() -> None:
    entry = bytes.fromhex("02000000000a") + b"link0".ljust(32, b"\0") + struct.pack("=HH", 3, 1)
    raw = struct.pack("=I", 1) + entry
    assert len(entry) == 42  # sizeof(struct ng_bridge_hostent): no padding
    assert unparse("bridge", "gettable", raw, True) == (
        '{ numHosts=1 hosts=[ { addr=02:00:00:00:00:0a hook="link0" age=3 staleness=1 } ] }')
    assert parse("bridge", "movehost", '{ addr=02:00:00:00:00:0b hook="link1" }') == (
        bytes.fromhex("02000000000b") + b"link1".ljust(32, b"\0"))


@little
def test_one2many_config_and_stats() -> None:
    raw = parse("one2many", "setconfig", "{ xmitAlg=2 failAlg=1 enabledLinks=[ 1 1 5=1 ] }")
    links = bytearray(64)
    links[0] = links[1] = links[5] = 1
    assert raw == struct.pack("=II", 2, 1) + bytes(links)
    assert unparse("one2many", "getconfig", raw, True) == "{ xmitAlg=2 failAlg=1 enabledLinks=[ 1 1 5=1 ] }"
    stats = struct.pack("=5Q", 10, 1, 0, 0, 0)
    assert unparse("one2many", "getstats", stats, True) == "{ recvOctets=10 recvPackets=1 }"
    assert parse("one2many", "getstats", "-1") == struct.pack("=i", -1)  # the "one" link


@little
def test_vlan_filter_and_table() -> None:
    raw = parse("vlan", "addfilter", '{ hook="v10" vid=10 pcp=5 cfi=1 }')
    assert raw == b"v10".ljust(32, b"\0") + struct.pack("=HHBB", 0, 10, 5, 1)  # 38 bytes, no padding
    table = struct.pack("=I", 1) + b"v10".ljust(32, b"\0") + struct.pack("=HHBB", 10, 10, 5, 0)
    assert unparse("vlan", "gettable", table, True) == '{ n=1 filter=[ { hook="v10" vlan=10 vid=10 pcp=5 } ] }'
    assert parse("vlan", "setencapproto", "0x88a8") == struct.pack("=H", 0x88A8)
    assert unparse("vlan", "getencap", struct.pack("=I", 3), True) == "0x3"
    assert parse("vlan", "delvidflt", "10") == struct.pack("=H", 10)
