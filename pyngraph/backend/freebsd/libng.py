"""ctypes bindings to FreeBSD's libnetgraph (``libnetgraph.so.4``).

:data:`SIGNATURES` declares every function of ``netgraph.h`` exactly;
:class:`LibNetgraph` exposes them in the Python shapes of
:mod:`pyngraph.libnetgraph`.  Failures raise :class:`~pyngraph.errors.NetgraphError`
subclasses carrying the errno the C call left (via ``use_errno``), naming the
function and the path.  The printf-like functions always get ``"%s"`` and the
already formatted text, so user text is never a format string.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

from ...abi.constants import NG_HOOKSIZ, NG_PATHSIZ, Errno
from ...abi.message import HEADER_SIZE, NgMesg
from ...errors import NetgraphError
from ..protocol import KERNEL
from . import errlog, libpath
from .libc import libc
from .ready import NotReadyError, library_error, require_freebsd

_P = ctypes.POINTER
Buffer = Union[bytes, bytearray, memoryview]

#: name -> (argtypes, restype), restating netgraph.h.  For the variadic
#: NgNameNode/NgSendAsciiMsg only the fixed part is declared; the caller adds
#: one ``c_char_p`` for ``"%s"``.
SIGNATURES: Dict[str, Tuple[Sequence[object], object]] = {
    "NgMkSockNode": ([ctypes.c_char_p, _P(ctypes.c_int), _P(ctypes.c_int)], ctypes.c_int),
    "NgNameNode": ([ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
    "NgSendMsg": (
        [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t],
        ctypes.c_int,
    ),
    "NgSendAsciiMsg": ([ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p], ctypes.c_int),
    "NgSendReplyMsg": (
        [ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t],
        ctypes.c_int,
    ),
    "NgRecvMsg": ([ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p], ctypes.c_int),
    "NgAllocRecvMsg": ([ctypes.c_int, _P(ctypes.c_void_p), ctypes.c_char_p], ctypes.c_int),
    "NgRecvAsciiMsg": ([ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p], ctypes.c_int),
    "NgAllocRecvAsciiMsg": ([ctypes.c_int, _P(ctypes.c_void_p), ctypes.c_char_p], ctypes.c_int),
    "NgSendData": ([ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t], ctypes.c_int),
    "NgRecvData": ([ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p], ctypes.c_int),
    "NgAllocRecvData": ([ctypes.c_int, _P(ctypes.c_void_p), ctypes.c_char_p], ctypes.c_int),
    "NgSetDebug": ([ctypes.c_int], ctypes.c_int),
    "NgSetErrLog": ([errlog.LOGF, errlog.LOGF], None),
}
VARIADIC = frozenset({"NgNameNode", "NgSendAsciiMsg"})

#: Default buffer for NgRecvAsciiMsg: the default control receive space (20 KiB) and then some.
ASCII_BUFSIZE = 65536

# The installed log callbacks by library: libnetgraph keeps raw pointers to
# them, so they live as long as the process (a library is never unloaded).
_installed: Dict[str, object] = {}


def declare(lib: ctypes.CDLL) -> ctypes.CDLL:
    """Set argtypes/restype of every libnetgraph function on ``lib``."""
    for name, (argtypes, restype) in SIGNATURES.items():
        func = getattr(lib, name)
        func.argtypes = list(argtypes)
        func.restype = restype
    return lib


@functools.lru_cache(maxsize=None)
def load(names: Tuple[str, ...]) -> ctypes.CDLL:
    """Open the first loadable of ``names`` (once per process) and declare its functions."""
    failures = []
    for name in names:
        try:
            return declare(ctypes.CDLL(name, use_errno=True))
        except (OSError, AttributeError) as exc:
            failures.append(f"{name}: {exc}")
    raise NotReadyError(errno.ENOENT, f"cannot load {libpath.SONAME} ({'; '.join(failures)})",
                        command="freebsd backend")


def _cstr(value: str, what: str, command: str) -> bytes:
    try:
        raw = value.encode("latin-1")
    except UnicodeEncodeError:
        raise NetgraphError.from_fbsd(Errno.EINVAL, f"{what} {value!r} is not latin-1", command=command) from None
    if b"\0" in raw:
        raise NetgraphError.from_fbsd(Errno.EINVAL, f"{what} {value!r} contains a NUL", command=command)
    return raw


def _int32(value: int, what: str, command: str) -> int:
    """An ``int`` argument: values up to 0xffffffff are passed with their bit pattern."""
    if not -(1 << 31) <= value <= 0xFFFFFFFF:
        raise NetgraphError.from_fbsd(Errno.EINVAL, f"{what} {value} does not fit 32 bits", command=command)
    return value - (1 << 32) if value >= 1 << 31 else value


def _decode(raw: bytes, command: str, path: str) -> NgMesg:
    """The message in ``raw`` (a datagram possibly cut by the buffer size, as the C code allows)."""
    if not raw:
        raise NetgraphError.from_fbsd(Errno.ENOTCONN, "end of file: the socket node was shut down",
                                      path=path, command=command)
    if len(raw) < HEADER_SIZE:
        raise NetgraphError.from_fbsd(Errno.EINVAL, f"received {len(raw)} bytes, less than a message header",
                                      path=path, command=command)
    msg, arglen = NgMesg.decode_header(raw)
    msg.data = raw[HEADER_SIZE: HEADER_SIZE + arglen]
    return msg


def _text(raw: bytes) -> bytes:
    end = raw.find(b"\0")
    return raw if end < 0 else raw[:end]


class LibNetgraph:
    """libnetgraph's fourteen functions with Python arguments and results."""

    def __init__(self, names: Optional[Sequence[str]] = None) -> None:
        """Load libnetgraph: found by :mod:`.libpath` on FreeBSD, or from explicit ``names``.

        Explicit ``names`` skip the FreeBSD check (a stand-in library in tests,
        an unusual install).  Log lines go to :mod:`logging` until NgSetErrLog.
        """
        if names is None:
            require_freebsd()
            names = libpath.candidates()
        err = library_error(list(names))
        if err is not None:
            raise err
        self._lib = load(tuple(names))
        self._free = libc().free
        if self._lib._name not in _installed:
            self.NgSetErrLog(None, None)

    capabilities = KERNEL

    def close(self, fd: int) -> None:
        """Close a socket NgMkSockNode made."""
        os.close(fd)

    def daemon_gone(self, fd: int) -> Optional[str]:
        """None: the kernel serves the sockets, and it does not go away."""
        return None

    # -- helpers -------------------------------------------------------------

    def _check(self, rc: int, command: str, path: Optional[str] = None) -> int:
        if rc < 0:
            raise NetgraphError.from_host(ctypes.get_errno(), path=path, command=command)
        return rc

    def _alloc_call(self, func: Callable[..., int], fd: int, out: ctypes.Array[ctypes.c_char], command: str,
                    read: Callable[[int, int], bytes]) -> bytes:
        """Call an NgAlloc* function and copy the malloc'd buffer out before freeing it."""
        ptr = ctypes.c_void_p()
        n = self._check(func(fd, ctypes.byref(ptr), out), command)
        try:
            return read(ptr.value or 0, n)
        finally:
            self._free(ptr)

    # -- sockets and names ---------------------------------------------------------

    def NgMkSockNode(self, name: Optional[str] = None, data: bool = True) -> Tuple[int, Optional[int]]:
        """Create a socket node: ``(control fd, data fd or None)``."""
        command = "NgMkSockNode"
        cs, ds = ctypes.c_int(-1), ctypes.c_int(-1)
        cname = _cstr(name, "node name", command) if name else None
        self._check(self._lib.NgMkSockNode(cname, ctypes.byref(cs), ctypes.byref(ds) if data else None),
                    command, name)
        return cs.value, (ds.value if data else None)

    def NgNameNode(self, cs: int, path: str, name: str) -> None:
        """Give the node at ``path`` the global name ``name`` (NGM_NAME)."""
        command = f"NgNameNode {name!r}"
        cpath = _cstr(path, "path", command)
        cname = ctypes.c_char_p(_cstr(name, "node name", command))
        self._check(self._lib.NgNameNode(cs, cpath, b"%s", cname), command, path)

    # -- control messages ----------------------------------------------------------

    def NgSendMsg(self, cs: int, path: str, cookie: int, cmd: int, args: Buffer = b"") -> int:
        """Send a binary control message; returns its token (waits for HASREPLY commands)."""
        command = f"NgSendMsg cookie {cookie} cmd {cmd}"
        payload = bytes(args)
        rc = self._lib.NgSendMsg(cs, _cstr(path, "path", command), _int32(cookie, "cookie", command),
                                 _int32(cmd, "cmd", command), payload or None, len(payload))
        return self._check(rc, command, path)

    def NgSendAsciiMsg(self, cs: int, path: str, text: str) -> int:
        """Send a control message written in ASCII; returns the token of the converted message."""
        words = text.split(None, 1)
        command = f"NgSendAsciiMsg {(words[0] if words else text)!r}"
        ctext = ctypes.c_char_p(_cstr(text, "message text", command))
        return self._check(self._lib.NgSendAsciiMsg(cs, _cstr(path, "path", command), b"%s", ctext),
                           command, path)

    def NgSendReplyMsg(self, cs: int, path: str, msg: NgMesg, args: Buffer = b"") -> None:
        """Answer ``msg`` (its header, flags forced to NGF_RESP) with ``args``."""
        command = f"NgSendReplyMsg cmd {msg.cmd}"
        header = NgMesg(msg.cmd, msg.typecookie, b"", msg.flags, msg.token, msg.cmdstr, msg.version,
                        msg.spare, msg.spare2).encode()
        payload = bytes(args)
        self._check(self._lib.NgSendReplyMsg(cs, _cstr(path, "path", command), header, payload or None,
                                             len(payload)), command, path)

    def NgRecvMsg(self, cs: int, bufsize: int) -> Tuple[NgMesg, str]:
        """Receive the next control message (cut to ``bufsize`` bytes) and the sender's path."""
        buf = ctypes.create_string_buffer(max(bufsize, 0) or 1)
        path = ctypes.create_string_buffer(NG_PATHSIZ)
        n = self._check(self._lib.NgRecvMsg(cs, buf, max(bufsize, 0), path), "NgRecvMsg")
        sender = path.value.decode("latin-1")
        return _decode(buf.raw[:n], "NgRecvMsg", sender), sender

    def NgAllocRecvMsg(self, cs: int) -> Tuple[NgMesg, str]:
        """Receive the next control message into a buffer of SO_RCVBUF bytes."""
        path = ctypes.create_string_buffer(NG_PATHSIZ)
        raw = self._alloc_call(self._lib.NgAllocRecvMsg, cs, path, "NgAllocRecvMsg", ctypes.string_at)
        sender = path.value.decode("latin-1")
        return _decode(raw, "NgAllocRecvMsg", sender), sender

    def NgRecvAsciiMsg(self, cs: int, bufsize: int = ASCII_BUFSIZE) -> Tuple[NgMesg, str]:
        """Receive the next message converted to ASCII: ``msg.data`` is the argument text.

        As in C the header is the binary one the sender sent (``cmdstr`` unchanged).
        """
        buf = ctypes.create_string_buffer(max(bufsize, HEADER_SIZE))
        path = ctypes.create_string_buffer(NG_PATHSIZ)
        self._check(self._lib.NgRecvAsciiMsg(cs, buf, len(buf), path), "NgRecvAsciiMsg")
        sender = path.value.decode("latin-1")
        msg = _decode(buf.raw[:HEADER_SIZE], "NgRecvAsciiMsg", sender)
        msg.data = _text(buf.raw[HEADER_SIZE:])
        return msg, sender

    def NgAllocRecvAsciiMsg(self, cs: int) -> Tuple[NgMesg, str]:
        """:meth:`NgRecvAsciiMsg` with a buffer of SO_RCVBUF bytes."""
        path = ctypes.create_string_buffer(NG_PATHSIZ)

        def read(address: int, _rc: int) -> bytes:
            return ctypes.string_at(address, HEADER_SIZE) + ctypes.string_at(address + HEADER_SIZE)

        raw = self._alloc_call(self._lib.NgAllocRecvAsciiMsg, cs, path, "NgAllocRecvAsciiMsg", read)
        sender = path.value.decode("latin-1")
        msg = _decode(raw[:HEADER_SIZE], "NgAllocRecvAsciiMsg", sender)
        msg.data = raw[HEADER_SIZE:]
        return msg, sender

    # -- data ------------------------------------------------------------------------

    def NgSendData(self, ds: int, hook: Optional[str], data: Buffer) -> None:
        """Send one packet out of our node's hook ``hook``; ``None`` or ``""``: the only hook."""
        command = "NgSendData"
        payload = bytes(data)
        chook = _cstr(hook or "", "hook", command)
        self._check(self._lib.NgSendData(ds, chook, payload, len(payload)), command, hook)

    def NgRecvData(self, ds: int, bufsize: int) -> Tuple[bytes, str]:
        """Receive one packet (cut to ``bufsize``) and the name of the hook it came in on."""
        buf = ctypes.create_string_buffer(max(bufsize, 0) or 1)
        hook = ctypes.create_string_buffer(NG_HOOKSIZ)
        n = self._check(self._lib.NgRecvData(ds, buf, max(bufsize, 0), hook), "NgRecvData")
        return buf.raw[:n], hook.value.decode("latin-1")

    def NgAllocRecvData(self, ds: int) -> Tuple[bytes, str]:
        """Receive one packet into a buffer of SO_RCVBUF bytes."""
        hook = ctypes.create_string_buffer(NG_HOOKSIZ)
        data = self._alloc_call(self._lib.NgAllocRecvData, ds, hook, "NgAllocRecvData", ctypes.string_at)
        return data, hook.value.decode("latin-1")

    # -- debugging ---------------------------------------------------------------------

    def NgSetDebug(self, level: int) -> int:
        """Set the debug level if ``level >= 0``; always returns the previous level."""
        return int(self._lib.NgSetDebug(level))

    def getsockname(self, fd: int) -> bytes:
        """getsockname() of a netgraph socket: the kernel's raw ``sockaddr_ng`` (34 bytes on FreeBSD 14)."""
        from .ngsocket import PfNetgraphTransport

        return PfNetgraphTransport().getsockname(fd)

    def NgSetErrLog(self, log: Optional[errlog.LogFunc], logx: Optional[errlog.LogFunc]) -> None:
        """Route the library's log lines to ``log`` (with strerror) and ``logx``.

        ``None`` selects the default: the ``pyngraph.libnetgraph`` logger.
        """
        pair = (errlog.make_callback(log or errlog.default_log, with_errno=True),
                errlog.make_callback(logx or errlog.default_logx, with_errno=False))
        self._lib.NgSetErrLog(*pair)
        _installed[self._lib._name] = pair

    @property
    def debug_level(self) -> int:
        """The library's global ``_gNgDebugLevel`` (private, read-only here; use NgSetDebug)."""
        return ctypes.c_int.in_dll(self._lib, "_gNgDebugLevel").value
