"""Security of pyngraph-emud: socket file modes, SO_PEERCRED peer checks, per-client limits."""

from __future__ import annotations

import errno
import grp
import os
import select
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest

from rob_support import Emud, as_user
from pyngraph.abi import Mkpeer, NgMesg
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_NODEINFO, NGM_SHUTDOWN
from pyngraph.abi.nodetypes.ng_hub import NGM_HUB_COOKIE
from pyngraph.backend.emulated import EmulatedTransport
from pyngraph.backend.pylib import PyLibNetgraph
from pyngraph.abi.message import HEADER_SIZE
from pyngraph.emulator.transport import SOCKBUF
from pyngraph.errors import NetgraphError

NOBODY = 65534
G = NGM_GENERIC_COOKIE


def _a_group() -> grp.struct_group:
    for name in ("daemon", "adm", "users", "staff"):
        try:
            group = grp.getgrnam(name)
        except KeyError:
            continue
        if group.gr_gid not in (0, NOBODY):
            return group
    pytest.skip("no group other than root to test --group with")


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A directory other users can traverse (pytest's tmp_path is 0700)."""
    path = Path(tempfile.mkdtemp(prefix="pyngraph-sec-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_socket_file_is_0600_and_ours(emud_factory) -> None:
    daemon: Emud = emud_factory()
    st = os.stat(daemon.path)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    assert st.st_uid == os.geteuid()
    assert daemon.stop() == 0


def test_group_makes_it_0660_with_that_group(emud_factory) -> None:
    group = _a_group()
    daemon: Emud = emud_factory("--group", group.gr_name)
    st = os.stat(daemon.path)
    assert stat.S_IMODE(st.st_mode) == 0o660 and st.st_gid == group.gr_gid
    assert daemon.stop() == 0


def test_unknown_group_is_refused_at_start(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", str(tmp_path / "s"),
                           "--group", "no-such-group-pyngraph"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 64 and "no group named 'no-such-group-pyngraph'" in proc.stderr
    assert not (tmp_path / "s").exists()


def _try(path: str) -> str:
    """Make a socket node on the daemon at ``path`` and ask it NODEINFO; the verdict."""
    lib = PyLibNetgraph(EmulatedTransport(path))
    try:
        cs, _ = lib.NgMkSockNode(None, False)
        lib.NgSendMsg(cs, ".", G, NGM_NODEINFO)
        if not select.select([cs], [], [], 10)[0]:
            return "no reply"
        lib.NgRecvMsg(cs, 200)
    except OSError as exc:
        return f"{errno.errorcode.get(exc.errno or 0)} | {exc}"
    return "admitted"


def _try_ksocket(path: str, node_type: str = "ksocket", peerhook: str = "inet/dgram/udp") -> str:
    """Make a socket node on the daemon at ``path`` and a ``node_type`` node beside it; the verdict."""
    lib = PyLibNetgraph(EmulatedTransport(path))
    try:
        cs, _ = lib.NgMkSockNode(None, False)
        lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer(node_type, "ks", peerhook).encode())
    except OSError as exc:
        return f"{errno.errorcode.get(exc.errno or 0)} | {exc}"
    return "admitted"


def _try_iface(path: str) -> str:
    """The same with an iface node (its TUN device would be made with the daemon's rights)."""
    return _try_ksocket(path, "iface", "inet")


def _as_user(path: str, uid: int, gid: int, extra_groups: Optional[List[int]] = None,
             probe: Callable[[str], str] = _try) -> str:
    return as_user(uid, gid, extra_groups, lambda: probe(path))


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="a second uid needs root (setuid in a forked child)")


@needs_root
def test_other_user_cannot_reach_the_socket(open_dir: Path) -> None:
    daemon = Emud(open_dir)
    try:
        verdict = _as_user(daemon.path, NOBODY, NOBODY)
        assert verdict.startswith("EACCES"), verdict  # the 0600 file mode stops it at connect()
    finally:
        assert daemon.stop() == 0


@needs_root
def test_other_user_is_refused_by_peer_check(open_dir: Path) -> None:
    daemon = Emud(open_dir)
    try:
        os.chmod(daemon.path, 0o666)  # an admin's mistake: the peer check still holds
        verdict = _as_user(daemon.path, NOBODY, NOBODY)
        assert verdict.startswith("EPERM") and "NgMkSockNode" in verdict, verdict
        assert "refused pid" in daemon.stderr() and f"uid {NOBODY}" in daemon.stderr()
        assert _as_user(daemon.path, 0, 0) == "admitted"  # root is admitted
        assert "refused 1 " in daemon.stats()
    finally:
        assert daemon.stop() == 0


@needs_root
def test_group_members_are_admitted_others_not(open_dir: Path) -> None:
    group = _a_group()
    daemon = Emud(open_dir, "--group", group.gr_name)
    try:
        assert _as_user(daemon.path, NOBODY, group.gr_gid) == "admitted"
        assert _as_user(daemon.path, NOBODY, NOBODY, [group.gr_gid]) == "admitted"  # supplementary group
        # ...but a ksocket would act with the daemon's rights: only root or the owner gets one
        assert _as_user(daemon.path, NOBODY, group.gr_gid, probe=_try_ksocket).startswith("EPERM")
        assert _as_user(daemon.path, NOBODY, group.gr_gid, probe=_try_iface).startswith("EPERM")
        assert _try_ksocket(daemon.path) == "admitted"
        assert _as_user(daemon.path, NOBODY, NOBODY).startswith("EACCES")
        os.chmod(daemon.path, 0o666)
        assert _as_user(daemon.path, NOBODY, NOBODY).startswith("EPERM")
    finally:
        assert daemon.stop() == 0


# --- limits -------------------------------------------------------------------------------


def test_node_limit_per_client(emud_factory) -> None:
    daemon: Emud = emud_factory("--max-nodes", "3")
    lib = daemon.lib()
    cs, _ = lib.NgMkSockNode(None, False)
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("hub", "h", "x").encode())
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("echo", "e", "x").encode())
    with pytest.raises(NetgraphError) as info:
        lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("tee", "t", "left").encode())
    assert info.value.errno == errno.ENOMEM and "NgSendMsg" in str(info.value)
    with pytest.raises(NetgraphError) as info:
        lib.NgMkSockNode(None, False)
    assert info.value.errno == errno.ENOMEM
    # Another client (process) has its own budget.
    assert _as_user(daemon.path, os.geteuid(), os.getegid()) == "admitted"
    lib.NgSendMsg(cs, "h", G, NGM_SHUTDOWN)  # a node freed: room for one more
    lib.NgSendMsg(cs, ".", G, NGM_MKPEER, Mkpeer("tee", "t", "left").encode())
    assert "clients 1 nodes 3 " in daemon.stats()
    lib.transport.close(cs)
    assert "clients 0 nodes 0 " in daemon.stats()
    assert daemon.stop() == 0, daemon.stderr()


def test_message_size_limit(emud_factory) -> None:
    daemon: Emud = emud_factory("--max-msg", "1000")
    lib = daemon.lib()
    cs, _ = lib.NgMkSockNode(None, False)
    lib.NgSendMsg(cs, ".", NGM_HUB_COOKIE, 99, bytes(1000 - HEADER_SIZE))  # passed up to us: accepted
    assert len(NgMesg.encode(lib.NgRecvMsg(cs, 2000)[0])) == 1000
    with pytest.raises(NetgraphError) as info:
        lib.NgSendMsg(cs, ".", NGM_HUB_COOKIE, 99, bytes(1001 - HEADER_SIZE))
    assert info.value.errno == errno.EMSGSIZE
    lib.transport.close(cs)
    assert daemon.stop() == 0, daemon.stderr()


def test_queued_bytes_limit(emud_factory) -> None:
    per_socket = 2 * SOCKBUF  # Linux doubles SO_SNDBUF; that is what a socket may queue
    daemon: Emud = emud_factory("--max-queued", str(3 * per_socket))
    lib = daemon.lib()
    first = lib.NgMkSockNode(None, True)  # two sockets
    with pytest.raises(NetgraphError) as info:
        lib.NgMkSockNode(None, True)  # the fourth socket is over the budget
    assert info.value.errno == errno.ENOBUFS
    for fd in first:
        lib.transport.close(fd)
    second = lib.NgMkSockNode(None, True)  # released: room again
    for fd in second:
        lib.transport.close(fd)
    assert daemon.stop() == 0, daemon.stderr()


@pytest.mark.parametrize("flag,value", [("--max-nodes", "-1"), ("--max-msg", "lots"), ("--max-queued", "1x")])
def test_bad_limit_flags(tmp_path: Path, flag: str, value: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pyngraph.emulator.daemon", "--socket", str(tmp_path / "s"),
                           flag, value], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 64 and flag in proc.stderr
