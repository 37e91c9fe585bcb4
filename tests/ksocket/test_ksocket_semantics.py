"""Every row of the socket-semantics table (ks_semantics.CASES), on a ksocket and on raw Linux.

The emulator must give FreeBSD's result (or the row's stated difference);
the raw Linux column is checked too, so the table cannot claim what Linux
does not do.  docs/SOCKETS.md must hold the table the cases make.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Any, Optional

import pytest
from ks_semantics import CASES, Case, Ports, fbsd_errno_name, format_address, format_ints, host_errno_name, markdown
from ks_support import User, unpack_i32

from pyngraph.abi import Sockopt, constants as c, decode_sockaddr, encode_sockaddr
from pyngraph.abi.nodetypes import ng_ksocket
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_ACCEPT, NGM_KSOCKET_BIND, NGM_KSOCKET_CONNECT, NGM_KSOCKET_GETNAME, NGM_KSOCKET_GETPEERNAME,
    NGM_KSOCKET_LISTEN,
)
from pyngraph.abi.hookname import parse_hookname
from pyngraph.abi.translate import family_to_host, sockopt_to_host
from pyngraph.errors import NetgraphError

DOC = Path(__file__).resolve().parents[2] / "docs" / "SOCKETS.md"
BEGIN, END = "<!-- table: generated from tests/ksocket/ks_semantics.py -->", "<!-- end of table -->"


def _address(family: int, host: str, port: Any, tmpdir: str) -> Any:
    if family == c.AF_LOCAL:
        return port.replace("{DIR}", tmpdir) if isinstance(port, str) else port
    return (host, port)


class Emulated:
    """The case's program on a ksocket node (our hook "ks")."""

    def __init__(self, user: User, case: Case, ports: Ports, tmpdir: str) -> None:
        self.user, self.case, self.ports, self.tmpdir = user, case, ports, tmpdir
        self.family = parse_hookname(case.hook).family
        user.ksocket(case.hook)

    def _sockaddr(self, host: str, port: Any) -> bytes:
        return encode_sockaddr(self.family, _address(self.family, host, self.ports.port(port), self.tmpdir))

    def _ask(self, cmd: int, args: bytes = b"", path: str = ".:ks") -> str:
        try:
            self.user.send(path, cmd, args)
        except NetgraphError as exc:
            assert exc.fbsd_errno is not None
            if exc.fbsd_errno != c.Errno.EINPROGRESS:
                return fbsd_errno_name(exc.fbsd_errno)
            msg, _ = self.user.recv()  # the CONNECT reply
            error = unpack_i32(msg.data)
            return "EINPROGRESS, then " + (fbsd_errno_name(error) if error else "ok")
        return "ok"

    def run(self, step: tuple) -> str:
        op = step[0]
        if op == "bind":
            return self._ask(NGM_KSOCKET_BIND, self._sockaddr(step[1], step[2]))
        if op == "bind_raw":
            return self._ask(NGM_KSOCKET_BIND, step[1])
        if op == "rebind_other":
            self.user.ksocket(self.case.hook, hook="ks2")
            return self._ask(NGM_KSOCKET_BIND, self._sockaddr("", step[1]), ".:ks2")
        if op == "connect":
            return self._ask(NGM_KSOCKET_CONNECT, self._sockaddr(step[1], step[2]))
        if op == "connect_raw":
            return self._ask(NGM_KSOCKET_CONNECT, step[1])
        if op == "listen":
            return self._ask(NGM_KSOCKET_LISTEN, step[1].to_bytes(4, "little", signed=True))
        if op == "accept":
            return self._ask(NGM_KSOCKET_ACCEPT)
        if op == "setopt":
            return self._ask(ng_ksocket.NGM_KSOCKET_SETOPT, Sockopt(step[1], step[2], step[3]).encode())
        if op == "getopt":
            try:
                reply = self.user.getopt(".:ks", step[1], step[2])
            except NetgraphError as exc:
                assert exc.fbsd_errno is not None
                return fbsd_errno_name(exc.fbsd_errno)
            return format_ints(Sockopt.decode(reply.data).value)
        if op in ("getname", "getpeername"):
            cmd = NGM_KSOCKET_GETNAME if op == "getname" else NGM_KSOCKET_GETPEERNAME
            try:
                data = self.user.ask(".:ks", cmd).data
            except NetgraphError as exc:
                assert exc.fbsd_errno is not None
                return fbsd_errno_name(exc.fbsd_errno)
            return format_address(decode_sockaddr(data).address, self.ports.values, self.tmpdir)
        raise AssertionError(f"unknown step {step!r}")


class RawLinux:
    """The case's program on a plain Linux socket of the same kind."""

    def __init__(self, case: Case, ports: Ports, tmpdir: str) -> None:
        spec = parse_hookname(case.hook)
        self.family = spec.family
        self.args = (family_to_host(spec.family), spec.type, spec.protocol)
        self.sock = socket.socket(*self.args)
        self.sock.setblocking(True)  # (with a timeout CPython reports a repeated connect as success)
        self.others = [self.sock]
        self.ports, self.tmpdir = ports, tmpdir

    def _address(self, host: str, port: Any) -> Any:
        return _address(self.family, host, self.ports.port(port), self.tmpdir)

    def run(self, step: tuple) -> str:
        op, sock = step[0], self.sock
        try:
            if op == "bind":
                sock.bind(self._address(step[1], step[2]))
            elif op == "rebind_other":
                other = socket.socket(*self.args)
                self.others.append(other)
                other.bind(self._address("", step[1]))
            elif op == "connect":
                sock.connect(self._address(step[1], step[2]))
            elif op == "listen":
                sock.listen(step[1])
            elif op == "setopt":
                level, name = sockopt_to_host(step[1], step[2])
                sock.setsockopt(level, name, step[3])
            elif op == "getopt":
                level, name = sockopt_to_host(step[1], step[2])
                return format_ints(sock.getsockopt(level, name, 256))
            elif op == "getname":
                return format_address(sock.getsockname(), self.ports.values, self.tmpdir)
            elif op == "getpeername":
                return format_address(sock.getpeername(), self.ports.values, self.tmpdir)
            else:
                raise AssertionError(f"step {step!r} has no raw Linux form")
        except OSError as exc:
            return host_errno_name(exc.errno or errno.EINVAL)
        return "ok"

    def close(self) -> None:
        for sock in self.others:
            sock.close()


def _run(driver: Any, case: Case) -> str:
    result = "ok"
    for number, step in enumerate(case.steps):
        result = driver.run(step)
        if number < len(case.steps) - 1 and result not in ("ok", "EINPROGRESS, then ok"):
            return f"step {number + 1} {step[0]}: {result}"
    return result


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.ident)
def test_the_emulator_gives_freebsds_result(case: Case, user: User, tmp_path: Path) -> None:
    ports = Ports(case)
    try:
        result = _run(Emulated(user, case, ports, str(tmp_path)), case)
    finally:
        ports.close()
    assert result == (case.emulated or case.freebsd)


@pytest.mark.parametrize("case", [case for case in CASES if not case.linux.startswith("~")],
                         ids=lambda case: case.ident)
def test_raw_linux_gives_the_linux_column(case: Case, tmp_path: Path) -> None:
    ports = Ports(case)
    raw: Optional[RawLinux] = None
    try:
        raw = RawLinux(case, ports, str(tmp_path))
        result = _run(raw, case)
    finally:
        if raw is not None:
            raw.close()
        ports.close()
    assert result == case.linux


def test_every_difference_says_why() -> None:
    assert [case.ident for case in CASES if case.emulated and not case.note] == []
    assert len({case.ident for case in CASES}) == len(CASES)


def test_docs_hold_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN) + 1, text.index(END)
    assert text[start:end] == markdown(), "docs/SOCKETS.md is stale: PYTHONPATH=. python3 tests/ksocket/ks_semantics.py"
