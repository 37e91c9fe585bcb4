"""libnetgraph's variadic log callbacks: printf rendering, and a real C variadic call."""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from pyngraph.backend.freebsd import errlog


def _cstring(text: bytes) -> ctypes.c_char_p:
    return ctypes.c_char_p(text)


def test_renders_the_debug_formats_libnetgraph_uses() -> None:
    addr = _cstring(b".")
    line = errlog.format_c(b'SOCKADDR: { fam=%d len=%d addr="%s" }',
                           [32, 4, ctypes.cast(addr, ctypes.c_void_p).value])
    assert line == 'SOCKADDR: { fam=32 len=4 addr="." }'
    assert errlog.format_c(b"  flags  %x", [1]) == "  flags  1"
    assert errlog.format_c(b"%04x:  ", [0x10]) == "0010:  "


def test_int_is_32_bits_and_signed_where_c_says_so() -> None:
    # A register slot holds 64 bits; %d and %u only read the low 32.
    assert errlog.format_c(b"%d %u", [0xFFFFFFFF, 0x1_0000_0005]) == "-1 5"
    assert errlog.format_c(b"  token  %u", [4000000000]) == "  token  4000000000"
    assert errlog.format_c(b"%hhd %hu", [0x1FF, 0x1FFFF]) == "-1 65535"
    assert errlog.format_c(b"%Ld", [1]) is None


def test_null_string_and_literal_percent() -> None:
    assert errlog.format_c(b"%s%%", [None]) == "(null)%"


def test_more_conversions_than_slots_or_floats_are_not_rendered() -> None:
    assert errlog.format_c(b"%d" * (errlog.SLOTS + 1), [0] * errlog.SLOTS) is None
    assert errlog.format_c(b"%d %f", [1, 0]) is None  # doubles travel elsewhere: not readable


def test_callback_appends_strerror_like_warn() -> None:
    lines: List[str] = []
    cb = errlog.make_callback(lines.append, with_errno=True)
    ctypes.set_errno(errno.ENOENT)
    cb(b"sendto(%s)", ctypes.cast(_cstring(b"foo:"), ctypes.c_void_p).value, *([None] * (errlog.SLOTS - 1)))
    assert lines == [f"sendto(foo:): {os.strerror(errno.ENOENT)}"]


def test_default_sinks_log_to_pyngraph_libnetgraph(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pyngraph.libnetgraph"):
        errlog.default_logx("SENDING MESSAGE:")
        errlog.default_log("poll: Interrupted system call")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("pyngraph.libnetgraph", logging.INFO, "SENDING MESSAGE:"),
        ("pyngraph.libnetgraph", logging.WARNING, "poll: Interrupted system call"),
    ]


_CALLER = r"""
typedef void (*logf_t)(const char *, ...);
void call_log(logf_t f, const char *s, int neg, unsigned big, long l) {
    f("s=%s neg=%d big=%u l=%ld hex=%x pad=%04x c=%c pct=%% last=\"%s\"",
      s, neg, big, l, big, 0x1c, 'Z', "tail");
}
"""


@pytest.fixture(scope="module")
def variadic_caller(tmp_path_factory: pytest.TempPathFactory) -> ctypes.CDLL:
    """A real C function that calls its logger variadically (as libnetgraph does), built with zig."""
    pytest.importorskip("ziglang", reason="ziglang is needed to compile the variadic caller")
    work: Path = tmp_path_factory.mktemp("errlog")
    (work / "caller.c").write_text(_CALLER)
    built = subprocess.run(
        [sys.executable, "-m", "ziglang", "cc", "-shared", "-fPIC", "-nostdlib", "-O1",
         "-o", str(work / "caller.so"), str(work / "caller.c")],
        capture_output=True, text=True,
    )
    if built.returncode != 0:
        pytest.skip(f"zig cc could not build the caller: {built.stderr.strip()[-300:]}")
    lib = ctypes.CDLL(str(work / "caller.so"))
    lib.call_log.argtypes = [errlog.LOGF, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_long]
    lib.call_log.restype = None
    return lib


def test_a_real_variadic_call_is_rendered_in_full(variadic_caller: ctypes.CDLL) -> None:
    # Eight variadic arguments: the first ones in registers, the rest on the stack.
    lines: List[str] = []
    cb = errlog.make_callback(lines.append, with_errno=False)
    variadic_caller.call_log(cb, b"hello", -5, 4000000000, -123456789012)
    assert lines == ['s=hello neg=-5 big=4000000000 l=-123456789012 hex=ee6b2800 pad=001c c=Z pct=% last="tail"']
