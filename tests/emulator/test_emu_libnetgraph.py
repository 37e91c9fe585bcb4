"""The Python libnetgraph's conventions: tokens, cmdstr, errors, debug output."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from typing import Iterator, List

import pytest

from pyngraph import libnetgraph as ng
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
from pyngraph.abi.nodetypes.ng_echo import NGM_ECHO_COOKIE
from pyngraph.backend import get_backend
from pyngraph.backend.pylib import hexdump
from pyngraph.errors import NetgraphError, NoSuchNodeError


@pytest.fixture
def lines() -> Iterator[List[str]]:
    """Debug and error lines, captured through NgSetErrLog."""
    captured: List[str] = []
    ng.NgSetErrLog(captured.append, captured.append)
    try:
        yield captured
    finally:
        ng.NgSetDebug(0)
        ng.NgSetErrLog(None, None)


def test_tokens_start_at_one_per_process() -> None:
    script = textwrap.dedent("""
        from pyngraph import libnetgraph as ng
        from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
        cs, ds = ng.NgMkSockNode()          # NODEINFO for the node ID: token 1
        print(ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO))
        ng.NgRecvMsg(cs, 200)
        print(ng.NgSendAsciiMsg(cs, ".", "listtypes"))  # two tokens
    """)
    env = dict(os.environ, PYNGRAPH_EMULATOR="inprocess")
    env["PYNGRAPH_BACKEND"] = "emulated"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["2", "4"]


def test_tokens_and_signed_cmdstr(s) -> None:
    s.mkpeer(".", "echo", "e", "e")
    first = ng.NgSendMsg(s.cs, "e", NGM_ECHO_COOKIE, 0x80000001, b"")
    msg, _ = ng.NgRecvMsg(s.cs, 100)  # echo reflects the header as sent
    assert msg.cmdstr == "cmd-2147483647" and msg.token == first
    assert ng.NgSendMsg(s.cs, "e", NGM_ECHO_COOKIE, 1) == first + 1


def test_errors_name_command_and_path(s) -> None:
    with pytest.raises(NoSuchNodeError) as info:
        ng.NgSendMsg(s.cs, "nosuch:", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    err = info.value
    assert isinstance(err, OSError) and err.errno == errno.ENOENT
    assert err.path == "nosuch:" and "NgSendMsg" in str(err) and "nosuch:" in str(err)
    with pytest.raises(NetgraphError) as info:
        ng.NgNameNode(s.cs, ".", "bad.name")
    assert info.value.errno == errno.EINVAL and "NgNameNode" in str(info.value)


def test_recvmsg_truncates_to_bufsize(s) -> None:
    ng.NgSendMsg(s.cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    msg, _ = ng.NgRecvMsg(s.cs, 60)
    assert msg.arglen == 4 and msg.data == bytes(4)  # what arrived of the 72 argument bytes


def test_set_debug_returns_previous(lines) -> None:
    assert ng.NgSetDebug(-1) == 0
    assert ng.NgSetDebug(2) == 0
    assert ng.NgSetDebug(-1) == 2


def test_debug_level_2_format(s, lines) -> None:
    ng.NgSetDebug(2)
    token = ng.NgSendMsg(s.cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    ng.NgRecvMsg(s.cs, 200)
    assert lines[:10] == [
        "SENDING MESSAGE:",
        'SOCKADDR: { fam=32 len=4 addr="." }',
        "NG_MESG :",
        "  vers   8",
        "  arglen 0",
        "  flags  0",
        f"  token  {token}",
        "  cookie GENERIC (1137070366)",
        "  cmd    805306374",
        "  args (0 bytes)",
    ]
    assert lines[10:13] == ["RECEIVED RESPONSE:", f'SOCKADDR: {{ fam=32 len=16 addr="[{s.id:x}]:" }}',
                            "NG_MESG :"]
    assert "  flags  1" in lines and "  args (72 bytes)" in lines


def test_debug_level_3_decodes_through_the_target(s, lines) -> None:
    ng.NgSetDebug(3)
    ng.NgSendMsg(s.cs, f"[{s.id:x}]:", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    ng.NgRecvMsg(s.cs, 200)
    assert "  cmd    nodeinfo (805306374)" in lines
    assert f'  args   {{ type="socket" id=0x{s.id:x} }}' in lines


def test_debug_level_1_logs_failures_with_strerror(s, lines) -> None:
    ng.NgSetDebug(1)
    with pytest.raises(NetgraphError):
        ng.NgSendMsg(s.cs, "nosuch:", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    assert lines == ["sendto(nosuch:): No such file or directory"]


def test_data_debug_lines(s, lines) -> None:
    s.connect(".", ".", "a", "b")
    ng.NgSetDebug(3)
    ng.NgSendData(s.ds, "a", b"Hello, peer!\0")
    ng.NgRecvData(s.ds, 100)
    assert lines[0] == 'WRITE PACKET to hook "a" (13 bytes)'
    assert 'READ PACKET from hook "b" (13 bytes)' in lines


def test_hexdump_format() -> None:
    assert hexdump(b"Hello, peer!\0") == [
        "0000:  48 65 6c 6c 6f 2c 20 70 65 65 72 21 00            Hello, peer!.      "
    ]
    assert hexdump(bytes(range(17)))[1] == "0010:  10 " + "   " * 15 + "  ." + "  " * 15


@pytest.mark.parametrize("cookie, cmd", [(1 << 32, 6), (NGM_GENERIC_COOKIE, 1 << 40), (-(1 << 31) - 1, 1)])
def test_cookie_or_cmd_wider_than_c_int_is_einval_as_on_freebsd(cookie: int, cmd: int) -> None:
    cs, ds = ng.NgMkSockNode(None, True)
    try:
        with pytest.raises(OSError) as info:
            ng.NgSendMsg(cs, ".", cookie, cmd)
        assert info.value.errno == errno.EINVAL and "32 bits" in str(info.value)
    finally:
        transport = get_backend().transport
        transport.close(ds)
        transport.close(cs)
