"""pyngraph-emud under attack: a group member as confused deputy, floods, storms, reused pids, dead daemons.

Each test plays one attack of issue 13 against a real daemon (loopback only)
and checks the defence a user relies on: EPERM naming the rule, a clear errno
at a limit, bounded listen queues, fair service, a timeout, a clear error.
"""

from __future__ import annotations

import errno
import os
import pwd
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Tuple

import pytest

from rob_support import REPO, Emud, as_user, bounded
from pyngraph.abi import Connect, Mkpeer, Name, NgMesg
from pyngraph.abi.args import NameList, NodeInfo
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_BIND, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME, NGM_KSOCKET_LISTEN, NGM_KSOCKET_SETOPT,
    Sockopt,
)
from pyngraph.abi.constants import (
    AF_INET, NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_LISTNODES, NGM_MKPEER, NGM_NAME, NGM_NODEINFO,
    NGM_SHUTDOWN,
)
from pyngraph.abi.nodetypes.ng_socket import NG_DATA
from pyngraph.abi.sockaddr import decode_sockaddr, encode_sockaddr
from pyngraph.backend.emulated import EmulatedTransport
from pyngraph.backend.pylib import PyLibNetgraph
from pyngraph.errors import NetgraphError, TimedOutError

G = NGM_GENERIC_COOKIE
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="a throwaway user needs root (useradd, setuid)")


def _sin(port: int) -> bytes:
    return encode_sockaddr(AF_INET, ("127.0.0.1", port))


def _lib(path: str, timeout: float = 10.0) -> PyLibNetgraph:
    return PyLibNetgraph(EmulatedTransport(path, timeout=timeout))


def _ask(lib: PyLibNetgraph, cs: int, path: str, cmd: int, data: bytes = b"") -> NgMesg:
    lib.NgSendMsg(cs, path, G, cmd, data)
    assert select.select([cs], [], [], 10)[0], f"no reply to {cmd} at {path}"
    return lib.NgAllocRecvMsg(cs)[0]


def _node_ids(lib: PyLibNetgraph, cs: int) -> List[int]:
    return [info.id for info in NameList.decode(_ask(lib, cs, ".", NGM_LISTNODES).data).nodes]


def _stat(daemon: Emud, what: str) -> int:
    """One figure of the daemon's statistics line (``... nodes N hooks H ...``)."""
    words = daemon.stats().split()
    return int(words[words.index(what) + 1])


def _nodes(daemon: Emud) -> int:
    return _stat(daemon, "nodes")


def _nodes_once(daemon: Emud, ok: Callable[[int], bool]) -> int:
    """The daemon's node count once ``ok(count)`` holds (or after 10 s: the test then fails on it)."""
    deadline = time.monotonic() + 10
    count = _nodes(daemon)
    while not ok(count) and time.monotonic() < deadline:
        time.sleep(0.05)
        count = _nodes(daemon)
    return count


# --- 1. the confused deputy through --group ------------------------------------------------------


@pytest.fixture
def member() -> Iterator[Tuple[int, int, str]]:
    """A throwaway user in a throwaway group, made for the test and removed after it: (uid, gid, group)."""
    if shutil.which("useradd") is None or shutil.which("groupadd") is None:
        pytest.skip("useradd/groupadd are not installed")
    name = f"pyng{os.getpid() % 100000}"
    made = subprocess.run(["groupadd", name], capture_output=True, text=True)
    if made.returncode:
        pytest.skip(f"groupadd failed: {made.stderr.strip()}")
    try:
        made = subprocess.run(["useradd", "-M", "-N", "-g", name, "-s", "/usr/sbin/nologin", name],
                              capture_output=True, text=True)
        if made.returncode:
            pytest.skip(f"useradd failed: {made.stderr.strip()}")
        entry = pwd.getpwnam(name)
        try:
            yield entry.pw_uid, entry.pw_gid, name
        finally:
            subprocess.run(["userdel", name], capture_output=True)
    finally:
        subprocess.run(["groupdel", name], capture_output=True)


@pytest.fixture
def open_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pyngraph-atk-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _member_attempts(path: str) -> str:
    """Everything a group member tries against root's nodes; one verdict line per attempt."""
    lib = _lib(path)
    cs, ds = lib.NgMkSockNode(None, True)
    sin = _sin(80)
    attempts = {
        "bind": lambda: lib.NgSendMsg(cs, "rootks:", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, sin),
        "listen": lambda: lib.NgSendMsg(cs, "rootks:", NGM_KSOCKET_COOKIE, NGM_KSOCKET_LISTEN, bytes(4)),
        "setopt": lambda: lib.NgSendMsg(cs, "rootks:", NGM_KSOCKET_COOKIE, NGM_KSOCKET_SETOPT,
                                        Sockopt(0xFFFF, 4, (1).to_bytes(4, "little")).encode()),
        "connect-hub": lambda: lib.NgSendMsg(cs, ".", G, NGM_CONNECT, Connect("roothub:", "spy", "s").encode()),
        "name-root": lambda: lib.NgSendMsg(cs, "roothub:", G, NGM_NAME, Name("mine").encode()),
        "shutdown-root": lambda: lib.NgSendMsg(cs, "rootks:", G, NGM_SHUTDOWN),
        "data-attach": lambda: lib.transport.connect(lib.transport.socket(NG_DATA), "rootsock:"),
        "mkpeer-ksocket": lambda: lib.NgSendMsg(cs, ".", G, NGM_MKPEER,
                                                Mkpeer("ksocket", "k", "inet/dgram/udp").encode()),
    }
    lines = []
    for what, attempt in attempts.items():
        try:
            attempt()
            lines.append(f"{what}: done")
        except OSError as exc:
            lines.append(f"{what}: {errno.errorcode.get(exc.errno or 0)} {exc}")
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("hub", "own", "x").encode())  # its own nodes work
    own = _ask(lib, cs, "own", NGM_NODEINFO)
    listed = NameList.decode(_ask(lib, cs, ".", NGM_LISTNODES).data).nodes
    lines.append(f"own hub: {NodeInfo.decode(own.data).type}; listed {sorted(n.type for n in listed)}")
    return "\n".join(lines)


@needs_root
def test_group_member_cannot_use_roots_nodes_or_sockets(open_dir: Path, member: Tuple[int, int, str]) -> None:
    uid, gid, group = member
    daemon = Emud(open_dir, "--group", group)
    try:
        lib = _lib(daemon.path)
        cs, _ = lib.NgMkSockNode("rootsock", False)
        lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/stream/tcp").encode())
        lib.NgSendMsg(cs, "ks", G, NGM_NAME, Name("rootks").encode())
        lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("hub", "hub", "in").encode())
        lib.NgSendMsg(cs, "hub", G, NGM_NAME, Name("roothub").encode())
        lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, _sin(0))
        lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_LISTEN, (4).to_bytes(4, "little"))
        before = set(_node_ids(lib, cs))
        verdict = as_user(uid, gid, [], lambda: _member_attempts(daemon.path))
        print(verdict)
        lines = dict(line.split(": ", 1) for line in verdict.splitlines())
        for what in ("bind", "listen", "setopt", "connect-hub", "name-root", "shutdown-root", "data-attach",
                     "mkpeer-ksocket"):
            assert lines[what].startswith("EPERM"), (what, verdict)
        assert "only root or the daemon's owner" in lines["bind"], verdict  # the message names the rule
        assert "only its own nodes" in lines["connect-hub"], verdict
        assert lines["own hub"] == "hub; listed ['hub', 'socket']", verdict  # nothing of root's
        assert before <= set(_node_ids(lib, cs))  # root's nodes untouched
        assert _ask(lib, cs, "roothub:", NGM_NODEINFO).data  # still named roothub
    finally:
        assert daemon.stop() == 0, daemon.stderr()


# --- 2. idle channels -------------------------------------------------------------------------------

HOARD = textwrap.dedent("""
    import socket, sys
    held, refused = [], 0
    for _ in range(int(sys.argv[2])):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(5)
        try:
            s.connect(sys.argv[1])
        except OSError:
            refused += 1
            s.close()
            continue
        held.append(s)
    print("held", len(held), flush=True)
    sys.stdin.readline()
""")


@pytest.mark.parametrize("limit", [None, "64"])
def test_idle_channels_of_one_client_do_not_starve_others(emud_factory, limit: Optional[str]) -> None:
    """A client holding 1000 idle connections to a daemon with 400 descriptors.

    Another client gets its socket node (with a per-client limit under the
    daemon's budget) or at worst EMFILE at once; never a hang.
    """
    args = [] if limit is None else ["--max-channels", limit]
    daemon: Emud = emud_factory(*args, prefix=["prlimit", "--nofile=400:400"])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    hoarder = subprocess.Popen([sys.executable, "-c", HOARD, daemon.path, "1000"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert hoarder.stdout is not None
        assert bounded(hoarder.stdout.readline, "the hoarder").startswith("held")
        lib = _lib(daemon.path)
        try:
            cs, ds = bounded(lambda: lib.NgMkSockNode(None, True), "another client's NgMkSockNode")
        except NetgraphError as exc:
            assert limit is None and exc.errno == errno.EMFILE and "--total-channels" in str(exc), exc
        else:
            assert NodeInfo.decode(_ask(lib, cs, ".", NGM_NODEINFO).data).type == "socket"
            lib.transport.close(ds)
            lib.transport.close(cs)
        assert "refused" in daemon.stderr()
    finally:
        hoarder.kill()
        hoarder.wait(10)
    assert daemon.stop() == 0, daemon.stderr()


def test_over_the_channel_limit_is_a_clear_errno(emud_factory) -> None:
    daemon: Emud = emud_factory("--max-channels", "3")
    lib = _lib(daemon.path)
    made = lib.NgMkSockNode(None, True)  # two channels
    lib.transport.socket(1)  # the third
    with pytest.raises(NetgraphError) as info:
        bounded(lambda: lib.transport.socket(1), "a fourth socket")
    assert info.value.errno == errno.EMFILE and "--max-channels" in str(info.value), info.value
    for fd in made:
        lib.transport.close(fd)
    assert daemon.stop() == 0, daemon.stderr()


# --- 3. a TCP flood at a listening ksocket ------------------------------------------------------------


def test_tcp_flood_at_a_listening_ksocket_is_bounded(emud_factory) -> None:
    daemon: Emud = emud_factory()
    lib = _lib(daemon.path)
    cs, _ = lib.NgMkSockNode(None, False)
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/stream/tcp").encode())
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, _sin(0))
    backlog = 4
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_LISTEN, backlog.to_bytes(4, "little"))
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
    assert select.select([cs], [], [], 10)[0]
    port = decode_sockaddr(lib.NgAllocRecvMsg(cs)[0].data).address[1]  # type: ignore[index]
    base = _nodes(daemon)
    flood: List[socket.socket] = []
    for _ in range(200):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        flood.append(s)
    time.sleep(1.0)  # let the daemon see them (a bound on what it may make, not a timing check)
    during = _nodes(daemon)
    waiting = during - base
    print(f"listen backlog {backlog}: {waiting} embryo nodes during a 200-connection flood")
    assert waiting <= 3 * backlog // 2 + 1, waiting
    for s in flood:
        s.close()
    late = socket.create_connection(("127.0.0.1", port), timeout=5)  # the next one reaps the dead
    after = _nodes_once(daemon, lambda n: n - base <= 2) - base
    print(f"after the flood: {after} embryo nodes")
    assert after <= 2, after
    late.close()
    assert daemon.stop() == 0, daemon.stderr()


# --- 4. global bounds on nodes and hooks --------------------------------------------------------------

MAKER = textwrap.dedent("""
    import sys
    from pyngraph.backend.emulated import EmulatedTransport
    from pyngraph.backend.pylib import PyLibNetgraph
    from pyngraph.abi import Mkpeer, Connect
    from pyngraph.abi.constants import NGM_GENERIC_COOKIE as G, NGM_MKPEER, NGM_CONNECT
    lib = PyLibNetgraph(EmulatedTransport(sys.argv[1], timeout=10))
    cs, _ = lib.NgMkSockNode(None, False)
    made = 0
    try:
        for i in range(int(sys.argv[2])):  # hubs looped to themselves: they outlive this process
            lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("hub", f"h{i}", "in").encode())
            lib.NgSendMsg(cs, f"h{i}", G, NGM_CONNECT, Connect(".", "a", "b").encode())
            made += 1
    except OSError as exc:
        print("made", made, "then", exc, flush=True)
    else:
        print("made", made, flush=True)
""")


def test_nodes_of_many_clients_have_a_global_bound(emud_factory) -> None:
    daemon: Emud = emud_factory("--max-nodes", "40", "--total-nodes", "100")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    outputs = []
    for _ in range(4):  # each stays under its own 40; together they would make 160
        proc = subprocess.run([sys.executable, "-c", MAKER, daemon.path, "30"], capture_output=True, text=True,
                              env=env, timeout=60)
        outputs.append(proc.stdout.strip())
    print(outputs)
    assert _nodes(daemon) <= 100
    assert "--total-nodes" in outputs[-1] and "Cannot allocate memory" in outputs[-1], outputs
    assert daemon.stop() == 0, daemon.stderr()


def test_hooks_of_one_client_are_bounded(emud_factory) -> None:
    daemon: Emud = emud_factory("--max-hooks", "50")
    lib = _lib(daemon.path)
    cs, _ = lib.NgMkSockNode(None, False)
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("hub", "h", "in").encode())
    with pytest.raises(NetgraphError) as info:
        for i in range(100):
            lib.NgSendMsg(cs, "h", G, NGM_CONNECT, Connect(".", f"a{i}", f"b{i}").encode())
    assert info.value.errno == errno.ENOMEM and "--max-hooks" in str(info.value), info.value
    assert _stat(daemon, "hooks") == 50
    lib.transport.close(cs)
    assert daemon.stop() == 0, daemon.stderr()


# --- 5. a looped hub does not slow others down ---------------------------------------------------------

ATTACKER = textwrap.dedent("""
    import socket, sys, time
    from pyngraph.backend.emulated import EmulatedTransport
    from pyngraph.backend.pylib import PyLibNetgraph
    from pyngraph.abi import Mkpeer, Connect
    from pyngraph.abi.constants import NGM_GENERIC_COOKIE as G, NGM_MKPEER, NGM_CONNECT, AF_INET
    from pyngraph.abi.nodetypes.ng_ksocket import (NGM_KSOCKET_COOKIE as K, NGM_KSOCKET_BIND, NGM_KSOCKET_LISTEN,
        NGM_KSOCKET_GETNAME)
    from pyngraph.abi.sockaddr import encode_sockaddr, decode_sockaddr
    path, attack = sys.argv[1], sys.argv[2]
    lib = PyLibNetgraph(EmulatedTransport(path, timeout=10))
    cs, ds = lib.NgMkSockNode(None, True)
    def port_of(hook):
        lib.NgSendMsg(cs, hook, K, NGM_KSOCKET_GETNAME)
        return decode_sockaddr(lib.NgAllocRecvMsg(cs)[0].data).address[1]
    if attack == "storm":  # a hub looped to itself copies a packet forever, after we exit too
        lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("hub", "h", "in").encode())
        lib.NgSendMsg(cs, "h", G, NGM_CONNECT, Connect(".", "l1", "l2").encode())
        lib.NgSendMsg(cs, "h", G, NGM_CONNECT, Connect(".", "l3", "l4").encode())
        lib.NgSendData(ds, "h", b"storm")
        print("attacking", flush=True)
        sys.exit(0)
    if attack == "flood":  # connections at a listening ksocket that nobody accepts
        lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/stream/tcp").encode())
        lib.NgSendMsg(cs, "ks", K, NGM_KSOCKET_BIND, encode_sockaddr(AF_INET, ("127.0.0.1", 0)))
        lib.NgSendMsg(cs, "ks", K, NGM_KSOCKET_LISTEN, (4).to_bytes(4, "little"))
    else:  # "stalled": a UDP flood into our data socket, which we never read
        lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/dgram/udp").encode())
        lib.NgSendMsg(cs, "ks", K, NGM_KSOCKET_BIND, encode_sockaddr(AF_INET, ("127.0.0.1", 0)))
    target = ("127.0.0.1", port_of("ks"))
    print("attacking", flush=True)
    end = time.monotonic() + float(sys.argv[3])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setblocking(False)
    while time.monotonic() < end:
        if attack == "flood":  # 2000 connections a second, each dropped at once
            for _ in range(20):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(target)
                s.close()
            time.sleep(0.01)
        else:
            try:
                udp.sendto(b"x" * 512, target)
            except BlockingIOError:
                pass
""")

ROUNDS = 25


def _round_trips(lib: PyLibNetgraph, cs: int) -> float:
    """The median of ROUNDS control round trips (NODEINFO of our own node), in seconds."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        _ask(lib, cs, ".", NGM_NODEINFO)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@pytest.mark.parametrize("attack", ["storm", "flood", "stalled"])
def test_another_clients_attack_does_not_slow_us(emud_factory, record_property, attack: str) -> None:
    """Our control round trip stays within 10x its idle figure while another client attacks.

    storm: a looped hub (its creator has exited); flood: 2000 TCP connections a
    second at a listening ksocket nobody accepts; stalled: a UDP flood into a
    data socket nobody reads.  The figures are medians of a bounded number of round trips.
    """
    daemon: Emud = emud_factory()
    lib = _lib(daemon.path)
    cs, _ = lib.NgMkSockNode(None, False)
    idle = bounded(lambda: _round_trips(lib, cs), "idle round trips")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    attacker = subprocess.Popen([sys.executable, "-c", ATTACKER, daemon.path, attack, "20"], env=env,
                                stdout=subprocess.PIPE, text=True)
    try:
        assert attacker.stdout is not None
        assert bounded(attacker.stdout.readline, "the attacker") == "attacking\n"
        if attack == "storm":
            attacker.wait(20)  # the storm outlives its creator
        else:
            time.sleep(0.5)  # let the flood build up (not a timing check)
        attacked = bounded(lambda: _round_trips(lib, cs), f"round trips during the {attack}")
    finally:
        attacker.kill()
        attacker.wait(20)
    ratio = attacked / idle
    print(f"control round trip: idle {idle * 1e3:.3f} ms, {attack} {attacked * 1e3:.3f} ms, x{ratio:.1f}")
    record_property(f"round_trip_idle_ms_{attack}", round(idle * 1e3, 3))
    record_property(f"round_trip_{attack}_ms", round(attacked * 1e3, 3))
    assert ratio < 10, f"x{ratio:.1f}"
    lib.transport.close(cs)


# --- 6. a reused pid does not inherit a charge ----------------------------------------------------------


def test_a_new_process_with_a_reused_pid_starts_afresh(emud_factory) -> None:
    """A process that reuses a dead client's pid has its own node budget.

    The pid is reused for real: the daemon and both clients run in a new pid
    namespace whose next pid the test sets (``ns_last_pid``).
    """
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) for a pid namespace")
    script = textwrap.dedent(f"""
        import os, subprocess, sys, time
        sys.path.insert(0, {str(REPO)!r})
        path = sys.argv[1]
        daemon = subprocess.Popen([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", path,
                                   "--max-nodes", "5"], stdout=subprocess.PIPE, text=True)
        assert "listening" in daemon.stdout.readline()
        maker = {MAKER!r}
        def run(last):
            if last:
                with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                    f.write(str(last - 1))
            p = subprocess.Popen([sys.executable, "-c", maker, path, "3"], stdout=subprocess.PIPE, text=True)
            out = p.communicate(timeout=60)[0].strip()
            return p.pid, out
        first = run(0)
        second = run(first[0])
        print(first[0], second[0], "|", first[1], "|", second[1], flush=True)
        daemon.terminate()
        daemon.wait(20)
    """)
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script,
                               os.path.join(tmp, "s")], capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, PYTHONPATH=str(REPO)))
    if proc.returncode and "unshare failed" in proc.stderr:
        pytest.skip(f"no pid namespace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    pids, first, second = proc.stdout.strip().split(" | ")
    a, b = pids.split()
    print(proc.stdout)
    if a != b:
        pytest.skip(f"the pid was not reused ({a} then {b})")
    assert first == "made 3", first  # socket node + 3 hubs, the hubs left behind (looped)
    assert second == "made 3", second  # same pid, new process: its own budget of 5, not 5 - 3


# --- 7. a stopped or dead daemon -------------------------------------------------------------------------


def test_a_stopped_daemon_times_out_naming_its_path(emud_factory) -> None:
    from pyngraph import backend as backends

    daemon: Emud = emud_factory()
    with backends.using("emulated", socket_path=daemon.path, timeout=1.0) as lib:
        cs, _ = lib.NgMkSockNode(None, False)
        daemon.proc.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(TimedOutError) as info:
                bounded(lambda: lib.NgSendMsg(cs, ".", G, NGM_NODEINFO), "a request to a stopped daemon")
            assert daemon.path in str(info.value) and "within 1 s" in str(info.value), info.value
        finally:
            daemon.proc.send_signal(signal.SIGCONT)
        lib.NgSendMsg(cs, ".", G, NGM_NODEINFO)  # the daemon answers again once it runs
    lib = _lib(daemon.path, timeout=1.0)
    cs, _ = lib.NgMkSockNode(None, False)
    daemon.proc.send_signal(signal.SIGSTOP)
    try:
        with pytest.raises(TimedOutError) as info:
            bounded(lambda: lib.NgSendMsg(cs, ".", G, NGM_NODEINFO), "a request to a stopped daemon")
        assert daemon.path in str(info.value) and info.value.errno == errno.ETIMEDOUT, info.value
        with pytest.raises(TimedOutError):
            bounded(lambda: lib.NgMkSockNode(None, False), "a new socket on a stopped daemon")
    finally:
        daemon.proc.send_signal(signal.SIGCONT)
    daemon.kill()


@pytest.mark.parametrize("api", ["socknode", "aio"])
def test_recv_after_the_daemon_died_says_it_has_gone(emud_factory, api: str) -> None:
    import asyncio

    from pyngraph import backend as backends
    from pyngraph.aio import AioSockNode
    from pyngraph.api.socknode import SockNode

    daemon: Emud = emud_factory()

    def died() -> None:
        daemon.proc.kill()
        daemon.proc.wait(10)

    async def aio_recv() -> None:
        async with AioSockNode() as node:
            await node.mkpeer(".", "hub", "h", "in")
            died()
            await node.recv(timeout=10)

    with backends.using("emulated", socket_path=daemon.path):
        with pytest.raises(NetgraphError) as info:
            if api == "aio":
                asyncio.run(aio_recv())
            else:
                with SockNode() as node:
                    node.mkpeer(".", "hub", "h", "in")
                    died()
                    node.recv(timeout=10)
    assert info.value.errno == errno.ECONNRESET and "has gone" in str(info.value), info.value
    assert daemon.path in str(info.value)


def test_help_lists_every_limit_with_its_default() -> None:
    from dataclasses import fields

    from pyngraph.emulator.limits import Limits

    proc = subprocess.run([sys.executable, "-m", "pyngraph.emulator.daemon", "--help"], capture_output=True,
                          text=True, timeout=30, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    for limit in fields(Limits):
        flag = "--" + limit.name.replace("_", "-")
        assert flag in text and f"(default {getattr(Limits(), limit.name)})" in text, (flag, text)


def test_accepted_clones_are_charged_to_the_listeners_client(emud_factory) -> None:
    daemon: Emud = emud_factory("--max-nodes", "3")
    lib = _lib(daemon.path)
    cs, _ = lib.NgMkSockNode(None, False)  # node 1
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/stream/tcp").encode())  # node 2
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, _sin(0))
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_LISTEN, (8).to_bytes(4, "little"))
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
    assert select.select([cs], [], [], 10)[0]
    port = decode_sockaddr(lib.NgAllocRecvMsg(cs)[0].data).address[1]  # type: ignore[index]
    peers = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    assert _nodes_once(daemon, lambda n: n >= 3) == 3
    time.sleep(0.3)  # the other two have had their chance (a bound, not a timing check)
    assert _nodes(daemon) == 3  # one clone; the others were over the client's --max-nodes
    for peer in peers:
        peer.close()
    lib.transport.close(cs)
    assert daemon.stop() == 0, daemon.stderr()


@pytest.mark.parametrize("value", ["soon", "0", "-1", "inf"])
def test_a_bad_timeout_setting_is_refused(monkeypatch, value: str) -> None:
    monkeypatch.setenv("PYNGRAPH_EMULATOR_TIMEOUT", value)
    with pytest.raises(NetgraphError) as info:
        EmulatedTransport("/nonexistent/emud.sock")
    assert info.value.errno == errno.EINVAL and "PYNGRAPH_EMULATOR_TIMEOUT" in str(info.value)


def test_the_timeout_setting_is_used(monkeypatch) -> None:
    monkeypatch.setenv("PYNGRAPH_EMULATOR_TIMEOUT", "2.5")
    assert EmulatedTransport("/nonexistent/emud.sock").timeout == 2.5
    assert EmulatedTransport("/nonexistent/emud.sock", timeout=0.5).timeout == 0.5  # the argument wins
    with pytest.raises(NetgraphError) as info:
        EmulatedTransport("/nonexistent/emud.sock", timeout=0)
    assert info.value.errno == errno.EINVAL and "timeout 0" in str(info.value)


def test_accept_replies_lost_to_a_full_control_socket_are_counted(emud_factory) -> None:
    from pyngraph.abi.nodetypes.ng_hub import NGM_HUB_COOKIE

    daemon: Emud = emud_factory()
    lib = _lib(daemon.path)
    cs, _ = lib.NgMkSockNode(None, False)
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("ksocket", "ks", "inet/stream/tcp").encode())
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_BIND, _sin(0))
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_LISTEN, (8).to_bytes(4, "little"))
    lib.NgSendMsg(cs, "ks", NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME)
    assert select.select([cs], [], [], 10)[0]
    port = decode_sockaddr(lib.NgAllocRecvMsg(cs)[0].data).address[1]  # type: ignore[index]
    filler = bytes(16000)
    for _ in range(200):  # messages passed up to us, never read: our control socket fills
        try:
            lib.NgSendMsg(cs, ".", NGM_HUB_COOKIE, 99, filler)
        except NetgraphError:
            break
    peers = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(3)]
    deadline = time.monotonic() + 10
    while "3 lost so far" not in daemon.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "ACCEPT reply for clone" in daemon.stderr() and "3 lost so far" in daemon.stderr(), daemon.stderr()
    for peer in peers:
        peer.close()
    lib.transport.close(cs)
    assert daemon.stop() == 0, daemon.stderr()
