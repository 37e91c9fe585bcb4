"""Conformance with FreeBSD 14: every vector of tests/data/ng_parse.jsonl.

Each vector is checked twice: through the argument-level functions
(``parse_args``/``unparse_args``) and through the kernel handlers the emulated
kernel runs (``kernel_ascii2binary``/``kernel_binary2ascii``), which take and
return whole ``ng_mesg`` bytes.
"""

from __future__ import annotations

import json
import re
import struct
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from pyngraph.abi.constants import NGF_RESP
from pyngraph.ascii import CMDLISTS, ParseError, kernel_ascii2binary, kernel_binary2ascii
from pyngraph.ascii.convert import find_by_name, find_by_number, parse_args, unparse_args
from pyngraph.errors import NetgraphError

VECTORS = Path(__file__).resolve().parents[1] / "data" / "ng_parse.jsonl"

pytestmark = pytest.mark.skipif(sys.byteorder != "little", reason="vectors are FreeBSD/amd64 (little endian)")


def _load() -> List[Dict[str, Any]]:
    if not VECTORS.exists():
        return []
    with VECTORS.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


ALL = _load()


def test_vector_file_present() -> None:
    assert VECTORS.exists(), f"test vectors missing: {VECTORS}"
    assert len(ALL) == 329


def _id(i: int, v: Dict[str, Any]) -> str:
    text = re.sub(r"[^\w./:{}=\[\]\"-]+", "_", str(v["input"]))[:40]
    return f"{i:03d}-{v['category']}-{v['direction']}-{v['cmdstr']}-{text}"


CASES = [pytest.param(v, id=_id(i, v)) for i, v in enumerate(ALL)]


def _cmdlist(v: Dict[str, Any]) -> Optional[str]:
    return "ksocket" if v["node_type"] == "ksocket" else None


def _errno_of(exc: BaseException) -> int:
    assert isinstance(exc, NetgraphError), repr(exc)
    return exc.fbsd_errno


def _a2b(v: Dict[str, Any], text: str) -> bytes:
    cmd = find_by_name(_cmdlist(v), v["cmdstr"])
    assert (cmd.cmd, cmd.cookie) == (v["cmd"], v["cookie"])
    return parse_args(cmd, text, response=v["response"], arglen=len(text.encode()) + 1)


def _b2a(v: Dict[str, Any], data: bytes) -> str:
    cmd = find_by_number(_cmdlist(v), v["cookie"], v["cmd"])
    return unparse_args(cmd, data, response=v["response"])


@pytest.mark.parametrize("v", CASES)
def test_vector(v: Dict[str, Any]) -> None:
    if v["direction"] == "b2a":
        data = bytes.fromhex(v["input"])
        if not v["ok"]:
            with pytest.raises(NetgraphError) as info:
                _b2a(v, data)
            assert _errno_of(info.value) == v["errno_fbsd"]
            return
        assert _b2a(v, data) == v["output_ascii"]
        return

    if v["ascii_arglen"] is not None:
        assert v["ascii_arglen"] == len(v["input"].encode()) + 1
    if not v["ok"]:
        with pytest.raises(NetgraphError) as info:
            _a2b(v, v["input"])
        assert _errno_of(info.value) == v["errno_fbsd"], str(info.value)
        if v["errno"] != "ENOSYS":
            assert isinstance(info.value, ParseError) and info.value.column >= 0
        return
    data = _a2b(v, v["input"])
    assert data.hex() == v["output_hex"]
    assert len(data) == v["binary_size"]
    if v.get("b2a_note"):
        # FreeBSD would read past the argument; we refuse instead.
        with pytest.raises(NetgraphError) as info:
            _b2a(v, data)
        assert _errno_of(info.value) == 22
        return
    assert _b2a(v, data) == v["output_ascii"]
    if v["direction"] == "roundtrip":
        if v["reparse_ok"]:
            again = _a2b(v, v["output_ascii"])
            assert again.hex() == v["reparse_hex"]
            assert (again == data) == v["binary_stable"]
            assert (_b2a(v, again) == v["output_ascii"]) == v["ascii_stable"]
        else:
            with pytest.raises(ParseError):
                _a2b(v, v["output_ascii"])


# --- the same vectors through the kernel handlers (whole ng_mesg bytes) -----------------

_HDR = struct.Struct("=BBHIIIII32s")


def _mesg(cmd: int, cookie: int, flags: int, cmdstr: bytes, data: bytes, token: int = 7) -> bytes:
    return _HDR.pack(8, 0, 0, len(data), cmd, flags, token, cookie, cmdstr.ljust(32, b"\0")) + data


@pytest.mark.parametrize("v", [c for c in CASES if c.values[0]["direction"] != "b2a"])
def test_vector_kernel_ascii2binary(v: Dict[str, Any]) -> None:
    flags = NGF_RESP if v["response"] else 0
    cmdstr = v["cmdstr"].encode()
    text = v["input"].encode() + b"\0"
    inner = _mesg(0, 0, flags, cmdstr, text)
    cmdlist = CMDLISTS["ksocket"] if v["node_type"] == "ksocket" else None
    if not v["ok"]:
        with pytest.raises(NetgraphError) as info:
            kernel_ascii2binary(cmdlist, inner)
        assert _errno_of(info.value) == v["errno_fbsd"]
        return
    out = kernel_ascii2binary(cmdlist, inner)
    data = bytes.fromhex(v["output_hex"])
    assert out == _mesg(v["cmd"], v["cookie"], flags, cmdstr, data)
    if v.get("b2a_note"):
        return
    back = kernel_binary2ascii(cmdlist, out)
    assert back == _mesg(v["cmd"], v["cookie"], flags, cmdstr, v["output_ascii"].encode() + b"\0")


@pytest.mark.parametrize("v", [c for c in CASES if c.values[0]["direction"] == "b2a"])
def test_vector_kernel_binary2ascii(v: Dict[str, Any]) -> None:
    flags = NGF_RESP if v["response"] else 0
    data = bytes.fromhex(v["input"])
    inner = _mesg(v["cmd"], v["cookie"], flags, b"cmd%d" % v["cmd"], data)
    cmdlist = CMDLISTS["ksocket"] if v["node_type"] == "ksocket" else None
    if not v["ok"]:
        with pytest.raises(NetgraphError) as info:
            kernel_binary2ascii(cmdlist, inner)
        assert _errno_of(info.value) == v["errno_fbsd"]
        return
    out = kernel_binary2ascii(cmdlist, inner)
    text = v["output_ascii"].encode() + b"\0"
    hdr = _HDR.unpack_from(out)
    assert hdr[:8] == (8, 0, 0, len(text), v["cmd"], flags, 7, v["cookie"])
    assert hdr[8].split(b"\0")[0] == v["cmdstr"].encode()
    assert out[_HDR.size:] == text
