"""A node type written by following docs/NODETYPES.md alone: a declaration and a Node subclass.

The type is installed in a kernel of its own (the package's list is for the
types pyngraph ships); its ASCII messages, hook rule and errors work with no
other edit, through the same libnetgraph calls a user makes.
"""

from __future__ import annotations

import errno
import struct
from typing import Callable, Dict, Iterator

import pytest

from pyngraph.abi.args import Mkpeer
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_MKPEER
from pyngraph.abi.nodetype import Command, Hooks, NgType
from pyngraph.abi.schema import u_int32_t
from pyngraph.backend.emulated import EmulatedTransport
from pyngraph.backend.pylib import PyLibNetgraph
from pyngraph.emulator.inprocess import new_kernel
from pyngraph.emulator.node import Hook, MsgItem, Node, Result, Tags, run_command
from pyngraph.errors import NetgraphError

NGM_COUNTER_COOKIE = 1733000001
NGM_COUNTER_GET = 1
NGM_COUNTER_SET = 2

TYPE = NgType(
    name="counter",
    cookie=NGM_COUNTER_COOKIE,
    commands=(Command(NGM_COUNTER_GET, "get", None, u_int32_t), Command(NGM_COUNTER_SET, "set", u_int32_t)),
    hooks=Hooks(names=("in",)),
    summary="counts the packets it swallows",
)


class CounterNode(Node):
    declaration = TYPE
    count = 0

    def rcvmsg(self, item: MsgItem) -> Result:
        return run_command(self, _MESSAGES, item)

    def _msg_get(self, item: MsgItem) -> Result:
        return self.respond(item, struct.pack("=I", self.count))

    def _msg_set(self, item: MsgItem) -> Result:
        (self.count,) = struct.unpack("=I", item.msg.data)
        return None

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> Result:
        self.count += 1
        return None


_MESSAGES: Dict[int, Callable[[CounterNode, MsgItem], Result]] = {
    NGM_COUNTER_GET: CounterNode._msg_get,
    NGM_COUNTER_SET: CounterNode._msg_set,
}


@pytest.fixture
def lib() -> Iterator[PyLibNetgraph]:
    kernel = new_kernel()
    kernel.register_type(CounterNode)
    transport = EmulatedTransport(kernel=kernel)
    try:
        yield PyLibNetgraph(transport)
    finally:
        kernel.stop()


def test_a_declared_type_answers_in_ascii(lib: PyLibNetgraph) -> None:
    cs, ds = lib.NgMkSockNode(None, True)
    lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("counter", "c", "in").encode())
    for _ in range(3):
        lib.NgSendData(ds, "c", b"x")
    lib.NgSendAsciiMsg(cs, "c", "get")
    reply, _ = lib.NgAllocRecvAsciiMsg(cs)
    assert reply.data.rstrip(b"\0") == b"3"
    lib.NgSendAsciiMsg(cs, "c", "set 42")
    lib.NgSendAsciiMsg(cs, "c", "get")
    assert lib.NgAllocRecvAsciiMsg(cs)[0].data.rstrip(b"\0") == b"42"


def test_a_declared_type_refuses_what_it_does_not_declare(lib: PyLibNetgraph) -> None:
    cs, _ = lib.NgMkSockNode(None, False)
    with pytest.raises(NetgraphError) as info:
        lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("counter", "c", "out").encode())
    assert info.value.errno == errno.EINVAL  # the hook rule: only "in"
    lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("counter", "c", "in").encode())
    for text, refusal in (("reset", errno.ENOSYS), ("set notanumber", errno.EINVAL)):
        with pytest.raises(NetgraphError) as info:  # ng_base's ASCII2BINARY: no such command / bad value
            lib.NgSendAsciiMsg(cs, "c", text)
        assert info.value.errno == refusal, text
    with pytest.raises(NetgraphError) as info:
        lib.NgSendMsg(cs, "c", NGM_COUNTER_COOKIE, 99)
    assert info.value.errno == errno.EINVAL  # run_command: no such command


