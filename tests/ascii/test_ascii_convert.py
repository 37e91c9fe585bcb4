"""Message-level conversion: command lookup, the API, and the kernel's ASCII handlers."""

from __future__ import annotations

import struct
import sys

import pytest

from pyngraph.abi import constants as C
from pyngraph.abi.nodetypes import ng_hole, ng_hub, ng_ksocket, ng_socket
from pyngraph.abi.constants import Errno
from pyngraph.abi.message import NgMesg
from pyngraph.ascii import (
    CMDLISTS, GENERIC, CmdList, ascii_to_binary, binary_to_ascii, format_message,
    kernel_ascii2binary, kernel_binary2ascii,
)
from pyngraph.ascii.convert import find_by_name, parse_args, unparse_args
from pyngraph.errors import NetgraphError, NotSupportedError

HDR = struct.Struct("=BBHIIIII32s")
little = pytest.mark.skipif(sys.byteorder != "little", reason="expected bytes are little endian")


def mesg(cmd: int, cookie: int, data: bytes, *, flags: int = 0, token: int = 0,
         cmdstr: bytes = b"", arglen: int = -1, version: int = 8) -> bytes:
    n = len(data) if arglen < 0 else arglen
    return HDR.pack(version, 0, 0, n, cmd, flags, token, cookie, cmdstr.ljust(32, b"\0")) + data


def errno_of(fn) -> int:
    with pytest.raises(NetgraphError) as info:
        fn()
    return info.value.fbsd_errno


def test_cmdlists_cover_the_emulated_types() -> None:
    assert set(CMDLISTS) == {"ksocket", "socket", "hub", "echo", "hole", "tee", "iface", "eiface", "ether",
                             "bridge", "one2many", "vlan"}
    assert [c.name for c in CMDLISTS["ksocket"]] == [
        "bind", "listen", "accept", "connect", "getname", "getpeername", "setopt", "getopt"]
    assert len(CMDLISTS["socket"]) == 0 and len(CMDLISTS["echo"]) == 0
    assert [c.name for c in CMDLISTS["hole"]] == ["getstats", "clrstats", "getclrstats"]
    assert [c.name for c in CMDLISTS["tee"]] == ["getstats", "clrstats", "getclrstats"]
    assert [c.name for c in CMDLISTS["hub"]] == ["setpersistent"]


def test_generic_list_carries_the_flag_bits() -> None:
    assert GENERIC.by_name("nodeinfo").cmd == C.NGM_NODEINFO == 0x30000006
    assert GENERIC.by_name("textconfig").cmd == C.NGM_TEXT_CONFIG == 14
    assert GENERIC.by_number(C.NGM_GENERIC_COOKIE, C.NGM_ASCII2BINARY).name == "ascii2binary"
    assert all(c.cookie == C.NGM_GENERIC_COOKIE for c in GENERIC)
    assert len(GENERIC) == 14


def test_node_list_shadows_generic_list() -> None:
    assert find_by_name("ksocket", "connect").cookie == ng_ksocket.NGM_KSOCKET_COOKIE
    assert find_by_name("hub", "connect").cookie == C.NGM_GENERIC_COOKIE
    assert find_by_name(None, "connect").cookie == C.NGM_GENERIC_COOKIE
    assert find_by_name("no-such-type", "name").cmd == C.NGM_NAME  # unknown type: generic only


def test_unknown_command_is_enosys() -> None:
    with pytest.raises(NotSupportedError) as info:
        ascii_to_binary("socket", "bind", "inet/1.2.3.4")
    assert info.value.fbsd_errno == Errno.ENOSYS
    assert errno_of(lambda: binary_to_ascii(NgMesg(1, ng_socket.NGM_SOCKET_COOKIE), "socket")) == Errno.ENOSYS
    assert errno_of(lambda: ascii_to_binary("ksocket", "Bind", "inet/1.2.3.4")) == Errno.ENOSYS


@little
def test_ascii_to_binary_fills_the_header() -> None:
    msg = ascii_to_binary("ksocket", "bind", "inet/127.0.0.1:8080", token=5)
    assert (msg.cmd, msg.typecookie, msg.token, msg.flags, msg.cmdstr) == (
        ng_ksocket.NGM_KSOCKET_BIND, ng_ksocket.NGM_KSOCKET_COOKIE, 5, 0, "bind")
    assert msg.data == bytes.fromhex("10021f907f0000010000000000000000")
    assert msg.arglen == 16
    assert binary_to_ascii(msg, "ksocket") == "inet/127.0.0.1:8080"
    assert format_message(msg, CMDLISTS["ksocket"]) == ("bind", "inet/127.0.0.1:8080")


@little
def test_hole_and_tee_commands() -> None:
    req = ascii_to_binary("hole", "getstats", '"left"')
    assert req.data == b"left".ljust(32, b"\0") and req.cmd == ng_hole.NGM_HOLE_GET_STATS
    reply = NgMesg(ng_hole.NGM_HOLE_GET_STATS, ng_hole.NGM_HOLE_COOKIE, (3).to_bytes(8, "little") * 2, flags=1)
    assert format_message(reply, "hole") == ("getstats", "{ frames=3 octets=3 }")
    assert ascii_to_binary("hole", "clrstats", '"x"', response=True).data == b""
    assert ascii_to_binary("tee", "getclrstats", "ignored text").data == b""
    assert len(ascii_to_binary("tee", "getstats", "{}", response=True).data) == 128
    assert ascii_to_binary("hub", "setpersistent", "{ junk").cmd == ng_hub.NGM_HUB_SET_PERSISTENT


def test_sockopt_value_length_follows_arglen() -> None:
    cmd = find_by_name("ksocket", "setopt")
    text = "{ level=0xffff name=4 value=[1] }"
    assert len(parse_args(cmd, text)) == 8 + 4 * ((len(text) + 1 - 8 + 3) // 4)
    assert len(parse_args(cmd, text, arglen=12)) == 12
    assert errno_of(lambda: parse_args(cmd, "{ value=[ 5=1 ] }", arglen=12)) == Errno.E2BIG
    assert unparse_args(cmd, bytes.fromhex("ffff00000400000001000000")) == "{ level=65535 name=4 value=[ 0x1 ] }"


# --- kernel handlers ------------------------------------------------------------------------

@little
def test_kernel_ascii2binary_copies_header_and_fills_command() -> None:
    inner = mesg(0, 0, b"5\0", flags=0, token=42, cmdstr=b"listen", version=8)
    out = kernel_ascii2binary(CMDLISTS["ksocket"], inner)
    assert out == mesg(ng_ksocket.NGM_KSOCKET_LISTEN, ng_ksocket.NGM_KSOCKET_COOKIE, b"\x05\0\0\0", token=42, cmdstr=b"listen")


@little
def test_kernel_ascii2binary_forces_the_last_byte_to_nul() -> None:
    out = kernel_ascii2binary("ksocket", mesg(0, 0, b"127", cmdstr=b"listen"))
    assert out[56:] == (12).to_bytes(4, "little")  # "12" + forced NUL


def test_kernel_ascii2binary_length_checks() -> None:
    good = mesg(0, 0, b"5\0", cmdstr=b"listen")
    assert errno_of(lambda: kernel_ascii2binary("ksocket", good[:56])) == Errno.EINVAL
    assert errno_of(lambda: kernel_ascii2binary("ksocket", mesg(0, 0, b"5\0", cmdstr=b"listen", arglen=0))) == Errno.EINVAL
    assert errno_of(lambda: kernel_ascii2binary("ksocket", mesg(0, 0, b"5\0", cmdstr=b"listen", arglen=3))) == Errno.EINVAL
    assert errno_of(lambda: kernel_ascii2binary("ksocket", mesg(0, 0, b"5\0", cmdstr=b"x" * 32))) == Errno.ENOSYS
    assert errno_of(lambda: kernel_ascii2binary("socket", good)) == Errno.ENOSYS
    assert errno_of(lambda: kernel_ascii2binary("ksocket", mesg(0, 0, b"x\0", cmdstr=b"listen"))) == Errno.EINVAL


def test_kernel_ascii2binary_uses_reply_type_for_responses() -> None:
    out = kernel_ascii2binary(None, mesg(0, 0, b'"up"\0', flags=C.NGF_RESP, cmdstr=b"textstatus"))
    assert out[56:] == b"up\0" and HDR.unpack_from(out)[3] == 3


@little
def test_kernel_binary2ascii_names_the_command() -> None:
    inner = mesg(C.NGM_NODEINFO, C.NGM_GENERIC_COOKIE, bytes(64) + b"\x1a\0\0\0\x01\0\0\0",
                 flags=C.NGF_RESP, token=9, cmdstr=b"cmd805306374")
    out = kernel_binary2ascii(CMDLISTS["ksocket"], inner)
    text = b"{ id=0x1a hooks=1 }\0"
    # cmdstr: the name written over the old one, like snprintf into the copied header.
    assert out == mesg(C.NGM_NODEINFO, C.NGM_GENERIC_COOKIE, text, flags=C.NGF_RESP, token=9,
                       cmdstr=b"nodeinfo\0" + b"374")


def test_kernel_binary2ascii_checks() -> None:
    assert errno_of(lambda: kernel_binary2ascii("ksocket", bytes(55))) == Errno.EINVAL
    short = mesg(ng_ksocket.NGM_KSOCKET_LISTEN, ng_ksocket.NGM_KSOCKET_COOKIE, b"\0\0\0\0", arglen=8)
    assert errno_of(lambda: kernel_binary2ascii("ksocket", short)) == Errno.EINVAL
    sock = mesg(ng_socket.NGM_SOCK_CMD_LINGER, ng_socket.NGM_SOCKET_COOKIE, b"")
    assert errno_of(lambda: kernel_binary2ascii(CMDLISTS["socket"], sock)) == Errno.ENOSYS
    assert kernel_binary2ascii("socket", mesg(C.NGM_SHUTDOWN, C.NGM_GENERIC_COOKIE, b""))[56:] == b"\0"


def test_kernel_binary2ascii_text_limit() -> None:
    # 284 nodeinfo entries with long names render to more than 20479 characters.
    entry = b"n" * 31 + b"\0" + b"t" * 31 + b"\0" + b"\xff" * 8
    data = (284).to_bytes(4, sys.byteorder) + entry * 284
    inner = mesg(C.NGM_LISTNODES, C.NGM_GENERIC_COOKIE, data, flags=C.NGF_RESP)
    assert errno_of(lambda: kernel_binary2ascii(None, inner)) == Errno.ERANGE


def test_custom_cmdlist() -> None:
    from pyngraph.ascii.cmdlists import Cmd
    from pyngraph.ascii.types import UINT32
    mine = CmdList("mine", [Cmd(77, 1, "setval", UINT32, None)])
    msg = ascii_to_binary(mine, "setval", "0x10")
    assert (msg.typecookie, msg.cmd, msg.data) == (77, 1, (16).to_bytes(4, sys.byteorder))
    assert binary_to_ascii(msg, mine) == "16"
