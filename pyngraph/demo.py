"""``python -m pyngraph demo``: a UDP echo service made of netgraph nodes, on the emulated kernel.

The graph (node names in quotes)::

    "demo" (socket) l2r ---- left2right
                    r2l ---- right2left  "tee" (tee) left ---- echo "echo" (echo)
                                                     right ---- inet/dgram/udp "udp" (ksocket)

A datagram from the wire enters "udp", crosses the tee to "echo", which
reflects it; ksocket's source-address tag travels with it, so "udp" sends it
back to whoever sent it.  The tee's taps copy each direction to the demo's
own socket node.  A plain Python UDP socket plays the client.
"""

from __future__ import annotations

import os
import select
import socket
import sys
from typing import List, Optional, TextIO, Tuple

from . import backend
from . import libnetgraph as ng
from .abi import Connect, HookList, Mkpeer, Name, NameList, NgMesg, decode_sockaddr
from .abi.constants import (
    NGM_CONNECT, NGM_GENERIC_COOKIE, NGM_LISTHOOKS, NGM_LISTNODES, NGM_MKPEER, NGM_NAME, NGM_SHUTDOWN,
)

WAIT = 3.0  # seconds to wait for any one reply or datagram
MESSAGES = (b"hello, netgraph", b"ping 2", b"a third datagram, a little longer than the others")
MADE = ("udp:", "echo:", "tee:")  # the nodes build() makes; they outlive our socket node unless shut down


class DemoError(Exception):
    """The demo could not do one of its steps."""


def _where() -> str:
    from .backend import describe_graph

    return describe_graph().split(": ", 1)[1]


def _recv_msg(cs: int) -> Tuple[NgMesg, str]:
    if not select.select([cs], [], [], WAIT)[0]:
        raise DemoError(f"no reply on the control socket within {WAIT} s")
    return ng.NgAllocRecvMsg(cs)


def _ask(cs: int, path: str, cmd: int) -> NgMesg:
    token = ng.NgSendMsg(cs, path, NGM_GENERIC_COOKIE, cmd)
    msg, _ = _recv_msg(cs)
    if msg.token != token:
        raise DemoError(f"unexpected reply (token {msg.token}, wanted {token})")
    return msg


def build(cs: int) -> int:
    """Make the graph; the UDP port the ksocket is bound to."""
    def generic(path: str, cmd: int, args: bytes) -> None:
        ng.NgSendMsg(cs, path, NGM_GENERIC_COOKIE, cmd, args)

    generic(".", NGM_MKPEER, Mkpeer("tee", "l2r", "left2right").encode())
    generic(".:l2r", NGM_NAME, Name("tee").encode())
    generic(".", NGM_CONNECT, Connect("tee:", "r2l", "right2left").encode())
    generic("tee:", NGM_MKPEER, Mkpeer("echo", "left", "echo").encode())
    generic("tee:left", NGM_NAME, Name("echo").encode())
    generic("tee:", NGM_MKPEER, Mkpeer("ksocket", "right", "inet/dgram/udp").encode())
    generic("tee:right", NGM_NAME, Name("udp").encode())
    ng.NgSendAsciiMsg(cs, "udp:", "bind inet/127.0.0.1:0")
    ng.NgSendAsciiMsg(cs, "udp:", "getname")
    msg, _ = _recv_msg(cs)
    address = decode_sockaddr(msg.data).address
    if not isinstance(address, tuple):
        raise DemoError(f"getname answered {address!r}, not an inet address")
    return int(address[1])


def show_graph(cs: int) -> List[str]:
    """``ngctl list`` then ``ngctl show`` of every node, as lines."""
    nodes = NameList.decode(_ask(cs, ".", NGM_LISTNODES).data).nodes
    lines = [f"There are {len(nodes)} total nodes:"]
    for info in nodes:
        lines.append(f"  Name: {info.name or '<unnamed>':<15} Type: {info.type:<15} ID: {info.id:08x}   "
                     f"Num hooks: {info.hooks}")
    for info in nodes:
        hooks = HookList.decode(_ask(cs, f"[{info.id:x}]:", NGM_LISTHOOKS).data)
        lines += ["", f"  Name: {info.name or '<unnamed>':<15} Type: {info.type:<15} ID: {info.id:08x}   "
                      f"Num hooks: {info.hooks}"]
        if hooks.links:
            lines += ["  Local hook      Peer name       Peer type       Peer ID         Peer hook",
                      "  ----------      ---------       ---------       -------         ---------"]
        for link in hooks.links:
            peer = link.nodeinfo
            lines.append(f"  {link.ourhook:<15} {peer.name or '<unnamed>':<15} {peer.type:<15} "
                         f"{peer.id:08x}        {link.peerhook}")
    return lines


def _taps(ds: int) -> List[Tuple[str, bytes]]:
    """Every packet the tee's taps copied to us so far."""
    seen = []
    while select.select([ds], [], [], 0)[0]:
        data, hook = ng.NgRecvData(ds, 70000)
        seen.append((hook, data))
    return seen


def run_echo(ds: int, port: int, out: TextIO) -> Tuple[int, int]:
    """Send MESSAGES to the service and check each comes back; (sent, echoed)."""
    server = ("127.0.0.1", port)
    echoed = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.bind(("127.0.0.1", 0))
        client.settimeout(WAIT)
        me = "%s:%d" % client.getsockname()
        there = "%s:%d" % server
        for payload in MESSAGES:
            client.sendto(payload, server)
            print(f"  wire  {me} -> {there}  {len(payload):3d} bytes  {payload!r}", file=out)
            try:
                data, source = client.recvfrom(65535)
            except socket.timeout:
                raise DemoError(f"no echo of {payload!r} within {WAIT} s") from None
            print(f"  wire  {'%s:%d' % source} -> {me}  {len(data):3d} bytes  {data!r}", file=out)
            if data != payload or source != server:
                raise DemoError(f"wrong echo: {data!r} from {source}")
            echoed += 1
            for hook, copy in _taps(ds):
                direction = "udp -> echo" if hook == "r2l" else "echo -> udp"
                print(f"  graph tee tap {hook}: {direction}  {len(copy):3d} bytes", file=out)
    return len(MESSAGES), echoed


def tear_down(cs: int) -> None:
    """Shut down the nodes build() made: on a shared graph (the per-user daemon, or FreeBSD's kernel)
    the tee, echo and ksocket would otherwise stay, and the next run could not take their names."""
    for path in MADE:
        try:
            ng.NgSendMsg(cs, path, NGM_GENERIC_COOKIE, NGM_SHUTDOWN)
        except OSError:
            pass  # not made (build() failed before it), or gone with its peers


def main(argv: Optional[List[str]] = None) -> int:
    """Run the demo; 0 when every datagram came back."""
    args = list(argv or [])
    if args in (["-h"], ["--help"]):
        print(f"usage: python -m pyngraph demo\n\n{__doc__.splitlines()[0]}")
        return 0
    if args:
        print("usage: python -m pyngraph demo", file=sys.stderr)
        return 64
    out = sys.stdout
    try:
        backend.set_backend("emulated")
        print(f"pyngraph demo: a UDP echo service made of netgraph nodes ({_where()})", file=out)
        cs, ds = ng.NgMkSockNode("demo")
        try:
            port = build(cs)
            print(f"\nThe graph (ksocket \"udp\" bound to 127.0.0.1:{port}):", file=out)
            for line in show_graph(cs):
                print(line, file=out)
            print("\nDatagrams:", file=out)
            sent, echoed = run_echo(ds, port, out)
        finally:
            tear_down(cs)
            os.close(cs)
            os.close(ds)
    except (DemoError, OSError) as exc:
        print(f"pyngraph demo: FAILED: {exc}", file=sys.stderr)
        return 1
    print(f"\nSummary: {sent} datagrams sent to 127.0.0.1:{port}, {echoed} echoed back by the "
          f"ksocket + echo graph, {sent - echoed} lost.", file=out)
    print("pyngraph demo: OK", file=out)
    return 0
