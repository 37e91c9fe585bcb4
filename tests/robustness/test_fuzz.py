"""Bad input: malformed control and data datagrams, raw channel requests, through client and daemon.

Every input ends in success or an OSError with FreeBSD's errno, the kernel
keeps answering NODEINFO, and it logs no unexpected exception.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from rob_support import Emud, bounded, load_fuzzer
from pyngraph.abi.constants import (
    NG_CMDSTRSIZ, NG_VERSION, NGM_ASCII2BINARY, NGM_BINARY2ASCII, NGM_CONNECT, NGM_GENERIC_COOKIE,
    NGM_MKPEER, NGM_NAME, NGM_RMHOOK,
)
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_COOKIE
from pyngraph.abi.nodetypes.ng_socket import NG_CONTROL
from pyngraph.backend.emulated import EmulatedTransport
from pyngraph.backend.pylib import PyLibNetgraph
from pyngraph.emulator import transport as wire
from pyngraph.emulator.daemon import KernelErrors

_HEADER = struct.Struct(f"=BBHIIIII{NG_CMDSTRSIZ}s")
FUZZ = load_fuzzer()

names = st.one_of(
    st.sampled_from(["hub", "echo", "tee", "hole", "ksocket", "socket", "inet/dgram/udp", "local/stream/0",
                     "x", "", "a.b", "a:b", "[1]", "\xff\xfe"]),
    st.text(max_size=40),
).map(lambda s: s.encode("utf-8", "surrogatepass"))
fixed32 = st.one_of(names.map(lambda b: b[:32].ljust(32, b"\0")), st.binary(min_size=32, max_size=32))
paths = st.one_of(st.sampled_from([".", "", "h", "ku", "kt", "t.right", "[1]:", "nosuch:", "a..b", ":"]),
                  st.text(st.characters(max_codepoint=255), max_size=40))


@st.composite
def arguments(draw: Callable, cookie: int, cmd: int) -> bytes:
    if draw(st.booleans()):
        return draw(st.binary(max_size=700))
    if cookie == NGM_GENERIC_COOKIE and cmd == NGM_MKPEER:
        return draw(fixed32) + draw(fixed32) + draw(fixed32)
    if cookie == NGM_GENERIC_COOKIE and cmd == NGM_CONNECT:
        return draw(names)[:512].ljust(512, b"\0") + draw(fixed32) + draw(fixed32)
    if cookie == NGM_GENERIC_COOKIE and cmd in (NGM_NAME, NGM_RMHOOK):
        return draw(fixed32)
    if cookie == NGM_GENERIC_COOKIE and cmd in (NGM_ASCII2BINARY, NGM_BINARY2ASCII):
        inner_args = draw(st.one_of(st.binary(max_size=80), names))
        inner_len = draw(st.one_of(st.just(len(inner_args)), st.integers(0, 2**32 - 1)))
        return _HEADER.pack(draw(st.sampled_from([NG_VERSION, 0])), 0, 0, inner_len,
                            draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 3)), 0,
                            draw(st.sampled_from([NGM_GENERIC_COOKIE, NGM_KSOCKET_COOKIE, 7])),
                            draw(fixed32)) + inner_args
    if cookie == NGM_KSOCKET_COOKIE:
        return draw(st.binary(max_size=40))  # sockaddrs and sockopts: sanitized by the caller
    return b""


@st.composite
def control_datagrams(draw: Callable) -> bytes:
    cookie = draw(st.sampled_from([NGM_GENERIC_COOKIE, NGM_KSOCKET_COOKIE, 851601233, 1082189597, 0xDEADBEEF]))
    cmd = draw(st.one_of(st.integers(0, 14), st.integers(0, 2**32 - 1), st.sampled_from([
        0x3000_0006, 0x3000_0007, 0x3000_0009, 0x3000_000C, 0x3000_000D])))
    data = draw(arguments(cookie, cmd))
    if cookie == NGM_KSOCKET_COOKIE and cmd in (1, 4):  # BIND/CONNECT never leave loopback
        data = FUZZ.sanitize_sockaddr(data)
    arglen = len(data) + draw(st.sampled_from([0, 0, 0, 1, -1, 100, 2**31]))
    arglen = min(max(arglen, 0), 2**32 - 1)
    version = draw(st.sampled_from([NG_VERSION, NG_VERSION, 0, 7, 9, 255]))
    raw = _HEADER.pack(version, 0, 0, arglen, cmd, draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 2**32 - 1)),
                       cookie, draw(fixed32)) + data
    return raw[: draw(st.integers(0, len(raw)))] if draw(st.integers(0, 9)) == 0 else raw


@pytest.fixture
def fuzz_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Local-socket binds of fuzzed ksockets land in the test's directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_hypothesis_control_messages(fuzz_dir: Path, fuzzer: ModuleType, kernel_errors: KernelErrors) -> None:
    sink = fuzzer.udp_sink()
    lib = PyLibNetgraph(EmulatedTransport())
    ws = fuzzer.Workspace(lib, sink.getsockname()[1])
    seen = {"examples": 0}

    @settings(max_examples=300, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(path=paths, raw=control_datagrams())
    def one(path: str, raw: bytes) -> None:
        nonlocal ws
        seen["examples"] += 1
        try:
            lib.transport.sendto(ws.cs, raw, path)
        except OSError as exc:
            assert exc.errno in errno.errorcode
            if exc.errno == errno.EPIPE:  # a fuzzed SHUTDOWN took our node: start again
                ws.close()
                ws = fuzzer.Workspace(lib, sink.getsockname()[1])
        ws.drain()

    try:
        one()
        assert bounded(ws.nodeinfo, "NODEINFO after the examples") == ws.id
    finally:
        ws.close()
        sink.close()
    assert seen["examples"] == 300
    assert kernel_errors.count == 0, kernel_errors.first


def test_random_client_path_in_process(fuzz_dir: Path, fuzzer: ModuleType, kernel_errors: KernelErrors) -> None:
    lib = PyLibNetgraph(EmulatedTransport())
    outcomes = bounded(lambda: fuzzer.fuzz(lib, fuzzer.in_process_channel, 1500, seed=11, raw=0.0),
                       "1500 fuzzed inputs", timeout=120)
    assert sum(outcomes.values()) == 1500
    assert outcomes.get("ok", 0) > 0 and outcomes.get("EINVAL", 0) > 0  # both paths exercised
    assert kernel_errors.count == 0, kernel_errors.first


def test_random_everything_against_the_daemon(fuzz_dir: Path, fuzzer: ModuleType, emud_factory) -> None:
    daemon: Emud = emud_factory()
    outcomes = bounded(lambda: fuzzer.fuzz(daemon.lib(), fuzzer.daemon_channel(daemon.path), 1500, seed=12,
                                           raw=0.1), "1500 fuzzed inputs", timeout=120)
    assert any(key.startswith("raw:") for key in outcomes)
    assert daemon.stop() == 0, daemon.stderr()


def _raw_request(connect: Callable[[], socket.socket], message: bytes, fds=()) -> int:
    chan = connect()
    chan.settimeout(10)
    try:
        if fds:
            wire.send_fds(chan, message, list(fds))
        else:
            chan.send(message)
        reply = chan.recv(1024)
        while reply[:1] == bytes((wire.UPDATE,)):
            reply = chan.recv(1024)
        return wire.parse_status(reply)[0]
    finally:
        chan.close()


def _open_then(connect: Callable[[], socket.socket], message: bytes, fds=()) -> int:
    """OPEN a control socket on a raw channel, then send ``message``; the second status's errno."""
    chan = connect()
    chan.settimeout(10)
    user, kernel_end = wire.seqpacket_pair()
    try:
        wire.send_fds(chan, bytes((wire.OP_OPEN, NG_CONTROL)), [kernel_end.fileno()])
        kernel_end.close()
        assert wire.parse_status(chan.recv(1024))[0] == 0
        if fds:
            wire.send_fds(chan, message, list(fds))
        else:
            chan.send(message)
        return wire.parse_status(chan.recv(1024))[0]
    finally:
        chan.close()
        user.close()


@pytest.mark.parametrize("where", ["daemon", "in-process"])
def test_empty_send_request_is_einval(where: str, emud_factory, kernel_errors) -> None:
    daemon = emud_factory() if where == "daemon" else None
    connect = FUZZ.daemon_channel(daemon.path) if daemon else FUZZ.in_process_channel
    assert _open_then(connect, bytes((wire.OP_SEND,))) == errno.EINVAL  # FreeBSD EINVAL is 22 too
    assert (daemon.stop() if daemon else kernel_errors.count) == 0, kernel_errors.first


@pytest.mark.parametrize("where", ["daemon", "in-process"])
def test_open_with_a_pipe_is_einval(where: str, emud_factory, kernel_errors) -> None:
    daemon = emud_factory() if where == "daemon" else None
    connect = FUZZ.daemon_channel(daemon.path) if daemon else FUZZ.in_process_channel
    r, w = os.pipe()
    try:
        assert _raw_request(connect, bytes((wire.OP_OPEN, NG_CONTROL)), [r]) == errno.EINVAL
    finally:
        os.close(r)
        os.close(w)
    assert (daemon.stop() if daemon else kernel_errors.count) == 0, kernel_errors.first
