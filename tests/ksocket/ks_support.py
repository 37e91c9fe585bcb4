"""Helpers of the ksocket tests: a user socket node with ksocket shortcuts.

Every wait on a descriptor is bounded by ``WAIT`` so that a missing reply
fails the test with a message instead of hanging it.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import time
from typing import Optional, Tuple

import pytest

from pyngraph import backend as backends, libnetgraph as ng
from pyngraph.abi import AcceptReply, Mkpeer, NgMesg, NodeInfo, Rmhook, Sockopt, encode_sockaddr
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_MKPEER, NGM_NODEINFO, NGM_RMHOOK, NGM_SHUTDOWN
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_ACCEPT, NGM_KSOCKET_BIND, NGM_KSOCKET_COOKIE, NGM_KSOCKET_GETNAME, NGM_KSOCKET_GETOPT,
    NGM_KSOCKET_SETOPT,
)
from pyngraph.emulator.kernel import Kernel

K = NGM_KSOCKET_COOKIE
G = NGM_GENERIC_COOKIE
WAIT = 10.0  # seconds before a wait is declared hung (not a timing assertion)
_I32 = struct.Struct("=i")


def wait_readable(fd: int, what: str) -> None:
    if not select.select([fd], [], [], WAIT)[0]:
        pytest.fail(f"nothing to read on the {what} within {WAIT} s")


def readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


class User:
    """One socket node of the test (control + data socket) and ksocket shortcuts."""

    def __init__(self) -> None:
        self.cs, ds = ng.NgMkSockNode(None, True)
        assert ds is not None
        self.ds = ds

    # messages
    def send(self, path: str, cmd: int, args: bytes = b"", cookie: int = K) -> int:
        return ng.NgSendMsg(self.cs, path, cookie, cmd, args)

    def recv(self) -> Tuple[NgMesg, str]:
        wait_readable(self.cs, "control socket")
        return ng.NgAllocRecvMsg(self.cs)

    def ask(self, path: str, cmd: int, args: bytes = b"", cookie: int = K) -> NgMesg:
        token = self.send(path, cmd, args, cookie)
        msg, _ = self.recv()
        assert msg.is_response and msg.token == token and msg.cmd == cmd
        return msg

    def nodeinfo(self, path: str) -> NodeInfo:
        return NodeInfo.decode(self.ask(path, NGM_NODEINFO, cookie=G).data)

    def barrier(self) -> None:
        """Round trip to our own node: replies queued before it have arrived after it."""
        self.nodeinfo(".")

    def no_message(self) -> bool:
        self.barrier()
        return not readable(self.cs)

    # graph
    def mkpeer(self, path: str, type_name: str, ourhook: str, peerhook: str) -> None:
        self.send(path, NGM_MKPEER, Mkpeer(type_name, ourhook, peerhook).encode(), cookie=G)

    def ksocket(self, hookname: str, hook: str = "ks") -> int:
        """A ksocket node on our hook ``hook``; its node ID."""
        self.mkpeer(".", "ksocket", hook, hookname)
        return self.nodeinfo(f".:{hook}").id

    def rmhook(self, hook: str) -> None:
        self.send(".", NGM_RMHOOK, Rmhook(hook).encode(), cookie=G)

    def shutdown(self, path: str) -> None:
        self.send(path, NGM_SHUTDOWN, cookie=G)

    # ksocket commands
    def bind(self, path: str, family: int, address: object) -> None:
        self.send(path, NGM_KSOCKET_BIND, encode_sockaddr(family, address))

    def getname(self, path: str) -> bytes:
        return self.ask(path, NGM_KSOCKET_GETNAME).data

    def getopt(self, path: str, level: int, name: int) -> NgMesg:
        return self.ask(path, NGM_KSOCKET_GETOPT, Sockopt(level, name).encode())

    def setopt(self, path: str, level: int, name: int, value: bytes) -> None:
        self.send(path, NGM_KSOCKET_SETOPT, Sockopt(level, name, value).encode())

    def accept_reply(self) -> Tuple[AcceptReply, str, NgMesg]:
        msg, sender = self.recv()
        assert msg.is_response and msg.cmd == NGM_KSOCKET_ACCEPT and msg.typecookie == K
        return AcceptReply.decode(msg.data), sender, msg

    # data
    def send_data(self, hook: Optional[str], data: bytes) -> None:
        ng.NgSendData(self.ds, hook, data)

    def recv_data(self) -> Tuple[bytes, str]:
        wait_readable(self.ds, "data socket")
        return ng.NgRecvData(self.ds, 70000)

    def raise_rcvbuf(self, size: int = 1536 * 1024) -> None:
        """SO_RCVBUF of our data socket (FreeBSD's net.graph.recvspace is 20 KiB): bulk
        stream data arriving faster than we read would be dropped, on FreeBSD as here."""
        with socket.socket(fileno=os.dup(self.ds)) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) < size:  # Linux: rmem_max
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUFFORCE, size)

    def readable_data(self) -> bool:
        return readable(self.ds)

    def close(self) -> None:
        transport = backends.get_backend().transport
        transport.close(self.ds)
        transport.close(self.cs)


def i32(value: int) -> bytes:
    return _I32.pack(value)


def unpack_i32(data: bytes) -> int:
    return _I32.unpack(data)[0]


def node_alive(kernel: Kernel, node_id: int) -> bool:
    return kernel.call(lambda: kernel.node_by_id(node_id) is not None)


def wait_for(predicate, what: str) -> None:
    """Poll ``predicate`` until true; fail after ``WAIT`` seconds (a hang guard)."""
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {WAIT} s")
        time.sleep(0.005)


def ksocket_nodes(kernel: Kernel) -> dict:
    """ID -> number of hooks of every ksocket node."""
    return kernel.call(lambda: {n.id: n.numhooks for n in kernel.nodes.values()
                                if n.type_name == "ksocket" and n.valid})


def free_port() -> int:
    """A loopback TCP port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
