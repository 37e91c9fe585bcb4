"""net.graph.maxdgram: the largest datagram a netgraph socket sends (ng_socket.c ngpdg_sendspace).

``ng_attach_common`` reserves ``ngpdg_sendspace`` (20 KiB) as the socket's
send space; ``sosend_dgram`` refuses a datagram larger than it with EMSGSIZE
before ``ngd_send``/``ngc_send`` run.  The emulator's equivalent is the
kernel's ``maxdgram`` (PYNGRAPH_MAXDGRAM), fixed per socket when it opens.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from typing import Any, Callable, Iterator

import pytest

from pyngraph import backend as backends
from pyngraph import libnetgraph as ng
from pyngraph.emulator.kernel import Kernel
from pyngraph.emulator.sockbuf import MAXDGRAM
from pyngraph.errors import NetgraphError

FREEBSD_MAXDGRAM = 20 * 1024


def _link(make_sock: Callable[..., Any], name: str) -> Any:
    """A sender whose hook "out" leads to hook "in" of the named node."""
    sender = make_sock()
    sender.connect(".", f"{name}:", "out", "in")
    return sender


def test_the_default_is_freebsds() -> None:
    assert MAXDGRAM == FREEBSD_MAXDGRAM


def test_a_send_larger_than_maxdgram_is_refused_with_emsgsize(make_sock: Callable[..., Any]) -> None:
    make_sock("mdg_rx")
    sender = _link(make_sock, "mdg_rx")
    ng.NgSendData(sender.ds, "out", bytes(FREEBSD_MAXDGRAM - 100))  # fits the receiver's 20 KiB too
    with pytest.raises(NetgraphError) as info:
        ng.NgSendData(sender.ds, "out", bytes(FREEBSD_MAXDGRAM + 1))
    assert info.value.errno == errno.EMSGSIZE


def test_a_raised_maxdgram_lets_larger_sends_through(kernel: Kernel, make_sock: Callable[..., Any]) -> None:
    saved = kernel.maxdgram, kernel.recvspace
    kernel.maxdgram, kernel.recvspace = 3 * FREEBSD_MAXDGRAM, 4 * FREEBSD_MAXDGRAM  # both sysctls raised
    try:
        receiver = make_sock("mdg_big")
        sender = _link(make_sock, "mdg_big")
    finally:
        kernel.maxdgram, kernel.recvspace = saved
    ng.NgSendData(sender.ds, "out", bytes(2 * FREEBSD_MAXDGRAM))
    data, hook = receiver.recv_data()
    assert (len(data), hook) == (2 * FREEBSD_MAXDGRAM, "in")
    with pytest.raises(NetgraphError) as info:
        ng.NgSendData(sender.ds, "out", bytes(3 * FREEBSD_MAXDGRAM + 1))
    assert info.value.errno == errno.EMSGSIZE


@pytest.fixture
def daemon_maxdgram(start_daemon) -> Iterator[str]:
    """A daemon started with PYNGRAPH_MAXDGRAM=30000."""
    with start_daemon({"PYNGRAPH_MAXDGRAM": "30000"}) as path:
        yield path


def test_the_daemon_tells_its_clients_its_maxdgram(daemon_maxdgram: str) -> None:
    lib = backends.create_backend("emulated", socket_path=daemon_maxdgram)
    cs, ds = lib.NgMkSockNode("mdg_d")
    try:
        with pytest.raises(NetgraphError) as info:
            lib.NgSendData(ds, "nohook", bytes(30001))
        assert info.value.errno == errno.EMSGSIZE  # refused before the hook is looked up
        with pytest.raises(NetgraphError) as info:
            lib.NgSendData(ds, "nohook", bytes(30000))
        assert info.value.errno == errno.EHOSTUNREACH  # within maxdgram: ngd_send's own checks
    finally:
        lib.transport.close(ds)
        lib.transport.close(cs)


def test_the_daemons_max_msg_is_bounded_by_its_maxdgram(tmp_path: Any) -> None:
    """--max-msg can reach net.graph.maxdgram, not beyond: raising PYNGRAPH_MAXDGRAM raises the bound."""
    def emud(max_msg: int, **env: str) -> "subprocess.CompletedProcess[str]":
        return subprocess.run([sys.executable, "-m", "pyngraph.cli.emud", "--socket", str(tmp_path / "none.sock"),
                               "--max-msg", str(max_msg), "--status"], capture_output=True, text=True,
                              env={**os.environ, **env}, timeout=60)

    over = emud(FREEBSD_MAXDGRAM + 1)
    assert over.returncode == 64 and f"between 1 and {FREEBSD_MAXDGRAM} bytes" in over.stderr
    raised = emud(FREEBSD_MAXDGRAM + 1, PYNGRAPH_MAXDGRAM="40000")
    assert raised.returncode == 69, raised.stderr  # accepted: --status finds no daemon there
    assert "--max-msg" not in raised.stderr
