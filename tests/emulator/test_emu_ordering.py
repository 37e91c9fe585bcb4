"""Data and control messages of one socket node keep the order they were sent in.

FreeBSD queues both on the target node in order, so a script that sends data
into a ksocket and then shuts it down sees every packet leave first.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Iterator, Optional

import pytest

from pyngraph.abi import Mkpeer, encode_sockaddr
from pyngraph.abi.constants import AF_INET, NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_SHUTDOWN
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE
from pyngraph.backend import create_backend
from pyngraph.emulator.sockbuf import MAXDGRAM as MAX_DGRAM
from pyngraph.emulator.transport import frame

PACKETS = 200


@pytest.fixture(params=["in-process", "daemon"])
def socket_path(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Optional[str]]:
    if request.param == "in-process":
        yield None
        return
    path = str(tmp_path / "emud.sock")
    proc = subprocess.Popen([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", path],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and "listening" in proc.stdout.readline()
        yield path
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_data_sent_before_a_shutdown_leaves_before_it(socket_path: Optional[str]) -> None:
    lib = create_backend("emulated", socket_path=socket_path)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    cs, ds = lib.NgMkSockNode(None, True)
    try:
        lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/dgram/udp").encode())
        lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                      encode_sockaddr(AF_INET, receiver.getsockname()))
        for i in range(PACKETS):
            lib.NgSendData(ds, "ks", b"%d" % i)
        lib.NgSendMsg(cs, "ks", NGM_GENERIC_COOKIE, NGM_SHUTDOWN)
        receiver.settimeout(5)
        got = [receiver.recv(100) for _ in range(PACKETS)]
        assert got == [b"%d" % i for i in range(PACKETS)]
    finally:
        receiver.close()
        lib.transport.close(ds)
        lib.transport.close(cs)



def test_an_oversized_packet_written_past_the_library_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """A raw write of more than net.graph.maxdgram bytes is dropped (logged); the node keeps working."""
    lib = create_backend("emulated")
    cs, ds = lib.NgMkSockNode(None, True)
    try:
        lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("echo", "e", "e").encode())
        with caplog.at_level(logging.DEBUG, logger="pyngraph.emulator.socket"):
            os.write(ds, frame(b"e\0", b"x" * (MAX_DGRAM + 1)))
            lib.NgSendData(ds, "e", b"small")
            assert lib.NgRecvData(ds, 65536) == (b"small", "e")
        assert any(f"dropped a {MAX_DGRAM + 1}-byte packet" in r.getMessage() for r in caplog.records)
    finally:
        lib.transport.close(ds)
        lib.transport.close(cs)
