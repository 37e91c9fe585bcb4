"""libnetgraph written in Python over any :class:`~pyngraph.backend.transport.NgTransport`.

The functions behave as FreeBSD's ``msg.c``/``sock.c``/``debug.c`` do: one
process-wide token counter (from 1, wrapping to 1), ``cmdstr = "cmd%d"``, a
poll for input after sending a NGM_HASREPLY request, the two-step ASCII send
(ASCII2BINARY to the same path, then the binary message with a fresh token),
the BINARY2ASCII round trip to the reply's sender, and the debug output of
``NgSetDebug`` levels 1-3 through the ``log``/``logx`` sinks of ``NgSetErrLog``
(by default the ``pyngraph.libnetgraph`` logger).  Nothing matches replies to
requests, as in C: the "next message" is taken to be the answer.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import select
import socket
import threading
from typing import Callable, Dict, List, Optional, Tuple, Union

from ..abi.args import NodeInfo
from ..abi.constants import (
    NG_HOOKSIZ, NG_NODESIZ, NG_PATHSIZ, NGF_RESP, NGM_ASCII2BINARY, NGM_BINARY2ASCII, NGM_GENERIC_COOKIE,
    NGM_HASREPLY, NGM_NAME, NGM_NODEINFO, Errno,
)
from ..abi.nodetypes.ng_echo import NGM_ECHO_COOKIE
from ..abi.nodetypes.ng_hole import NGM_HOLE_COOKIE
from ..abi.nodetypes.ng_hub import NGM_HUB_COOKIE
from ..abi.nodetypes.ng_ksocket import NGM_KSOCKET_COOKIE
from ..abi.nodetypes.ng_socket import NG_CONTROL, NG_DATA, NGM_SOCKET_COOKIE
from ..abi.nodetypes.ng_tee import NGM_TEE_COOKIE
from ..abi.message import HEADER_SIZE, NgMesg, encode_message
from ..errors import NetgraphError, UnavailableError
from .protocol import EMULATOR, Capabilities
from .transport import NgTransport

Buffer = Union[bytes, bytearray, memoryview]
LogFunc = Callable[[str], None]

_logger = logging.getLogger("pyngraph.libnetgraph")
_WHITESPACE = " \t\n\v\f\r"
_INT_MIN, _UINT_MAX = -(1 << 31), (1 << 32) - 1
_DEFAULT_RCVBUF = 20480  # net.graph.recvspace, if the descriptor cannot tell
_DEBUG_ARGS_MAX = 2048  # argument bytes the level-3 decoder sends for conversion
_cmdstrs: Dict[int, str] = {}  # cmd -> the "cmd%d" cmdstr libnetgraph puts in every message

# Cookie names of libnetgraph's debug output (debug.c's table), by cookie.
_COOKIES = {
    NGM_GENERIC_COOKIE: "GENERIC", NGM_SOCKET_COOKIE: "SOCKET", NGM_KSOCKET_COOKIE: "KSOCKET",
    NGM_HUB_COOKIE: "HUB", NGM_ECHO_COOKIE: "ECHO", NGM_HOLE_COOKIE: "HOLE", NGM_TEE_COOKIE: "TEE",
}


def _default_log(line: str) -> None:
    _logger.warning("%s", line)


def _default_logx(line: str) -> None:
    _logger.info("%s", line)


class _State:
    """libnetgraph's process-wide globals: the token counter, debug level, loggers."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.debug = 0
        self.log: LogFunc = _default_log
        self.logx: LogFunc = _default_logx
        self._tokens = itertools.count(1)  # next() is atomic: no lock on the hot path

    def next_token(self) -> int:
        """1, 2, ... 0x7FFFFFFF, then 1 again (the C int went negative: back to 1)."""
        return (next(self._tokens) - 1) % 0x7FFFFFFF + 1


_state = _State()


def _signed(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _fail(exc: OSError, command: str, path: Optional[str]) -> NetgraphError:
    """The caller's error for a failed call, naming command and path."""
    if isinstance(exc, UnavailableError) or (
            isinstance(exc, NetgraphError) and exc.command == command and exc.path == path):
        return exc  # named already; an unusable backend keeps its own words: they name the fix
    detail = exc.detail if isinstance(exc, NetgraphError) else None  # e.g. the daemon's reason
    return NetgraphError.from_host(exc.errno or errno.EIO, detail, path=path, command=command)


def _decode(raw: bytes, command: str, path: str) -> NgMesg:
    """A received message; ``data`` is what arrived of the arguments (the buffer may cut it)."""
    if not raw:
        raise NetgraphError.from_host(
            errno.ENOTCONN, "end of file: the socket node was shut down",
            path=path, command=command)
    msg, arglen = NgMesg.decode_header(raw)
    msg.data = bytes(raw[HEADER_SIZE:HEADER_SIZE + arglen])
    return msg


def _text(raw: bytes) -> bytes:
    end = raw.find(b"\0")
    return raw if end < 0 else raw[:end]


def hexdump(data: bytes) -> List[str]:
    """libnetgraph's ``_NgDebugBytes`` lines: offset, 16 hex bytes, printable chars."""
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        hexes = "".join(f"{b:02x} " for b in chunk) + "   " * (16 - len(chunk))
        chars = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk) + "  " * (16 - len(chunk))
        lines.append(f"{off:04x}:  {hexes}  {chars}")
    return lines


class PyLibNetgraph:
    """The libnetgraph function set over one transport."""

    def __init__(self, transport: NgTransport, capabilities: Capabilities = EMULATOR) -> None:
        self.transport = transport
        self.capabilities = capabilities

    def close(self, fd: int) -> None:
        """Close a socket NgMkSockNode made."""
        self.transport.close(fd)

    def daemon_gone(self, fd: int) -> Optional[str]:
        """The path of the daemon that served ``fd`` if it has gone, else None."""
        return self.transport.daemon_gone(fd)

    # --- logging ------------------------------------------------------------------------

    def _log(self, text: str, err: int) -> None:
        if _state.debug >= 1:
            _state.log(f"{text}: {os.strerror(err)}")

    def _logx(self, text: str) -> None:
        _state.logx(text)

    def _debug_sockaddr(self, addr: str, length: Optional[int] = None) -> None:
        if length is None:
            length = len(addr.encode("latin-1", "replace")) + 3
        self._logx(f'SOCKADDR: {{ fam=32 len={length} addr="{addr}" }}')

    def _debug_msg(self, msg: NgMesg, path: str) -> None:
        self._logx("NG_MESG :")
        self._logx(f"  vers   {msg.version}")
        self._logx(f"  arglen {msg.arglen}")
        self._logx(f"  flags  {msg.flags:x}")
        self._logx(f"  token  {msg.token}")
        self._logx(f"  cookie {_COOKIES.get(msg.typecookie, '??')} ({msg.typecookie})")
        if _state.debug >= 3 and ":" in path and self._debug_decoded(msg, path):
            return
        self._logx(f"  cmd    {_signed(msg.cmd)}")
        self._logx(f"  args ({msg.arglen} bytes)")
        for line in hexdump(msg.data):
            self._logx(line)

    def _debug_decoded(self, msg: NgMesg, path: str) -> bool:
        """Level 3: ask the target (through a temporary socket node) for the ASCII form."""
        inner = NgMesg(msg.cmd, msg.typecookie, msg.data[:_DEBUG_ARGS_MAX], msg.flags, msg.token,
                       msg.cmdstr, msg.version, msg.spare, msg.spare2)
        saved = _state.debug
        _state.debug = saved - 4  # as debug.c: the decoding itself is not logged
        try:
            cs, _ = self.NgMkSockNode(None, False)
            try:
                self.NgSendMsg(cs, path, NGM_GENERIC_COOKIE, NGM_BINARY2ASCII, inner.encode())
                reply, _ = self.NgAllocRecvMsg(cs)
            finally:
                self.transport.close(cs)
            ascii = NgMesg.decode_header(reply.data)[0]
            text = _text(reply.data[HEADER_SIZE:]).decode("latin-1")
        except OSError as exc:
            failure: Optional[OSError] = exc
        else:
            failure = None
        finally:
            _state.debug = saved
        if failure is not None:
            self._logx(f"  [error decoding message: {os.strerror(failure.errno or errno.EIO)}]")
            return False
        self._logx(f"  cmd    {ascii.cmdstr} ({_signed(msg.cmd)})")
        self._logx(f"  args   {text}")
        return True

    # --- sockets and names ----------------------------------------------------------------

    def NgMkSockNode(self, name: Optional[str] = None, data: bool = True) -> Tuple[int, Optional[int]]:
        """Create a socket node: ``(control fd, data fd or None)``; ``name`` names it."""
        command = "NgMkSockNode"
        t = self.transport
        name = (name or "")[: NG_NODESIZ - 1] or None
        try:
            cs = t.socket(NG_CONTROL)
        except OSError as exc:
            self._log("socket", exc.errno or 0)
            raise _fail(exc, command, name) from None
        ds: Optional[int] = None
        try:
            if name is not None:
                try:
                    t.bind(cs, name)
                except OSError as exc:
                    self._log(f"bind({name})", exc.errno or 0)
                    raise
                text = name
            elif data:
                self.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
                reply, _ = self.NgRecvMsg(cs, HEADER_SIZE + NodeInfo.SIZE)
                text = f"[{NodeInfo.decode(reply.data).id:x}]"
            if data:
                ds = t.socket(NG_DATA)
                try:
                    t.connect(ds, text + ":")
                except OSError as exc:
                    self._log(f"connect({text}:)", exc.errno or 0)
                    raise
        except OSError as exc:
            for fd in (ds, cs):
                if fd is not None:
                    t.close(fd)
            raise _fail(exc, command, name) from None
        return cs, ds

    def NgNameNode(self, cs: int, path: str, name: str) -> None:
        """Give the node at ``path`` the global name ``name`` (NGM_NAME)."""
        command = f"NgNameNode {name!r}"
        try:
            raw = name.encode("latin-1")[: NG_NODESIZ - 1].ljust(NG_NODESIZ, b"\0")
        except UnicodeEncodeError:
            raise NetgraphError.from_host(errno.EINVAL, "node name is not latin-1", path=path,
                                          command=command) from None
        try:
            self._send(cs, path, NGM_GENERIC_COOKIE, NGM_NAME, raw, command)
        except OSError:
            if _state.debug >= 1:
                self._logx("NgNameNode: failed")
            raise

    # --- control messages ---------------------------------------------------------------

    def NgSendMsg(self, cs: int, path: str, cookie: int, cmd: int, args: Buffer = b"") -> int:
        """Send a binary control message; returns its token (waits for input after HASREPLY)."""
        return self._send(cs, path, cookie, cmd, args, None)

    def _send(self, cs: int, path: str, cookie: int, cmd: int, args: Buffer, command: Optional[str]) -> int:
        """Send a new message; ``command`` None names it ``NgSendMsg cookie C cmd N`` (built on failure only)."""
        if not (_INT_MIN <= cookie <= _UINT_MAX and _INT_MIN <= cmd <= _UINT_MAX):  # C's int arguments
            raise NetgraphError.from_fbsd(Errno.EINVAL, f"cookie {cookie} or cmd {cmd} does not fit 32 bits",
                                          path=path, command=command or "NgSendMsg")
        token = _state.next_token()
        wire_cmd = cmd & 0xFFFFFFFF
        cmdstr = _cmdstrs.get(wire_cmd)
        if cmdstr is None:
            if len(_cmdstrs) >= 4096:
                _cmdstrs.clear()
            cmdstr = _cmdstrs[wire_cmd] = f"cmd{_signed(cmd)}"
        if _state.debug >= 2:
            msg = NgMesg(wire_cmd, cookie & 0xFFFFFFFF, bytes(args), 0, token, cmdstr)
            self._deliver(cs, path, msg, command or f"NgSendMsg cookie {cookie} cmd {cmd}")
        else:  # the common case: straight to the wire form
            raw = encode_message(wire_cmd, cookie & 0xFFFFFFFF, args, 0, token, cmdstr)
            self._transmit(cs, path[: NG_PATHSIZ - 1], raw, bool(wire_cmd & NGM_HASREPLY),
                           command, (cookie, cmd))
        return token

    def _deliver(self, cs: int, path: str, msg: NgMesg, command: str) -> None:
        path = path[: NG_PATHSIZ - 1]
        if _state.debug >= 2:
            self._logx("SENDING RESPONSE:" if msg.flags & NGF_RESP else "SENDING MESSAGE:")
            self._debug_sockaddr(path)
            self._debug_msg(msg, path)
        hasreply = bool(msg.cmd & NGM_HASREPLY and not msg.flags & NGF_RESP)
        self._transmit(cs, path, msg.encode(), hasreply, command, (0, 0))

    def _transmit(self, cs: int, path: str, raw: bytes, hasreply: bool, command: Optional[str],
                  what: Tuple[int, int]) -> None:
        """sendto() one encoded message; after a HASREPLY request wait for input on ``cs``."""
        try:
            self.transport.sendto(cs, raw, path)
        except OSError as exc:
            self._log(f"sendto({path})", exc.errno or 0)
            raise _fail(exc, command or "NgSendMsg cookie %d cmd %d" % what, path) from None
        if hasreply:
            poller = select.poll()
            poller.register(cs, select.POLLIN)
            try:
                poller.poll()
            except OSError as exc:
                self._log("poll", exc.errno or 0)
                raise _fail(exc, command or "NgSendMsg cookie %d cmd %d" % what, path) from None

    def NgSendAsciiMsg(self, cs: int, path: str, text: str) -> int:
        """Send a message written in ASCII (``"cmd args"``); returns the second token."""
        line = text.lstrip(_WHITESPACE)
        word = line
        args = ""
        for i, ch in enumerate(line):
            if ch in _WHITESPACE:
                word, args = line[:i], line[i:].lstrip(_WHITESPACE)
                break
        command = f"NgSendAsciiMsg {word!r}"
        try:
            request = NgMesg(0, 0, args.encode("latin-1") + b"\0", 0, 0,
                             word.encode("latin-1")[:31].decode("latin-1"), version=0)
            raw = request.encode()
        except (UnicodeEncodeError, NetgraphError) as exc:
            raise NetgraphError.from_host(errno.EINVAL, str(exc), path=path,
                                          command=command) from None
        self.NgSendMsg(cs, path, NGM_GENERIC_COOKIE, NGM_ASCII2BINARY, raw)
        reply, _ = self.NgAllocRecvMsg(cs)
        converted = bytearray(reply.data)
        if converted:
            converted[0] = 8  # the library sets the version (ours was 0) and a fresh token
        try:
            binary = NgMesg.decode(converted)
        except NetgraphError as exc:
            raise _fail(exc, command, path) from None
        binary.token = _state.next_token()
        self._deliver(cs, path, binary, command)
        return binary.token

    def NgSendReplyMsg(self, cs: int, path: str, msg: NgMesg, args: Buffer = b"") -> None:
        """Answer ``msg``: its header with flags forced to NGF_RESP, and ``args``."""
        reply = NgMesg(msg.cmd, msg.typecookie, bytes(args), NGF_RESP, msg.token, msg.cmdstr,
                       msg.version, msg.spare, msg.spare2)
        self._deliver(cs, path, reply, f"NgSendReplyMsg cmd {msg.cmd}")

    def _recv(self, fd: int, bufsize: int, command: str) -> Tuple[bytes, str]:
        try:
            return self.transport.recvfrom(fd, bufsize)
        except OSError as exc:
            self._log("recvfrom", exc.errno or 0)
            raise _fail(exc, command, None) from None

    def NgRecvMsg(self, cs: int, bufsize: int) -> Tuple[NgMesg, str]:
        """Receive the next control message (cut to ``bufsize`` bytes) and the sender's path."""
        raw, path = self._recv(cs, bufsize, "NgRecvMsg")
        msg = _decode(raw, "NgRecvMsg", path)
        if _state.debug >= 2:
            self._logx("RECEIVED RESPONSE:" if msg.flags & NGF_RESP else "RECEIVED MESSAGE:")
            self._debug_sockaddr(path, 16)
            self._debug_msg(msg, path)
        return msg, path

    def getsockname(self, fd: int) -> bytes:
        """getsockname() of a netgraph socket: FreeBSD 14's raw 34-byte ``sockaddr_ng``
        (``sg_data`` holds the node's name, or ``"[id]"``, NUL-padded)."""
        try:
            return self.transport.getsockname(fd)
        except OSError as exc:
            raise _fail(exc, "getsockname", None) from None

    def rcvbuf(self, fd: int) -> int:
        """SO_RCVBUF of ``fd``: the buffer size of the NgAlloc* functions."""
        try:
            sock = socket.socket(fileno=fd)  # may refuse a family Python does not know
        except OSError:
            return _DEFAULT_RCVBUF
        try:
            return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) or _DEFAULT_RCVBUF
        except OSError:
            return _DEFAULT_RCVBUF
        finally:
            sock.detach()

    def NgAllocRecvMsg(self, cs: int) -> Tuple[NgMesg, str]:
        """Receive the next control message into a buffer of SO_RCVBUF bytes."""
        return self.NgRecvMsg(cs, self.rcvbuf(cs))

    def NgRecvAsciiMsg(self, cs: int, bufsize: int = 65536) -> Tuple[NgMesg, str]:
        """Receive the next message with its arguments as ASCII text in ``msg.data``.

        As in C the header is the binary one (``cmdstr`` and ``arglen`` unchanged);
        the text is converted by the message's sender (BINARY2ASCII to its path).
        """
        msg, path = self.NgRecvMsg(cs, 2 * HEADER_SIZE + bufsize)
        self.NgSendMsg(cs, path, NGM_GENERIC_COOKIE, NGM_BINARY2ASCII, msg.encode())
        reply, _ = self.NgRecvMsg(cs, 2 * HEADER_SIZE + bufsize)
        text = _text(reply.data[HEADER_SIZE:])
        if HEADER_SIZE + len(text) + 1 > bufsize:
            raise NetgraphError.from_host(errno.ERANGE, "text does not fit the buffer",
                                          path=path, command="NgRecvAsciiMsg")
        header = NgMesg(msg.cmd, msg.typecookie, text, msg.flags, msg.token, msg.cmdstr,
                        msg.version, msg.spare, msg.spare2)
        return header, path

    def NgAllocRecvAsciiMsg(self, cs: int) -> Tuple[NgMesg, str]:
        """:meth:`NgRecvAsciiMsg` with a buffer of SO_RCVBUF bytes."""
        return self.NgRecvAsciiMsg(cs, self.rcvbuf(cs))

    # --- data ---------------------------------------------------------------------------

    def NgSendData(self, ds: int, hook: Optional[str], data: Buffer) -> None:
        """Send a packet out of our hook ``hook``; ``None``: plain send() (one hook only)."""
        payload = bytes(data)
        if hook is not None:
            hook = hook[: NG_HOOKSIZ - 1]
        if _state.debug >= 2:
            self._logx(f'WRITE PACKET to hook "{hook or ""}" ({len(payload)} bytes)')
            self._debug_sockaddr(hook or "")
            if _state.debug >= 3:
                for line in hexdump(payload):
                    self._logx(line)
        try:
            self.transport.sendto(ds, payload, hook)
        except OSError as exc:
            self._log(f"sendto({hook or ''})", exc.errno or 0)
            raise _fail(exc, "NgSendData", hook) from None

    def NgRecvData(self, ds: int, bufsize: int) -> Tuple[bytes, str]:
        """Receive one packet (cut to ``bufsize``) and the hook it arrived on; EOF: ``(b"", "")``."""
        data, hook = self._recv(ds, bufsize, "NgRecvData")
        if _state.debug >= 2:
            what = "READ PACKET" if data or hook else "READ EOF"
            self._logx(f'{what} from hook "{hook}" ({len(data)} bytes)')
            self._debug_sockaddr(hook)
            if _state.debug >= 3:
                for line in hexdump(data):
                    self._logx(line)
        return data, hook

    def NgAllocRecvData(self, ds: int) -> Tuple[bytes, str]:
        """Receive one packet into a buffer of SO_RCVBUF bytes."""
        return self.NgRecvData(ds, self.rcvbuf(ds))

    # --- debugging ------------------------------------------------------------------------

    def NgSetDebug(self, level: int) -> int:
        """Set the debug level if ``level >= 0``; always returns the previous level."""
        with _state.lock:
            previous = _state.debug
            if level >= 0:
                _state.debug = level
            return previous

    def NgSetErrLog(self, log: Optional[LogFunc], logx: Optional[LogFunc]) -> None:
        """Route log lines: ``log`` gets failures (with strerror), ``logx`` the rest; None: default."""
        _state.log = log or _default_log
        _state.logx = logx or _default_logx
