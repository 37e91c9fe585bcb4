"""pyngraph's ABI definitions against FreeBSD's own headers, for every FreeBSD target."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

import pytest

import probegen
from pyngraph.abi import constants

needs_zig = pytest.mark.skipif(not probegen.ziglang_available(), reason="ziglang is not importable")


@pytest.mark.parametrize("target", probegen.TARGETS)
def test_layouts_and_constants_match_freebsd_headers(abi_compiles, target: str) -> None:
    proc, count = abi_compiles[target]
    assert proc.returncode == 0, f"{target}: probe failed ({count} asserts):\n{proc.stderr}"


def test_probe_covers_every_struct_field_and_constant() -> None:
    source = probegen.generate("x86_64-freebsd")
    for cls in probegen.ALL_STRUCTS:
        for field in cls._fields_:
            assert f"offsetof(struct {cls.__name__}, {field[0]})" in source
    for name in probegen.constants_to_check():
        assert f"constant {name} ==" in source
    for member in constants.Errno:
        assert f"constant {member.name} == {int(member)}" in source
    assert not set(probegen.SKIPPED_CONSTANTS) & set(probegen.constants_to_check())


def test_probe_alignment_is_per_target() -> None:
    assert "_Alignof(struct sockaddr_storage) == 8" in probegen.generate("aarch64-freebsd")
    assert "_Alignof(struct sockaddr_storage) == 4" in probegen.generate("x86-freebsd")
    assert "_Alignof(struct ngm_bandwidth) == 4" in probegen.generate("x86-freebsd")


class nodeinfo(ctypes.Structure):
    """A wrong ``struct nodeinfo``: ``id`` and ``hooks`` swapped (same size and alignment)."""

    _fields_ = [
        ("name", ctypes.c_char * 32),
        ("type", ctypes.c_char * 32),
        ("hooks", ctypes.c_uint32),
        ("id", ctypes.c_uint32),
    ]


class ngm_name(ctypes.Structure):
    """A wrong ``struct ngm_name``: one byte short."""

    _fields_ = [("name", ctypes.c_char * 31)]


@needs_zig
def test_a_wrong_definition_fails_the_compile_naming_it(tmp_path: Path) -> None:
    source = probegen.generate(
        "x86_64-freebsd",
        structs=[nodeinfo, ngm_name],
        values={"NGM_KSOCKET_COOKIE": 942710668, "EAGAIN": 35, "NG_SOCKET_NODE_TYPE": "sockte"},
    )
    proc = probegen.compile_probe(source, "x86_64-freebsd", tmp_path)
    assert proc.returncode != 0
    failed = set(re.findall(r"static assertion failed[^\n]*?: ([^\n]*)$", proc.stderr, re.MULTILINE))
    assert failed == {
        "offsetof(struct nodeinfo, hooks) == 64",
        "offsetof(struct nodeinfo, id) == 68",
        "sizeof(struct ngm_name) == 31",
        "sizeof(struct ngm_name.name) == 31",
        "constant NGM_KSOCKET_COOKIE == 942710668",
        "constant NG_SOCKET_NODE_TYPE == 'sockte': char 4",
        "constant NG_SOCKET_NODE_TYPE == 'sockte': char 5",
    }
