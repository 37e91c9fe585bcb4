"""On a FreeBSD kernel with netgraph: libnetgraph through ctypes and PF_NETGRAPH through libc.

Skipped elsewhere with check_ready()'s reason.  The libnetgraph-level tests run
on both paths ("freebsd": the C library; "freebsd-sockets": the Python
libnetgraph over :class:`PfNetgraphTransport`), and the echo scenario compares
them; the transport is also driven directly.  These tests need root and the
ng_socket, ng_ksocket and ng_echo modules (the VM provisioning loads them).
"""

from __future__ import annotations

import errno
import logging
import os
from typing import Any, Iterator, List, Optional, Tuple

import pytest

from pyngraph.abi.args import Mkpeer, NodeInfo
from pyngraph.abi.constants import NGF_RESP, NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_NODEINFO
from pyngraph.abi.nodetypes.ng_socket import NG_CONTROL, NG_DATA
from pyngraph.abi.message import NgMesg
from pyngraph.backend.freebsd import LibNetgraph, PfNetgraphTransport, available, check_ready, sockaddr
from pyngraph.backend.pylib import PyLibNetgraph
from pyngraph.errors import NameInUseError, NoSuchNodeError


def _not_ready() -> Optional[str]:
    try:
        check_ready()
    except OSError as exc:
        return str(exc)
    return None


_REASON = _not_ready()
pytestmark = [pytest.mark.freebsd, pytest.mark.skipif(_REASON is not None, reason=f"needs FreeBSD netgraph: {_REASON}")]

ABSENT = f"pyngabsent{os.getpid()}:"


@pytest.fixture
def fds() -> Iterator[List[int]]:
    """Descriptors to close after the test (closing both sockets destroys the node)."""
    opened: List[int] = []
    yield opened
    for fd in opened:
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.fixture(scope="module", params=["freebsd", "freebsd-sockets"])
def lib(request: pytest.FixtureRequest) -> Any:
    """A libnetgraph function set: the C library, or the Python one over PF_NETGRAPH sockets."""
    if request.param == "freebsd":
        return LibNetgraph()
    return PyLibNetgraph(PfNetgraphTransport())


@pytest.fixture(scope="module")
def transport() -> PfNetgraphTransport:
    return PfNetgraphTransport()


def _nodeinfo_request() -> bytes:
    return NgMesg(NGM_NODEINFO, NGM_GENERIC_COOKIE, token=1, cmdstr="nodeinfo").encode()


# --- the same scenario on both paths ---------------------------------------------

def _echo_with_library(lib: Any, fds: List[int]) -> Tuple[bytes, str, NodeInfo, str]:
    cs, ds = lib.NgMkSockNode()
    fds.extend([cs, ds])
    lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("echo", "a", "x").encode())
    lib.NgSendData(ds, "a", b"ping")
    data, hook = lib.NgRecvData(ds, 100)
    lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    reply, sender = lib.NgRecvMsg(cs, 512)
    return data, hook, NodeInfo.decode(reply.data), sender


def _echo_with_sockets(t: PfNetgraphTransport, fds: List[int]) -> Tuple[bytes, str, NodeInfo, str]:
    cs = t.socket(NG_CONTROL)
    fds.append(cs)
    t.sendto(cs, _nodeinfo_request(), ".")
    raw, _ = t.recvfrom(cs, 512)
    node_id = NodeInfo.decode(NgMesg.decode(raw).data).id
    ds = t.socket(NG_DATA)
    fds.append(ds)
    t.connect(ds, f"[{node_id:x}]:")
    t.sendto(cs, NgMesg(NGM_MKPEER, NGM_GENERIC_COOKIE, Mkpeer("echo", "a", "x").encode(), token=2).encode(), ".")
    t.sendto(ds, b"ping", "a")
    data, hook = t.recvfrom(ds, 100)
    t.sendto(cs, _nodeinfo_request(), ".")
    raw, sender = t.recvfrom(cs, 512)
    return data, hook, NodeInfo.decode(NgMesg.decode(raw).data), sender


def test_check_ready_and_available() -> None:
    check_ready()
    check_ready(library=False)
    assert available()


def test_echo_scenario_is_the_same_on_all_paths(transport: PfNetgraphTransport, fds: List[int]) -> None:
    by_c = _echo_with_library(LibNetgraph(), fds)
    by_pylib = _echo_with_library(PyLibNetgraph(transport), fds)
    by_sockets = _echo_with_sockets(transport, fds)
    for data, hook, info, sender in (by_c, by_pylib, by_sockets):
        assert (data, hook) == (b"ping", "a")
        assert (info.type, info.hooks, info.name) == ("socket", 1, "")
        assert sender == f"[{info.id:x}]:"
    assert len({by_c[2].id, by_pylib[2].id, by_sockets[2].id}) == 3


def test_unknown_path_is_enoent_on_both_paths(lib: Any, transport: PfNetgraphTransport,
                                              fds: List[int]) -> None:
    cs, _ = lib.NgMkSockNode(data=False)
    fds.append(cs)
    with pytest.raises(NoSuchNodeError, match=ABSENT):
        lib.NgSendMsg(cs, ABSENT, NGM_GENERIC_COOKIE, NGM_NODEINFO)
    raw_cs = transport.socket(NG_CONTROL)
    fds.append(raw_cs)
    with pytest.raises(NoSuchNodeError, match=ABSENT) as info:
        transport.sendto(raw_cs, _nodeinfo_request(), ABSENT)
    assert info.value.errno == errno.ENOENT


# --- names and getsockname ----------------------------------------------------------

def test_named_node_and_getsockname(lib: Any, transport: PfNetgraphTransport, fds: List[int]) -> None:
    name = f"pyngtest{os.getpid()}named"
    cs, ds = lib.NgMkSockNode(name)
    fds.extend([cs, ds])
    raw = transport.getsockname(cs)
    assert (raw[0], raw[1], len(raw)) == (16, 32, 16)
    assert sockaddr.parse(raw) == name[:14]
    with pytest.raises(NameInUseError, match=name):
        other, _ = lib.NgMkSockNode(name, data=False)
        fds.append(other)


def test_unnamed_node_reports_its_id(transport: PfNetgraphTransport, fds: List[int]) -> None:
    cs = transport.socket(NG_CONTROL)
    fds.append(cs)
    transport.sendto(cs, _nodeinfo_request(), ".")
    raw, _ = transport.recvfrom(cs, 512)
    node_id = NodeInfo.decode(NgMesg.decode(raw).data).id
    assert sockaddr.parse(transport.getsockname(cs)) == f"[{node_id:x}]"


def test_name_node_then_address_it_by_name(lib: Any, transport: PfNetgraphTransport,
                                           fds: List[int]) -> None:
    name = f"pyngtest{os.getpid()}later"
    cs, _ = lib.NgMkSockNode(data=False)
    fds.append(cs)
    lib.NgNameNode(cs, ".", name)
    lib.NgSendMsg(cs, f"{name}:", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    reply, _ = lib.NgAllocRecvMsg(cs)
    assert NodeInfo.decode(reply.data).name == name
    raw_cs = transport.socket(NG_CONTROL)
    fds.append(raw_cs)
    with pytest.raises(NameInUseError):
        transport.bind(raw_cs, name)


# --- ASCII, replies, Alloc variants ------------------------------------------------------

def test_ascii_round_trip(lib: Any, fds: List[int]) -> None:
    cs, _ = lib.NgMkSockNode(data=False)
    fds.append(cs)
    first = lib.NgSendAsciiMsg(cs, ".", "nodeinfo")
    msg, sender = lib.NgRecvAsciiMsg(cs)
    assert msg.cmd == NGM_NODEINFO and msg.flags & NGF_RESP
    assert b'type="socket"' in msg.data
    assert sender.startswith("[") and sender.endswith("]:")
    second = lib.NgSendAsciiMsg(cs, ".", "  nodeinfo  ")
    assert second == first + 3  # ASCII send consumes two tokens, the ASCII receive one more
    again, _ = lib.NgAllocRecvAsciiMsg(cs)
    assert again.data == msg.data


def test_reply_reaches_the_requester(lib: Any, fds: List[int]) -> None:
    server_name = f"pyngtest{os.getpid()}srv"
    server, _ = lib.NgMkSockNode(server_name, data=False)
    client, _ = lib.NgMkSockNode(data=False)
    fds.extend([server, client])
    token = lib.NgSendMsg(client, f"{server_name}:", 0x5059_4E47, 7, b"question")
    request, requester = lib.NgRecvMsg(server, 512)
    assert (request.typecookie, request.cmd, request.token, request.data) == (0x5059_4E47, 7, token, b"question")
    lib.NgSendReplyMsg(server, requester, request, b"answer")
    reply, _ = lib.NgRecvMsg(client, 512)
    assert (reply.token, reply.flags & NGF_RESP, reply.data) == (token, NGF_RESP, b"answer")


def test_alloc_recv_data(lib: Any, fds: List[int]) -> None:
    cs, ds = lib.NgMkSockNode()
    fds.extend([cs, ds])
    lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("echo", "e", "x").encode())
    lib.NgSendData(ds, "e", b"\x00" * 3000)
    assert lib.NgAllocRecvData(ds) == (b"\x00" * 3000, "e")


# --- debug level and the log callbacks --------------------------------------------------------

def test_debug_lines_reach_logging_fully_formatted(lib: Any, fds: List[int],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    cs, _ = lib.NgMkSockNode(data=False)
    fds.append(cs)
    previous = lib.NgSetDebug(2)
    try:
        assert lib.NgSetDebug(-1) == 2
        with caplog.at_level(logging.INFO, logger="pyngraph.libnetgraph"):
            lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
            lib.NgRecvMsg(cs, 512)
    finally:
        lib.NgSetDebug(previous)
    lines = [r.getMessage() for r in caplog.records if r.name == "pyngraph.libnetgraph"]
    assert "SENDING MESSAGE:" in lines
    assert 'SOCKADDR: { fam=32 len=4 addr="." }' in lines
    assert "  cookie GENERIC (1137070366)" in lines


def test_failure_lines_carry_strerror(lib: Any, fds: List[int], caplog: pytest.LogCaptureFixture) -> None:
    cs, _ = lib.NgMkSockNode(data=False)
    fds.append(cs)
    previous = lib.NgSetDebug(1)
    try:
        with caplog.at_level(logging.WARNING, logger="pyngraph.libnetgraph"):
            with pytest.raises(NoSuchNodeError):
                lib.NgSendMsg(cs, ABSENT, NGM_GENERIC_COOKIE, NGM_NODEINFO)
    finally:
        lib.NgSetDebug(previous)
    assert f"sendto({ABSENT}): {os.strerror(errno.ENOENT)}" in [r.getMessage() for r in caplog.records]
