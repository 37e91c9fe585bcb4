"""Faults: a client killed mid-stream, a TCP peer reset, the daemon stopped under its clients,
descriptor exhaustion in a client and in the daemon."""

from __future__ import annotations

import errno
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from rob_support import REPO, WAIT, Emud, bounded
from pyngraph import backend as backends, libnetgraph as ng
from pyngraph.abi import Connect, Mkpeer, NodeInfo, Rmhook, TypeList, encode_sockaddr
from pyngraph.abi.constants import (
    AF_INET, NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_LISTTYPES, NGM_MKPEER, NGM_NODEINFO, NGM_RMHOOK,
    NGM_SHUTDOWN, Errno,
)
from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE
from pyngraph.backend.emulated import EmulatedTransport
from pyngraph.backend.pylib import PyLibNetgraph
from pyngraph.emulator.daemon import KernelErrors
from pyngraph.errors import NetgraphError

G = NGM_GENERIC_COOKIE


def ask(lib, cs: int, path: str, cmd: int = NGM_NODEINFO):
    token = lib.NgSendMsg(cs, path, G, cmd)
    if not select.select([cs], [], [], WAIT)[0]:
        pytest.fail(f"no reply from {path}")
    msg, _ = lib.NgRecvMsg(cs, 1 << 16)
    assert msg.token == token and msg.is_response
    return msg


def nodeinfo(lib, cs: int, path: str) -> NodeInfo:
    return NodeInfo.decode(ask(lib, cs, path).data)


def ksocket_count(lib, cs: int) -> int:
    types = TypeList.decode(ask(lib, cs, ".", NGM_LISTTYPES).data).types
    return next(t.numnodes for t in types if t.type_name == "ksocket")


def until_gone(lib, cs: int, path: str) -> None:
    """Wait (bounded) until ``path`` is ENOENT: removal after a client's death is asynchronous."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            nodeinfo(lib, cs, path)
        except NetgraphError as exc:
            assert exc.errno == errno.ENOENT
            return
        time.sleep(0.02)
    pytest.fail(f"{path} is still there")


VICTIM = textwrap.dedent("""
    import sys
    from pyngraph import libnetgraph as ng
    from pyngraph.abi import Mkpeer, encode_sockaddr
    from pyngraph.abi.constants import AF_INET, NGM_GENERIC_COOKIE, NGM_MKPEER
    from pyngraph.abi.nodetypes.ng_ksocket import NGM_KSOCKET_CONNECT, NGM_KSOCKET_COOKIE
    from pyngraph.errors import NetgraphError
    cs, ds = ng.NgMkSockNode("victim")
    ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("hub", "h", "v").encode())
    ng.NgNameNode(cs, "h", "victimhub")
    ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("ksocket", "ku", "inet/dgram/udp").encode())
    ng.NgSendMsg(cs, "ku", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                 encode_sockaddr(AF_INET, ("127.0.0.1", int(sys.argv[1]))))
    print("ready", flush=True)
    n = 0
    while True:
        for hook in ("ku", "h"):
            try:
                ng.NgSendData(ds, hook, b"%d" % n)
            except NetgraphError:
                pass  # a full descriptor: the stream goes on
        n += 1
""")


def test_client_killed_mid_stream(emud_factory) -> None:
    daemon: Emud = emud_factory()
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(WAIT)
    env = dict(os.environ, PYNGRAPH_BACKEND="emulated", PYNGRAPH_EMULATOR=daemon.path, PYTHONPATH=str(REPO))
    victim = subprocess.Popen([sys.executable, "-c", VICTIM, str(sink.getsockname()[1])], env=env,
                              stdout=subprocess.PIPE, text=True)
    lib = daemon.lib()
    cs, ds = lib.NgMkSockNode("watcher", True)
    try:
        assert victim.stdout is not None and victim.stdout.readline() == "ready\n"
        lib.NgSendMsg(cs, ".", G, NGM_CONNECT, Connect("victimhub:", "w", "w").encode())
        assert sink.recv(100).isdigit()  # the stream runs through the victim's ksocket
        if not select.select([ds], [], [], WAIT)[0]:
            pytest.fail("nothing from the victim's hub")
        data, hook = lib.NgRecvData(ds, 100)
        assert hook == "w" and data.isdigit()
        assert ksocket_count(lib, cs) == 1
        victim.send_signal(signal.SIGKILL)
        assert victim.wait(WAIT) == -signal.SIGKILL
        until_gone(lib, cs, "victim:")
        deadline = time.monotonic() + WAIT
        while ksocket_count(lib, cs) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ksocket_count(lib, cs) == 0  # its ksocket went with it (hook lost: ksocket shuts down)
        # We are unaffected: our node answers, our link to the hub is intact, now its only hook.
        assert nodeinfo(lib, cs, ".").name == "watcher"
        assert nodeinfo(lib, cs, "victimhub:").hooks == 1
        lib.NgSendMsg(cs, ".", G, NGM_RMHOOK, Rmhook("w").encode())
        until_gone(lib, cs, "victimhub:")
    finally:
        if victim.poll() is None:
            victim.kill()
        lib.transport.close(ds)
        lib.transport.close(cs)
        sink.close()
    assert daemon.stop() == 0, daemon.stderr()


def test_tcp_peer_reset_gives_eof_and_node_stays_usable(kernel_errors: KernelErrors) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    cs, ds = ng.NgMkSockNode(None, True)
    lib = backends.get_backend()
    try:
        ng.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/stream/tcp").encode())
        with pytest.raises(NetgraphError) as info:
            ng.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_CONNECT,
                         encode_sockaddr(AF_INET, listener.getsockname()))
        assert info.value.fbsd_errno == Errno.EINPROGRESS
        conn, _ = listener.accept()
        select.select([cs], [], [], WAIT)
        assert ng.NgAllocRecvMsg(cs)[0].cmd == NGM_KSOCKET_CONNECT
        conn.sendall(b"before the reset")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # RST
        received = b""
        while True:
            if not select.select([ds], [], [], WAIT)[0]:
                pytest.fail("no EOF packet after the reset")
            data, hook = ng.NgRecvData(ds, 70000)
            assert hook == "ks"  # a zero-length packet on the hook, not the socket's EOF
            if not data:
                break
            received += data
        assert received == b"before the reset"
        assert nodeinfo(lib, cs, "ks").type == "ksocket"
        ng.NgSendMsg(cs, "ks", G, NGM_SHUTDOWN)
        with pytest.raises(NetgraphError) as gone:
            nodeinfo(lib, cs, "ks")
        assert gone.value.errno == errno.ENOENT
        assert nodeinfo(lib, cs, ".").hooks == 0
    finally:
        lib.transport.close(ds)
        lib.transport.close(cs)
        listener.close()
    assert kernel_errors.count == 0, kernel_errors.first


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_daemon_stopped_under_clients(emud_factory, how: int) -> None:
    daemon: Emud = emud_factory()
    lib = daemon.lib()
    cs, ds = lib.NgMkSockNode(None, True)
    blocked = {}

    def wait_for_message() -> None:
        try:
            select.select([cs], [], [], WAIT)
            blocked["result"] = lib.NgRecvMsg(cs, 1000)
        except OSError as exc:
            blocked["error"] = exc

    reader = threading.Thread(target=wait_for_message, daemon=True)
    reader.start()
    if how == signal.SIGTERM:
        assert daemon.stop() == 0
    else:
        daemon.kill()
    reader.join(WAIT)
    assert not reader.is_alive(), "a reader blocked on the control socket hung"
    assert isinstance(blocked.get("error"), OSError)  # EOF: the node is gone (ENOTCONN)
    for attempt in (lambda: lib.NgSendMsg(cs, ".", G, NGM_NODEINFO),
                    lambda: lib.NgSendData(ds, "x", b"data"),
                    lambda: lib.NgMkSockNode(None, True)):
        with pytest.raises(OSError) as info:
            bounded(attempt, "a call to a stopped daemon")
        assert info.value.errno in (errno.EPIPE, errno.ECONNRESET, errno.ECONNREFUSED, errno.ENOENT,
                                    errno.ENOTCONN), info.value
        assert str(info.value)  # names the command
    assert bounded(lambda: lib.NgRecvData(ds, 100), "a read of a dead data socket") == (b"", "")
    lib.transport.close(ds)
    lib.transport.close(cs)


EXHAUST = textwrap.dedent("""
    import errno, resource, select, sys
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[1]), int(sys.argv[1])))
    from pyngraph import libnetgraph as ng
    from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
    made, failure = [], None
    for _ in range(1000):
        try:
            made.append(ng.NgMkSockNode(None, True))
        except OSError as exc:
            failure = exc
            break
    assert failure is not None and failure.errno in (errno.EMFILE, errno.ENFILE), failure
    print("made", len(made), "then", errno.errorcode[failure.errno], "|", failure, flush=True)
    cs, _ = made[0]
    ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    assert select.select([cs], [], [], 10)[0]
    ng.NgRecvMsg(cs, 200)
    for cs, ds in made[-3:]:
        ng.get_backend().transport.close(ds)
        ng.get_backend().transport.close(cs)
    made = made[:-3]
    for _ in range(3):
        made.append(ng.NgMkSockNode(None, True))
    print("recovered", len(made), flush=True)
""")


def _exhaust(env: dict, limit: int, prefix=()) -> str:
    proc = subprocess.run([*prefix, sys.executable, "-c", EXHAUST, str(limit)], env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_descriptor_exhaustion_in_a_client(kernel_errors: KernelErrors) -> None:
    env = dict(os.environ, PYNGRAPH_BACKEND="emulated", PYTHONPATH=str(REPO))
    env["PYNGRAPH_EMULATOR"] = "inprocess"
    out = _exhaust(env, 64)
    made = int(out.split()[1])
    assert made > 0 and "Too many open files" in out and "NgMkSockNode" in out
    assert f"recovered {made}" in out


def test_descriptor_exhaustion_in_the_daemon(emud_factory) -> None:
    daemon: Emud = emud_factory(prefix=["prlimit", "--nofile=48:48"])
    env = dict(os.environ, PYNGRAPH_BACKEND="emulated", PYNGRAPH_EMULATOR=daemon.path, PYTHONPATH=str(REPO))
    out = _exhaust(env, 4096)
    made = int(out.split()[1])
    assert made > 0 and "then EMFILE" in out, out
    assert f"recovered {made}" in out
    lib = daemon.lib()  # and the daemon serves others once that client is gone
    cs, _ = lib.NgMkSockNode(None, False)
    assert nodeinfo(lib, cs, ".").type == "socket"
    lib.transport.close(cs)
    assert daemon.stop() == 0, daemon.stderr()


def test_sigquit_shows_where_the_daemon_is_and_it_goes_on(emud_factory) -> None:
    """kill -QUIT writes the stack of every daemon thread to its stderr; the daemon keeps serving."""
    daemon: Emud = emud_factory()
    lib = PyLibNetgraph(EmulatedTransport(daemon.path, timeout=10.0))
    lib.transport.close(lib.NgMkSockNode(None, False)[0])  # a round trip: the daemon's loop is running
    daemon.proc.send_signal(signal.SIGQUIT)
    for _ in range(int(WAIT / 0.05)):
        if "loop.py" in daemon.stderr():
            break
        time.sleep(0.05)
    assert "most recent call first" in daemon.stderr() and "loop.py" in daemon.stderr()
    cs, ds = lib.NgMkSockNode(None, True)
    lib.transport.close(ds)
    lib.transport.close(cs)
    assert daemon.stop() == 0
