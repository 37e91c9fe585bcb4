"""LibNetgraph's ctypes layer end to end, against a C stand-in for libnetgraph.so.4.

``stub_libnetgraph.c`` has the fourteen entry points of netgraph.h, records
what it receives and answers fixed messages; it is compiled here with zig.
This exercises argument marshalling, errno, the Alloc/free paths, the "%s"
format discipline and the variadic log callbacks with real C calls.  The real
library is exercised by test_freebsd_kernel.py on FreeBSD.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pyngraph.abi.constants import NGF_RESP, NGM_GENERIC_COOKIE, NGM_NODEINFO
from pyngraph.abi.message import NgMesg
from pyngraph.backend.freebsd import LibNetgraph
from pyngraph.errors import NameInUseError, NoSuchNodeError, NetgraphError

STUB_SOURCE = Path(__file__).with_name("stub_libnetgraph.c")


@pytest.fixture(scope="module")
def stub_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    pytest.importorskip("ziglang", reason="ziglang is needed to compile the libnetgraph stand-in")
    if not sys.platform.startswith(("linux", "freebsd")):
        pytest.skip("the stand-in reaches errno through glibc/musl or FreeBSD libc")
    out = tmp_path_factory.mktemp("stubng") / "libnetgraph_stub.so"
    built = subprocess.run([sys.executable, "-m", "ziglang", "cc", "-shared", "-fPIC", "-nostdlib", "-O1",
                            "-o", str(out), str(STUB_SOURCE)], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"zig cc could not build the stand-in: {built.stderr.strip()[-300:]}")
    return str(out)


@pytest.fixture
def ng(stub_path: str) -> LibNetgraph:
    lib = LibNetgraph([stub_path])
    _int(lib, "stub_fail").value = 0
    return lib


def _int(lib: LibNetgraph, name: str) -> ctypes.c_int:
    return ctypes.c_int.in_dll(lib._lib, name)


def _text(lib: LibNetgraph, name: str) -> bytes:
    return ctypes.c_char_p(ctypes.addressof(ctypes.c_char.in_dll(lib._lib, name))).value or b""


def _bytes(lib: LibNetgraph, name: str, n: int) -> bytes:
    return ctypes.string_at(ctypes.addressof(ctypes.c_char.in_dll(lib._lib, name)), n)


def _fail_next(lib: LibNetgraph, err: int) -> None:
    _int(lib, "stub_fail").value = 1
    _int(lib, "stub_errno").value = err


def test_mksocknode_returns_both_descriptors(ng: LibNetgraph) -> None:
    assert ng.NgMkSockNode("alpha") == (3, 4)
    assert _text(ng, "stub_where") == b"alpha"
    assert ng.NgMkSockNode(data=False) == (3, None)
    assert _int(ng, "stub_dsp_null").value == 1


def test_errno_of_the_c_call_becomes_the_exception(ng: LibNetgraph) -> None:
    _fail_next(ng, errno.EADDRINUSE)
    with pytest.raises(NameInUseError, match="NgMkSockNode 'taken'") as info:
        ng.NgMkSockNode("taken")
    assert info.value.errno == errno.EADDRINUSE
    _fail_next(ng, errno.ENOENT)
    with pytest.raises(NoSuchNodeError, match="'missing:'"):
        ng.NgSendMsg(3, "missing:", NGM_GENERIC_COOKIE, NGM_NODEINFO)


@pytest.mark.parametrize("name", ["plain", "100%s%n%x"])
def test_printf_like_functions_get_percent_s_and_the_text(ng: LibNetgraph, name: str) -> None:
    ng.NgNameNode(3, ".", name)
    assert (_text(ng, "stub_fmt"), _text(ng, "stub_text"), _text(ng, "stub_where")) == (
        b"%s", name.encode(), b".")
    assert ng.NgSendAsciiMsg(3, "ks:", f"bind inet/{name}") == 9
    assert (_text(ng, "stub_fmt"), _text(ng, "stub_text")) == (b"%s", f"bind inet/{name}".encode())


def test_sendmsg_passes_cookie_and_cmd_bit_patterns_and_the_arguments(ng: LibNetgraph) -> None:
    assert ng.NgSendMsg(3, ".:hook", 0xDEADBEEF, NGM_NODEINFO, bytearray(b"\x01\x02\x00\x03")) == 7
    assert ctypes.c_uint.in_dll(ng._lib, "stub_cookie").value == 0xDEADBEEF
    assert ctypes.c_uint.in_dll(ng._lib, "stub_cmd").value == NGM_NODEINFO
    assert ctypes.c_size_t.in_dll(ng._lib, "stub_arglen").value == 4
    assert _bytes(ng, "stub_args", 4) == b"\x01\x02\x00\x03"
    ng.NgSendMsg(3, ".", NGM_GENERIC_COOKIE, 1)
    assert ctypes.c_size_t.in_dll(ng._lib, "stub_arglen").value == 0


@pytest.mark.parametrize("bad", [-(1 << 31) - 1, 1 << 32])
def test_out_of_range_cookie_is_einval(ng: LibNetgraph, bad: int) -> None:
    with pytest.raises(NetgraphError, match="does not fit 32 bits") as info:
        ng.NgSendMsg(3, ".", bad, 1)
    assert info.value.errno == errno.EINVAL


def test_text_with_nul_is_einval_not_truncated(ng: LibNetgraph) -> None:
    with pytest.raises(NetgraphError, match="contains a NUL"):
        ng.NgSendAsciiMsg(3, ".", "name\0evil")


def test_reply_sends_the_request_header_and_arguments(ng: LibNetgraph) -> None:
    request = NgMesg(NGM_NODEINFO, NGM_GENERIC_COOKIE, b"ignored", 0, 41, "nodeinfo")
    ng.NgSendReplyMsg(3, "[1c]:", request, b"answer")
    header = NgMesg.decode_header(_bytes(ng, "stub_header", 56))[0]
    assert (header.cmd, header.typecookie, header.token, header.cmdstr) == (NGM_NODEINFO, NGM_GENERIC_COOKIE,
                                                                           41, "nodeinfo")
    assert _bytes(ng, "stub_args", 6) == b"answer"
    assert _text(ng, "stub_where") == b"[1c]:"


def test_recvmsg_decodes_and_cuts_like_c(ng: LibNetgraph) -> None:
    msg, path = ng.NgRecvMsg(3, 512)
    assert (msg.cmd, msg.flags, msg.token, msg.cmdstr, msg.data, path) == (
        NGM_NODEINFO, NGF_RESP, 7, "cmd805306374", b"hello", "[1c]:")
    cut, _ = ng.NgRecvMsg(3, 58)
    assert cut.data == b"he"
    with pytest.raises(NetgraphError, match="less than a message header"):
        ng.NgRecvMsg(3, 10)


def test_alloc_variants_copy_out_the_malloced_buffer(ng: LibNetgraph) -> None:
    msg, path = ng.NgAllocRecvMsg(3)
    assert (msg.data, path) == (b"hello", "[1c]:")
    assert ng.NgAllocRecvData(4) == (b"ping", "a")
    text, _ = ng.NgAllocRecvAsciiMsg(3)
    assert text.data == b'name="stub" type="socket" id=0x1c'


def test_ascii_receive_keeps_the_binary_header(ng: LibNetgraph) -> None:
    msg, path = ng.NgRecvAsciiMsg(3)
    assert (msg.cmd, msg.cmdstr, msg.data, path) == (
        NGM_NODEINFO, "cmd805306374", b'name="stub" type="socket" id=0x1c', "[1c]:")
    with pytest.raises(NetgraphError) as info:
        ng.NgRecvAsciiMsg(3, 60)
    assert info.value.errno == errno.ERANGE


def test_data_send_and_receive(ng: LibNetgraph) -> None:
    ng.NgSendData(4, "a", memoryview(b"\x00payload"))
    assert (_text(ng, "stub_where"), _bytes(ng, "stub_args", 8)) == (b"a", b"\x00payload")
    ng.NgSendData(4, None, b"x")
    assert _text(ng, "stub_where") == b""
    assert ng.NgRecvData(4, 2) == (b"pi", "a")
    _fail_next(ng, errno.EHOSTUNREACH)
    with pytest.raises(NetgraphError, match="NgSendData 'nohook'") as info:
        ng.NgSendData(4, "nohook", b"x")
    assert info.value.errno == errno.EHOSTUNREACH


def test_debug_level_and_its_global(ng: LibNetgraph) -> None:
    previous = ng.NgSetDebug(-1)
    assert ng.NgSetDebug(3) == previous
    assert ng.debug_level == 3 == ng.NgSetDebug(-1)
    ng.NgSetDebug(previous)


def test_default_loggers_receive_formatted_lines(ng: LibNetgraph, caplog: pytest.LogCaptureFixture) -> None:
    emit = ng._lib.stub_emit_logs
    emit.argtypes, emit.restype = [ctypes.c_int], None
    ng.NgSetErrLog(None, None)
    with caplog.at_level(logging.INFO, logger="pyngraph.libnetgraph"):
        emit(errno.ENOENT)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, f"sendto(missing:): {os.strerror(errno.ENOENT)}"),
        (logging.INFO, 'SOCKADDR: { fam=32 len=4 addr="." }'),
        (logging.INFO, "  token  4000000000"),
    ]


def test_seterrlog_routes_to_python_callables(ng: LibNetgraph) -> None:
    emit = ng._lib.stub_emit_logs
    emit.argtypes, emit.restype = [ctypes.c_int], None
    failures, lines = [], []
    ng.NgSetErrLog(failures.append, lines.append)
    try:
        emit(errno.EPERM)
    finally:
        ng.NgSetErrLog(None, None)
    assert failures == [f"sendto(missing:): {os.strerror(errno.EPERM)}"]
    assert lines == ['SOCKADDR: { fam=32 len=4 addr="." }', "  token  4000000000"]
