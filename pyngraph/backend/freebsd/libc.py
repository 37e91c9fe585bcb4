"""The libc calls the FreeBSD backend needs, declared once with exact ctypes signatures.

Only declarations live here; nothing is called at import time.  ``libc()``
opens the C library lazily, so importing this module works on any host.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from typing import Any, Dict, Sequence, Tuple

_P = ctypes.POINTER
socklen_t = ctypes.c_uint32

#: name -> (argtypes, restype): the POSIX/FreeBSD prototypes of <sys/socket.h>,
#: <unistd.h>, <stdlib.h>, <sys/sysctl.h> and <sys/module.h>.
SIGNATURES: Dict[str, Tuple[Sequence[type], object]] = {
    "socket": ([ctypes.c_int, ctypes.c_int, ctypes.c_int], ctypes.c_int),
    "bind": ([ctypes.c_int, ctypes.c_void_p, socklen_t], ctypes.c_int),
    "connect": ([ctypes.c_int, ctypes.c_void_p, socklen_t], ctypes.c_int),
    "sendto": (
        [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p, socklen_t],
        ctypes.c_ssize_t,
    ),
    "recvfrom": (
        [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p, _P(socklen_t)],
        ctypes.c_ssize_t,
    ),
    "getsockname": ([ctypes.c_int, ctypes.c_void_p, _P(socklen_t)], ctypes.c_int),
    "close": ([ctypes.c_int], ctypes.c_int),
    "free": ([ctypes.c_void_p], None),
    "sysctlbyname": (
        [ctypes.c_char_p, ctypes.c_void_p, _P(ctypes.c_size_t), ctypes.c_void_p, ctypes.c_size_t],
        ctypes.c_int,
    ),
    "modfind": ([ctypes.c_char_p], ctypes.c_int),
}


class _LibC:
    """libc opened with ``use_errno=True``; attributes are the declared functions."""

    def __init__(self, handle: ctypes.CDLL) -> None:
        self._handle = handle

    def __getattr__(self, name: str) -> Any:
        if name not in SIGNATURES:
            raise AttributeError(f"libc function {name!r} is not declared in {__name__}")
        argtypes, restype = SIGNATURES[name]
        func = getattr(self._handle, name)  # AttributeError when this libc lacks it
        func.argtypes = list(argtypes)
        func.restype = restype
        setattr(self, name, func)
        return func


@functools.lru_cache(maxsize=None)
def libc() -> _LibC:
    """The process's C library (the one Python itself is linked with)."""
    name = ctypes.util.find_library("c")
    return _LibC(ctypes.CDLL(name, use_errno=True))

