"""Every path form and every addressing error (abi.md section 6)."""

from __future__ import annotations

import errno

import pytest

from pyngraph.abi.constants import Errno
from pyngraph.emulator.kernel import Kernel
from pyngraph.emulator.path import decode_id, parse_path, resolve
from pyngraph.errors import NetgraphError


@pytest.fixture
def graph(make_sock):
    """S:a <-> hub "path hub":a, hub:b <-> echo:e."""
    s = make_sock()
    s.mkpeer(".", "hub", "a", "a")
    s.name("a", "path hub")
    s.mkpeer("a", "echo", "b", "e")
    yield s, s.nodeinfo("a").id, s.nodeinfo("a.b").id
    s.shutdown("path hub:")  # hub and echo keep each other alive


@pytest.mark.parametrize("path", [".", ".:", ""])
def test_self(graph, path: str) -> None:
    s, _, _ = graph
    assert s.nodeinfo(path).id == s.id


@pytest.mark.parametrize("path", ["a", ".:a", "a.", ".a", "path hub:", "{hex}", "{hex0x}", "{hexpad}"])
def test_hub(graph, path: str) -> None:
    s, hub, _ = graph
    path = path.format(hex=f"[{hub:x}]:", hex0x=f"[0x{hub:x}]:", hexpad=f"[{hub:08X}]:")
    assert s.nodeinfo(path).id == hub


@pytest.mark.parametrize("path", ["a.b", ".:a.b", "path hub:b", "{hex}b", "a.b.e.b"])
def test_hops(graph, path: str) -> None:
    s, hub, echo = graph
    assert s.nodeinfo(path.format(hex=f"[{hub:x}]:")).id == echo


@pytest.mark.parametrize("path,err", [
    (":", errno.EINVAL), (":a", errno.EINVAL), ("a.b:c", errno.EINVAL), ("a:b:c", errno.EINVAL),
    ("a..b", errno.EINVAL), ("nosuch:", errno.ENOENT), ("[0]:", errno.ENOENT),
    ("[ffffffff]:", errno.ENOENT), (".:nosuch", errno.ENOENT), ("a.nosuch", errno.ENOENT),
    ("nosuch", errno.ENOENT), ("x" * 31 + ":", errno.EINVAL),  # longer than ng_socket's 31 characters
])
def test_errors(graph, path: str, err: int) -> None:
    s, _, _ = graph
    with pytest.raises(NetgraphError) as info:
        s.nodeinfo(path)
    assert info.value.errno == err


def test_longest_sendto_path(make_sock) -> None:
    name = "p" * 30
    s = make_sock(name)
    assert s.nodeinfo(name + ":").id == s.id  # 31 characters: sg_len 34, the kernel's limit


def test_name_that_is_not_an_id(make_sock) -> None:
    s = make_sock("[0]")
    assert s.nodeinfo("[0]:").id == s.id


@pytest.mark.parametrize("name,value", [
    ("[1a]", 0x1A), ("[0x1A]", 0x1A), ("[0000001a]", 0x1A), ("[0]", 0), ("[zz]", 0), ("[x1]", 0),
    ("[]", 0), ("[1a", 0), ("1a]", 0), ("[0x]", 0), ("[100000001]", 1), ("[" + "f" * 16 + "]", 0),
])
def test_decode_id(name: str, value: int) -> None:
    assert decode_id(name) == value


@pytest.mark.parametrize("path,parsed", [
    ("foo:", ("foo", [])), ("foo:a.b", ("foo", ["a", "b"])), (".", (None, [])), ("", (None, [])),
    (".ks.", (None, ["ks"])), ("ks", (None, ["ks"])), (".:", (".", [])),
])
def test_parse_path(path: str, parsed) -> None:
    assert parse_path(path) == parsed


def test_dying_node_on_the_way_is_enxio(kernel: Kernel) -> None:
    def check() -> int:
        first, second = kernel.make_node("hub"), kernel.make_node("hub")
        hook, peer = kernel.add_hook(first, "h"), kernel.add_hook(second, "h")
        kernel.link(hook, peer, (hook, peer))
        second.valid = False
        try:
            resolve(kernel, first, "h")
        except NetgraphError as exc:
            return int(exc.fbsd_errno or 0)
        finally:
            kernel.rmnode(second)
            kernel.rmnode(first)
            kernel.drain()
        return 0

    assert kernel.call(check) == Errno.ENXIO


def test_relative_path_without_node_is_einval(kernel: Kernel) -> None:
    with pytest.raises(NetgraphError) as info:
        kernel.call(resolve, kernel, None, "a")
    assert info.value.fbsd_errno == Errno.EINVAL
