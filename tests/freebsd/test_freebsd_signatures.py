"""The ctypes table of libng.py against the prototypes of netgraph.h (tests/data/netgraph_h.prototypes)."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from pyngraph.backend.freebsd import errlog, libng

PROTOTYPES = Path(__file__).resolve().parents[1] / "data" / "netgraph_h.prototypes"
_PROTOTYPE = re.compile(r"^(?P<ret>[\w ]+?)\s*(?P<name>Ng\w+)\((?P<args>.*)\);$", re.M)

# C parameter types of netgraph.h -> the ctypes type that passes them.
_C_TYPES = {
    "int": ctypes.c_int,
    "size_t": ctypes.c_size_t,
    "const char *": ctypes.c_char_p,
    "char *": ctypes.c_char_p,
    "int *": ctypes.POINTER(ctypes.c_int),
    "const void *": ctypes.c_void_p,
    "const u_char *": ctypes.c_void_p,
    "u_char *": ctypes.c_void_p,
    "u_char **": ctypes.POINTER(ctypes.c_void_p),
    "struct ng_mesg *": ctypes.c_void_p,
    "const struct ng_mesg *": ctypes.c_void_p,
    "struct ng_mesg **": ctypes.POINTER(ctypes.c_void_p),
}
_FUNCPTR = re.compile(r"void \(\*\w+\)\(const char \*fmt, \.\.\.\)")


def _split_params(args: str) -> List[str]:
    params, depth, current = [], 0, ""
    for ch in args:
        if ch == "," and depth == 0:
            params.append(current.strip())
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    params.append(current.strip())
    return params


def _param_type(param: str) -> object:
    if _FUNCPTR.fullmatch(param):
        return "logger"
    m = re.fullmatch(r"(?P<type>.*?[\s*])(?P<name>\w+)", param)
    assert m, f"cannot read parameter {param!r}"
    ctype = re.sub(r"\s*\*", " *", m.group("type").strip()).replace("* *", "**")
    assert ctype in _C_TYPES, f"no ctypes mapping for C type {ctype!r}"
    return _C_TYPES[ctype]


def _prototypes() -> Dict[str, Tuple[str, List[str]]]:
    text = PROTOTYPES.read_text(encoding="utf-8")
    return {m["name"]: (m["ret"].strip(), _split_params(m["args"])) for m in _PROTOTYPE.finditer(text)}


def test_every_function_of_netgraph_h_is_declared() -> None:
    protos = _prototypes()
    assert len(protos) == 14
    assert set(protos) == set(libng.SIGNATURES)


@pytest.mark.parametrize("name", sorted(libng.SIGNATURES))
def test_argtypes_match_the_prototype(name: str) -> None:
    ret, params = _prototypes()[name]
    argtypes, restype = libng.SIGNATURES[name]
    assert restype is {"int": ctypes.c_int, "void": None}[ret]
    variadic = params[-1] == "..."
    assert variadic == (name in libng.VARIADIC)
    fixed = params[:-1] if variadic else params
    expected = [_param_type(p) for p in fixed]
    got = ["logger" if a is errlog.LOGF else a for a in argtypes]
    assert got == expected


def test_logger_callback_type_takes_the_format_first_and_returns_nothing() -> None:
    assert errlog.LOGF._restype_ is None
    assert errlog.LOGF._argtypes_[0] is ctypes.c_char_p
    assert all(a is ctypes.c_void_p for a in errlog.LOGF._argtypes_[1:])

