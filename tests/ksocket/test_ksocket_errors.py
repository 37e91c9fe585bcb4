"""Every error of ng_ksocket's tables: hook grammar, arglen checks, preconditions, options."""

from __future__ import annotations

import errno
import socket
import struct

import pytest
from ks_support import K, User, i32, unpack_i32

from pyngraph.abi import Connect, Sockopt, decode_sockaddr, encode_sockaddr
from pyngraph.abi.constants import (
    AF_INET, AF_INET6, NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_TEXT_CONFIG, NGM_TEXT_STATUS, SO_DOMAIN,
    SO_ERROR, SO_RCVBUF, SO_REUSEADDR, SO_TYPE, SOL_SOCKET, Errno,
)
from pyngraph.abi.nodetypes.ng_ksocket import (
    NGM_KSOCKET_ACCEPT, NGM_KSOCKET_BIND, NGM_KSOCKET_CONNECT, NGM_KSOCKET_GETNAME, NGM_KSOCKET_GETOPT,
    NGM_KSOCKET_GETPEERNAME, NGM_KSOCKET_LISTEN, NGM_KSOCKET_SETOPT,
)
from pyngraph.emulator.kernel import Kernel
from pyngraph.emulator.node import MsgItem
from pyngraph.abi.message import NgMesg
from pyngraph.errors import NetgraphError

SIN_ANY = encode_sockaddr(AF_INET, ("127.0.0.1", 0))


def refused(fbsd: int, fn, *args) -> NetgraphError:
    """Run ``fn(*args)``; it must fail with FreeBSD errno ``fbsd`` (host errno of the same name)."""
    with pytest.raises(NetgraphError) as info:
        fn(*args)
    assert info.value.fbsd_errno == fbsd
    assert info.value.errno == getattr(errno, Errno(fbsd).name)
    return info.value


@pytest.mark.parametrize("name,fbsd", [
    ("inet", Errno.EINVAL),
    ("inet/dgram", Errno.EINVAL),
    ("inet6/dgram/udp", Errno.EINVAL),  # protocol aliases exist for inet only
    ("INET/dgram/udp", Errno.EINVAL),
    ("inet/dgram/udp/x", Errno.EINVAL),
    ("inet/dgram/0x11", Errno.EINVAL),
    ("foo/dgram/udp", Errno.EINVAL),
    ("30/dgram/0", Errno.EAFNOSUPPORT),  # atm: no such domain
    ("//", Errno.EAFNOSUPPORT),  # empty components are 0
    ("inet/dgram/6", Errno.EPROTONOSUPPORT),
])
def test_hook_name_errors(user: User, name: str, fbsd: int) -> None:
    refused(fbsd, user.ksocket, name)
    assert user.nodeinfo(".").hooks == 0  # the failed MKPEER left nothing behind


@pytest.mark.parametrize("name", ["inet/dgram/", "2/2/17", "inet/stream/tcp", "inet6/dgram/0", "local/seqpacket/0"])
def test_hook_names_accepted(user: User, name: str) -> None:
    user.ksocket(name)
    assert user.nodeinfo(".:ks").type == "ksocket"


def test_second_hook_is_eisconn(user: User) -> None:
    user.ksocket("inet/dgram/udp")
    refused(Errno.EISCONN, user.send, ".", NGM_CONNECT, Connect(".:ks", "second", "inet/dgram/0").encode(),
            NGM_GENERIC_COOKIE)


def test_enxio_before_a_hook_exists(kernel: Kernel) -> None:
    # Only the kernel can hold a ksocket node without a hook (MKPEER always makes one).
    def ask(cmd: int, data: bytes) -> int:
        node = kernel.make_node("ksocket")
        try:
            return kernel.deliver_msg(node, MsgItem(NgMesg(cmd, K, data), 0))
        finally:
            kernel.rmnode(node)

    for cmd, data in ((NGM_KSOCKET_BIND, SIN_ANY), (NGM_KSOCKET_LISTEN, i32(1)), (NGM_KSOCKET_ACCEPT, b""),
                      (NGM_KSOCKET_CONNECT, SIN_ANY), (NGM_KSOCKET_GETNAME, b""),
                      (NGM_KSOCKET_GETPEERNAME, b""), (NGM_KSOCKET_SETOPT, bytes(12)),
                      (NGM_KSOCKET_GETOPT, bytes(8))):
        assert kernel.call(ask, cmd, data) == Errno.ENXIO, cmd
    # The argument checks come first.
    assert kernel.call(ask, NGM_KSOCKET_BIND, b"\x10") == Errno.EINVAL
    assert kernel.call(ask, NGM_KSOCKET_GETOPT, bytes(12)) == Errno.EINVAL


@pytest.mark.parametrize("cmd,args", [
    (NGM_KSOCKET_BIND, b""),
    (NGM_KSOCKET_BIND, b"\x10"),  # shorter than the sockaddr header
    (NGM_KSOCKET_BIND, SIN_ANY[:15]),  # sa_len 16 but only 15 bytes
    (NGM_KSOCKET_BIND, bytes((15,)) + SIN_ANY[1:15]),  # inet needs sin_len 16
    (NGM_KSOCKET_CONNECT, b"\x02"),
    (NGM_KSOCKET_CONNECT, bytes((20,)) + SIN_ANY[1:]),
    (NGM_KSOCKET_LISTEN, b"\0\0\0"),
    (NGM_KSOCKET_LISTEN, bytes(8)),
    (NGM_KSOCKET_ACCEPT, b"\0"),
    (NGM_KSOCKET_GETNAME, b"\0"),
    (NGM_KSOCKET_GETPEERNAME, b"\0\0\0\0"),
    (NGM_KSOCKET_SETOPT, bytes(7)),
    (NGM_KSOCKET_GETOPT, bytes(7)),
    (NGM_KSOCKET_GETOPT, bytes(12)),  # GETOPT takes level and name only
    (99, b""),  # unknown command
])
def test_argument_checks_are_einval(user: User, cmd: int, args: bytes) -> None:
    user.ksocket("inet/stream/tcp")
    refused(Errno.EINVAL, user.send, ".:ks", cmd, args)
    assert user.no_message()


@pytest.mark.parametrize("cookie,cmd", [(NGM_GENERIC_COOKIE, NGM_TEXT_STATUS), (NGM_GENERIC_COOKIE, NGM_TEXT_CONFIG),
                                        (0x12345678, 1)])
def test_other_cookies_are_einval(user: User, cookie: int, cmd: int) -> None:
    user.ksocket("inet/dgram/udp")
    refused(Errno.EINVAL, user.send, ".:ks", cmd, b"", cookie)


def test_protocol_errors(user: User) -> None:
    user.ksocket("inet/dgram/udp")
    refused(Errno.ENOTCONN, user.send, ".:ks", NGM_KSOCKET_GETPEERNAME)
    refused(Errno.EOPNOTSUPP, user.send, ".:ks", NGM_KSOCKET_LISTEN, i32(5))
    refused(Errno.EINVAL, user.send, ".:ks", NGM_KSOCKET_ACCEPT)  # not listening
    refused(Errno.EAFNOSUPPORT, user.send, ".:ks", NGM_KSOCKET_BIND, encode_sockaddr(AF_INET6, ("::1", 0)))
    refused(Errno.EADDRNOTAVAIL, user.send, ".:ks", NGM_KSOCKET_BIND, encode_sockaddr(AF_INET, ("192.0.2.1", 0)))
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        busy.bind(("127.0.0.1", 0))
        refused(Errno.EADDRINUSE, user.send, ".:ks", NGM_KSOCKET_BIND, encode_sockaddr(AF_INET, busy.getsockname()))
    finally:
        busy.close()
    refused(Errno.ENOPROTOOPT, user.send, ".:ks", NGM_KSOCKET_GETOPT, Sockopt(SOL_SOCKET, 0x1009).encode())
    refused(Errno.EINVAL, user.send, ".:ks", NGM_KSOCKET_SETOPT, Sockopt(SOL_SOCKET, SO_REUSEADDR, b"\1").encode())
    assert user.no_message()


def test_accept_pending_is_ealready(user: User) -> None:
    user.ksocket("inet/stream/tcp")
    user.bind(".:ks", AF_INET, ("127.0.0.1", 0))
    user.send(".:ks", NGM_KSOCKET_LISTEN, i32(1))
    user.send(".:ks", NGM_KSOCKET_ACCEPT)
    refused(Errno.EALREADY, user.send, ".:ks", NGM_KSOCKET_ACCEPT)
    refused(Errno.EOPNOTSUPP, user.send, ".:ks", NGM_KSOCKET_CONNECT, SIN_ANY)  # listening


def test_setopt_getopt(user: User) -> None:
    user.ksocket("inet/stream/tcp")
    reply = user.getopt(".:ks", SOL_SOCKET, SO_REUSEADDR)
    assert Sockopt.decode(reply.data) == (0, 0, i32(0))  # FreeBSD leaves level and name zero
    assert len(reply.data) == 12
    user.setopt(".:ks", SOL_SOCKET, SO_REUSEADDR, i32(1))
    assert unpack_i32(Sockopt.decode(user.getopt(".:ks", SOL_SOCKET, SO_REUSEADDR).data).value) != 0
    user.setopt(".:ks", SOL_SOCKET, SO_RCVBUF, i32(65536))
    # Linux reports twice what was set; FreeBSD reports what was set, and so does the node.
    assert unpack_i32(Sockopt.decode(user.getopt(".:ks", SOL_SOCKET, SO_RCVBUF).data).value) == 65536
    assert unpack_i32(Sockopt.decode(user.getopt(".:ks", SOL_SOCKET, SO_TYPE).data).value) == 1
    assert unpack_i32(Sockopt.decode(user.getopt(".:ks", SOL_SOCKET, SO_ERROR).data).value) == 0


def test_getopt_translates_domain(user: User) -> None:
    user.ksocket("inet6/dgram/17")
    value = Sockopt.decode(user.getopt(".:ks", SOL_SOCKET, SO_DOMAIN).data).value
    assert unpack_i32(value) == AF_INET6 == 28  # Linux says 10


def test_reuseaddr_lets_a_second_listener_bind(users, user: User) -> None:
    # With SO_REUSEADDR set through the node, a TIME_WAIT-free rebind works like on FreeBSD.
    user.ksocket("inet/stream/tcp")
    user.setopt(".:ks", SOL_SOCKET, SO_REUSEADDR, i32(1))
    user.bind(".:ks", AF_INET, ("127.0.0.1", 0))
    port = decode_sockaddr(user.getname(".:ks")).address[1]
    other = User()
    users.append(other)
    other.ksocket("inet/stream/tcp")
    other.setopt(".:ks", SOL_SOCKET, SO_REUSEADDR, i32(1))
    other.bind(".:ks", AF_INET, ("127.0.0.1", port))  # neither listens: both binds succeed
    assert decode_sockaddr(other.getname(".:ks")).address[1] == port
    third = User()
    users.append(third)
    third.ksocket("inet/stream/tcp")
    refused(Errno.EADDRINUSE, third.send, ".:ks", NGM_KSOCKET_BIND, encode_sockaddr(AF_INET, ("127.0.0.1", port)))


def test_udp_connect_then_getpeername(user: User) -> None:
    user.ksocket("inet/dgram/udp")
    user.send(".:ks", NGM_KSOCKET_CONNECT, encode_sockaddr(AF_INET, ("127.0.0.1", 9)))
    peer = user.ask(".:ks", NGM_KSOCKET_GETPEERNAME).data
    assert peer == encode_sockaddr(AF_INET, ("127.0.0.1", 9)) and struct.unpack("!H", peer[2:4])[0] == 9
