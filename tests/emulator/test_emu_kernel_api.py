"""The services node types get from the kernel (node.py's contract)."""

from __future__ import annotations

import logging
import socket
import time
import threading
from typing import Iterator, List, Tuple

import pytest

from pyngraph.abi.nodetype import Hooks, NgType
from pyngraph.abi.constants import Errno
from pyngraph.emulator.inprocess import new_kernel
from pyngraph.emulator.kernel import Kernel
from pyngraph.emulator.node import Hook, Node, Tag, Tags
from pyngraph.errors import NetgraphError


class Recorder(Node):
    """Records packets; refuses hooks named "veto"."""

    declaration = NgType("recorder", 1, (), Hooks(any_name=True), "records packets")

    def __init__(self, kernel: Kernel, node_id: int) -> None:
        super().__init__(kernel, node_id)
        self.got: List[Tuple[str, bytes, Tuple[Tag, ...]]] = []

    def newhook(self, hook: Hook, name: str) -> int:
        return Errno.EINVAL if name == "veto" else 0

    def rcvdata(self, hook: Hook, data: bytes, tags: Tags) -> int:
        self.got.append((hook.name, data, tuple(tags)))
        return 0


class Refuser(Node):
    declaration = NgType("refuser", 2, (), Hooks(any_name=True), "refuses to be made")

    def constructor(self) -> None:
        raise NetgraphError.from_fbsd(Errno.ENOMEM)


@pytest.fixture
def k() -> Iterator[Kernel]:
    kernel = new_kernel()
    kernel.register_type(Recorder)
    kernel.register_type(Refuser)
    kernel.start()
    try:
        yield kernel
    finally:
        kernel.stop()


def link(kernel: Kernel, a: Node, ahook: str, b: Node, bhook: str) -> Hook:
    hook, peer = kernel.add_hook(a, ahook), kernel.add_hook(b, bhook)
    kernel.link(hook, peer, (hook, peer))
    return hook


def test_tags_travel_with_copies(k: Kernel) -> None:
    def run():
        src, hub = k.make_node("recorder"), k.make_node("hub")
        r1, r2 = k.make_node("recorder"), k.make_node("recorder")
        out = link(k, src, "out", hub, "a")
        link(k, r1, "in", hub, "b")
        link(k, r2, "in", hub, "c")
        tag = Tag(942710669, 1, b"\x01\x00\x00\x00sockaddr")
        assert src.send_data(out, b"pkt", (tag,)) == 0
        return r1.got, r2.got

    got1, got2 = k.call(run)
    assert got1 == got2 == [("in", b"pkt", (Tag(942710669, 1, b"\x01\x00\x00\x00sockaddr"),))]


def test_forced_queue_and_queue_call(k: Kernel) -> None:
    def run():
        a, b = k.make_node("recorder"), k.make_node("recorder")
        hook = link(k, a, "x", b, "y")
        hook.peer.force_queue = True
        assert a.send_data(hook, b"later") == 0
        before = list(b.got)
        calls: List[str] = []
        b.queue_call(calls.append, "ran")
        dead = k.make_node("recorder")
        dead.queue_call(calls.append, "dropped")
        k.rmnode(dead)
        k.drain()
        return before, b.got, calls

    before, after, calls = k.call(run)
    assert before == [] and after == [("y", b"later", ())]
    assert calls == ["ran"]


def test_send_data_on_broken_link_is_enetdown(k: Kernel) -> None:
    def run():
        a, b = k.make_node("recorder"), k.make_node("recorder")
        hook = link(k, a, "x", b, "y")
        k.rmnode(b)
        return a.send_data(hook, b"x")

    assert k.call(run) == Errno.ENETDOWN


def test_make_node_errors(k: Kernel) -> None:
    with pytest.raises(NetgraphError) as info:
        k.call(k.make_node, "nosuchtype")
    assert info.value.fbsd_errno == Errno.ENXIO
    before = k.call(lambda: len(k.nodes))
    with pytest.raises(NetgraphError) as info:
        k.call(k.make_node, "refuser")
    assert info.value.fbsd_errno == Errno.ENOMEM
    assert k.call(lambda: len(k.nodes)) == before


def test_newhook_veto(k: Kernel) -> None:
    def run():
        node = k.make_node("recorder")
        try:
            k.add_hook(node, "veto")
        except NetgraphError as exc:
            return exc.fbsd_errno, list(node.hooks)
        return None

    assert k.call(run) == (Errno.EINVAL, [])


def test_send_msg_to_missing_node_is_einval(k: Kernel) -> None:
    from pyngraph.abi import NgMesg

    def run():
        node = k.make_node("recorder")
        return node.send_msg(0xFFFF, NgMesg(1, 1))

    assert k.call(run) == Errno.EINVAL


def test_watch_fd_and_backpressure(k: Kernel) -> None:
    reader, writer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    reader.setblocking(False)
    got: List[bytes] = []
    event = threading.Event()
    tokens = []

    def on_readable() -> None:
        got.append(reader.recv(100))
        tokens.append(k.pause_source())  # hold the sender back until resumed
        event.set()

    try:
        k.call(k.watch_fd, reader.fileno(), on_readable)
        writer.send(b"one")
        writer.send(b"two")
        assert event.wait(30)
        assert k.call(lambda: list(got)) == [b"one"]  # paused: "two" stays queued
        event.clear()
        k.call(k.resume_source, tokens[0])
        assert event.wait(30)
        assert k.call(lambda: list(got)) == [b"one", b"two"]
        k.call(k.unwatch_fd, reader.fileno())
    finally:
        reader.close()
        writer.close()


def test_stop_ends_the_thread() -> None:
    kernel = Kernel()
    kernel.start()
    thread = kernel._thread
    assert thread is not None and thread.is_alive()
    kernel.stop()
    assert not thread.is_alive()


def test_a_full_data_queue_refuses_with_enobufs_counts_and_logs_it(k: Kernel, caplog) -> None:
    """net.graph.maxdata (4096 queued packets): the next is ENOBUFS, counted in queue_drops, logged."""
    def run():
        a, b = k.make_node("recorder"), k.make_node("recorder")
        hook = link(k, a, "x", b, "y")
        hook.peer.force_queue = True
        results = [a.send_data(hook, b"p") for _ in range(4097)]
        return results, k.queue_drops, b

    before = k.call(lambda: k.queue_drops)
    with caplog.at_level(logging.DEBUG, logger="pyngraph.emulator"):
        results, drops, b = k.call(run)
    assert results[:4096] == [0] * 4096 and results[4096] == Errno.ENOBUFS
    assert drops == before + 1 and "net.graph.maxdata" in caplog.text
    assert k.call(lambda: len(b.got)) == 4096  # what was queued is delivered


def test_lossless_pauses_the_source_of_queued_packets_until_they_drain(k: Kernel) -> None:
    """With the lossless option a descriptor whose callback queues past the high mark is paused, then resumed."""
    r, w = socket.socketpair()
    seen: List[int] = []

    def build():
        a, b = k.make_node("recorder"), k.make_node("recorder")
        hook = link(k, a, "x", b, "y")
        hook.peer.force_queue = True

        def on_readable() -> None:
            r.recv(1)
            for _ in range(3500):  # past the high mark (3/4 of 4096), under the limit
                assert a.send_data(hook, b"p") == 0
            seen.append(k.watch_of(r.fileno()).paused)

        k.watch_fd(r.fileno(), on_readable)
        return b

    saved = k.lossless
    k.lossless = True
    try:
        b = k.call(build)
        w.send(b"x")
        deadline = time.monotonic() + 10
        while k.call(lambda: len(b.got)) < 3500 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert k.call(lambda: len(b.got)) == 3500
        assert seen and seen[0] > 0  # paused while the queue was above the high mark
        assert k.call(lambda: k.watch_of(r.fileno()).paused) == 0  # resumed once it drained
    finally:
        k.lossless = saved
        k.call(k.unwatch_fd, r.fileno())
        r.close()
        w.close()


def test_a_node_type_without_a_declaration_is_refused(k: Kernel) -> None:
    class Undeclared(Node):
        pass

    with pytest.raises(NetgraphError) as info:
        k.register_type(Undeclared)
    assert info.value.fbsd_errno == Errno.EINVAL and "Undeclared declares no node type" in str(info.value)
