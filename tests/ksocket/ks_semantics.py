"""The socket-semantics table: one list of cases, run on a ksocket and on a raw Linux socket.

Each :class:`Case` is a short program of socket operations on one socket of a
``family/type/protocol``; its result is the outcome of the last step.  The
``freebsd`` column is decided by FreeBSD's source (``source`` names the
functions); ``linux`` is what the same program gives on a raw Linux socket;
the emulator must give ``freebsd`` unless ``emulated`` says otherwise (and
``note`` says why).  tests/ksocket/test_ksocket_semantics.py runs every case
both ways and checks docs/SOCKETS.md holds exactly the table :func:`markdown`
makes (``PYTHONPATH=. python3 tests/ksocket/ks_semantics.py`` prints it).

Results: ``ok``; an errno name; ``EINPROGRESS, then X`` for a connect whose
reply follows; GETOPT values as the ints of the value (``128 5`` for a
linger); GETNAME/GETPEERNAME addresses with ``{PORT}`` for the case's port.
A ``linux`` value starting with ``~`` depends on the host and is not checked.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple

from pyngraph.abi import constants as c

Step = Tuple[Any, ...]


@dataclass(frozen=True)
class Case:
    hook: str  # the ksocket hook name: family/type/protocol
    what: str  # the operation, as the table shows it
    steps: Tuple[Step, ...]
    freebsd: str
    source: str  # FreeBSD function(s) that decide the row
    linux: str
    emulated: Optional[str] = None  # the emulator's result where it differs from FreeBSD
    note: str = ""
    helper: Optional[str] = None  # a host socket holding the case's port first: "udp4", "tcp4", "udp6", "tcp6"

    @property
    def ident(self) -> str:
        return f"{self.hook} {self.what}"


def _i(value: int) -> bytes:
    return struct.pack("=i", value)


S, IP, IP6, TCP = c.SOL_SOCKET, c.IPPROTO_IP, c.IPPROTO_IPV6, c.IPPROTO_TCP
L4, L4ANY, L6 = "127.0.0.1", "0.0.0.0", "::1"
UDP, TCPS, UDP6 = "inet/dgram/udp", "inet/stream/tcp", "inet6/dgram/17"  # protocol names are inet-only
LDG, LST, LSP = "local/dgram/0", "local/stream/0", "local/seqpacket/0"
RAW = "inet/raw/icmp"
BIND_PORT = (("bind", L4, "{PORT}"),)


def _flag(hook: str, level: int, name: int, label: str, bit: int, source: str, set_first: Tuple[Step, ...] = (),
          linux: str = "1") -> Case:
    return Case(hook, f"getopt {label} after setting 1", set_first + (("setopt", level, name, _i(1)),
                                                                       ("getopt", level, name)),
                str(bit), source, linux)


CASES: List[Case] = [
    # --- bind ------------------------------------------------------------------------------
    Case(UDP, "bind 127.0.0.1:0", (("bind", L4, 0),), "ok", "in_pcbbind_setup: ephemeral port", "ok"),
    Case(UDP, "bind 0.0.0.0 (wildcard)", (("bind", L4ANY, "{PORT}"),), "ok", "in_pcbbind_setup", "ok"),
    Case(UDP, "bind a port another UDP socket holds", BIND_PORT, "EADDRINUSE",
         "in_pcbbind_setup → in_pcblookup_local", "EADDRINUSE", helper="udp4"),
    Case(TCPS, "bind a port a TCP listener holds", BIND_PORT, "EADDRINUSE",
         "in_pcbbind_setup → in_pcblookup_local", "EADDRINUSE", helper="tcp4"),
    Case(UDP, "bind again (rebind)", (("bind", L4, 0), ("bind", L4, 0)), "EINVAL",
         "in_pcbbind: already has a local port", "EINVAL"),
    Case(TCPS, "bind a privileged port as root", (("bind", L4, "{LOWPORT}"),), "ok",
         "in_pcbbind_setup: priv_check_cred(PRIV_NETINET_RESERVEDPORT)", "ok"),
    Case(UDP, "bind 127.0.0.2 (not an address of lo0)", (("bind", "127.0.0.2", 0),), "EADDRNOTAVAIL",
         "in_pcbbind_setup: ifa_ifwithaddr_check", "ok", emulated="ok",
         note="Linux's lo owns all of 127.0.0.0/8; FreeBSD's lo0 has 127.0.0.1 only"),
    Case(UDP6, "bind [::1]:0", (("bind", L6, 0),), "ok", "in6_pcbbind", "ok"),
    Case(UDP6, "bind [::] on a port an inet socket holds", (("bind", "::", "{PORT}"),), "ok",
         "in6_pcbbind: v6only (net.inet6.ip6.v6only=1) ignores inet sockets", "EADDRINUSE", helper="udp4any"),
    Case(UDP6, "getopt IPV6_V6ONLY of a new socket", (("getopt", IP6, c.IPV6_V6ONLY),), "1",
         "in_pcballoc: IN6P_IPV6_V6ONLY from V_ip6_v6only; ip6_ctloutput OPTBIT", "0"),
    Case(UDP6, "setopt IPV6_V6ONLY after bind", (("bind", L6, 0), ("setopt", IP6, c.IPV6_V6ONLY, _i(0))),
         "EINVAL", "ip6_ctloutput: local port already set", "EINVAL"),
    Case(LDG, "bind a path", (("bind", "local", "{DIR}/a"),), "ok", "unp_bind", "ok"),
    Case(LDG, "bind a path that exists", (("bind", "local", "{DIR}/a"), ("rebind_other", "{DIR}/a")),
         "EADDRINUSE", "unp_bind: namei finds the vnode", "EADDRINUSE"),
    Case(LDG, "bind an empty path (no abstract namespace)", (("bind", "local", ""),), "ENOENT",
         "unp_bind → namei(\"\")", "~autobind (abstract name)"),
    Case(LDG, "bind sun_len 107 (longer than sockaddr_un)", (("bind_raw", bytes((107, c.AF_LOCAL)) + b"x" * 105),),
         "EINVAL", "unp_bind: sa_len > sizeof(struct sockaddr_un)", "~n/a (Linux has no sun_len)"),
    # --- connect ---------------------------------------------------------------------------
    Case(UDP, "connect 127.0.0.1:0", (("connect", L4, 0),), "EADDRNOTAVAIL",
         "in_pcbconnect_setup: zero port", "ok"),
    Case(TCPS, "connect 127.0.0.1:0", (("connect", L4, 0),), "EADDRNOTAVAIL",
         "tcp_connect → in_pcbconnect_setup", "ECONNREFUSED"),
    Case(UDP6, "connect [::1]:0", (("connect", L6, 0),), "EADDRNOTAVAIL", "in6_pcbconnect → in6_pcbladdr",
         "ok"),
    Case(UDP6, "connect ::ffff:127.0.0.1 (IPv4-mapped)", (("connect", "::ffff:127.0.0.1", "{PORT}"),), "EINVAL",
         "udp6_connect: IPv4-mapped on an IN6P_IPV6_V6ONLY socket", "ok"),
    Case(RAW, "connect 127.0.0.1 with port 0", (("connect", L4, 0),), "ok", "rip_connect: raw sockets have no port",
         "ok"),
    Case(UDP, "connect 0.0.0.0 (INADDR_ANY)", (("connect", L4ANY, "{PORT}"),), "ok",
         "in_pcbconnect_setup: the wildcard means a local address", "ok"),
    Case(TCPS, "connect a port nobody listens on", (("connect", L4, "{PORT}"),), "EINPROGRESS, then ECONNREFUSED",
         "ng_ksocket_rcvmsg CONNECT: soconnect non-blocking, reply from the upcall", "ECONNREFUSED"),
    Case(UDP, "connect again elsewhere (reconnect)", (("connect", L4, "{PORT}"), ("connect", L4, "{PORT2}")),
         "ok", "soconnectat: sodisconnect first (no PR_CONNREQUIRED)", "ok"),
    Case(TCPS, "connect while connected", (("connect", L4, "{PORT}"), ("connect", L4, "{PORT}")), "EISCONN",
         "soconnectat: PR_CONNREQUIRED and connected", "EISCONN", helper="tcp4"),
    Case(UDP, "connect with an AF_UNSPEC address", (("connect_raw", bytes((16, c.AF_UNSPEC)) + bytes(14)),),
         "EAFNOSUPPORT", "soconnectat (disconnects) → udp_connect: family", "~disconnects, ok",
         note="FreeBSD disconnects before refusing; the emulator refuses without disconnecting"),
    Case(UDP, "connect 255.255.255.255 without SO_BROADCAST", (("connect", "255.255.255.255", "{PORT}"),), "ok",
         "in_pcbconnect_setup (ip_output refuses the sends: EACCES)", "EACCES", emulated="EACCES",
         note="Linux refuses at connect (ip4_datagram_connect); FreeBSD at the first send"),
    # --- listen / accept ----------------------------------------------------------------------
    Case(UDP, "listen", (("listen", 5),), "EOPNOTSUPP", "solisten → pr_listen_notsupp", "EOPNOTSUPP"),
    Case(TCPS, "listen twice", (("bind", L4, 0), ("listen", 5), ("listen", 7)), "ok",
         "solisten_proto: a listening socket takes the new backlog", "ok"),
    Case(TCPS, "listen with backlog 0", (("bind", L4, 0), ("listen", 0)), "ok", "solisten_proto", "ok"),
    Case(TCPS, "listen with backlog -1", (("bind", L4, 0), ("listen", -1)), "ok",
         "solisten_proto: negative means somaxconn", "ok"),
    Case(TCPS, "listen unbound", (("listen", 5),), "ok", "tcp_usr_listen: in_pcbbind of port 0", "ok"),
    Case(LST, "listen unbound", (("listen", 5),), "EDESTADDRREQ", "uipc_listen: no vnode",
         "~ok (autobinds an abstract name)"),
    Case(LSP, "listen unbound", (("listen", 5),), "EDESTADDRREQ", "uipc_listen: no vnode",
         "~ok (autobinds an abstract name)"),
    Case(LSP, "listen on a bound path", (("bind", "local", "{DIR}/s"), ("listen", 5)), "ok", "uipc_listen",
         "ok"),
    Case(RAW, "listen", (("listen", 5),), "EOPNOTSUPP", "solisten → pr_listen_notsupp (rip)", "EOPNOTSUPP"),
    Case(LDG, "listen", (("bind", "local", "{DIR}/d"), ("listen", 5)), "EOPNOTSUPP",
         "uipc_listen is not in the dgram protosw", "EOPNOTSUPP"),
    Case(TCPS, "accept when not listening", (("accept",),), "EINVAL",
         "ng_ksocket_rcvmsg ACCEPT: SO_ACCEPTCONN unset", "~EINVAL (accept(2))"),
    Case(TCPS, "accept twice while one is pending", (("bind", L4, 0), ("listen", 5), ("accept",), ("accept",)),
         "EALREADY", "ng_ksocket_rcvmsg ACCEPT: KSF_ACCEPTING", "~n/a (accept(2) blocks)"),
    # --- getname / getpeername -------------------------------------------------------------------
    Case(UDP, "getname before bind", (("getname",),), "0.0.0.0:0", "in_getsockaddr", "0.0.0.0:0"),
    Case(UDP, "getname after bind", BIND_PORT + (("getname",),), "127.0.0.1:{PORT}", "in_getsockaddr",
         "127.0.0.1:{PORT}"),
    Case(UDP, "getpeername unconnected", (("getpeername",),), "ENOTCONN",
         "sopeeraddr: not SS_ISCONNECTED", "ENOTCONN"),
    Case(UDP, "getpeername after connect", (("connect", L4, "{PORT}"), ("getpeername",)), "127.0.0.1:{PORT}",
         "in_getpeeraddr", "127.0.0.1:{PORT}"),
    Case(UDP6, "getname after bind", (("bind", L6, "{PORT}"), ("getname",)), "::1:{PORT}", "in6_getsockaddr",
         "::1:{PORT}"),
    Case(LDG, "getname unbound", (("getname",),), "noname",
         "uipc_sockaddr: sun_noname (16 bytes, no path)", "~empty"),
    Case(LDG, "getname after bind", (("bind", "local", "{DIR}/n"), ("getname",)), "{DIR}/n", "uipc_sockaddr",
         "{DIR}/n"),
    # --- SOL_SOCKET options ------------------------------------------------------------------------
    _flag(UDP, S, c.SO_REUSEADDR, "SO_REUSEADDR", c.SO_REUSEADDR, "sogetopt: so_options & name"),
    _flag(TCPS, S, c.SO_KEEPALIVE, "SO_KEEPALIVE", c.SO_KEEPALIVE, "sogetopt: so_options & name"),
    _flag(UDP, S, c.SO_BROADCAST, "SO_BROADCAST", c.SO_BROADCAST, "sogetopt: so_options & name"),
    _flag(UDP, S, c.SO_REUSEPORT, "SO_REUSEPORT", c.SO_REUSEPORT, "sogetopt: so_options & name"),
    _flag(UDP, S, c.SO_DONTROUTE, "SO_DONTROUTE", c.SO_DONTROUTE, "sogetopt: so_options & name"),
    _flag(UDP, S, c.SO_DEBUG, "SO_DEBUG", c.SO_DEBUG, "sogetopt: so_options & name"),
    _flag(TCPS, S, c.SO_OOBINLINE, "SO_OOBINLINE", c.SO_OOBINLINE, "sogetopt: so_options & name"),
    _flag(UDP, S, c.SO_TIMESTAMP, "SO_TIMESTAMP", c.SO_TIMESTAMP, "sogetopt: so_options & name"),
    _flag(UDP, S, c.SO_NOSIGPIPE, "SO_NOSIGPIPE", c.SO_NOSIGPIPE, "sogetopt: so_options & name",
          linux="~no such option"),
    _flag(UDP, S, c.SO_USELOOPBACK, "SO_USELOOPBACK", c.SO_USELOOPBACK, "sogetopt: so_options & name",
          linux="~no such option"),
    Case(TCPS, "getopt SO_LINGER after setting {1, 5}",
         (("setopt", S, c.SO_LINGER, struct.pack("=ii", 1, 5)), ("getopt", S, c.SO_LINGER)),
         "128 5", "sogetopt: l_onoff = so_options & SO_LINGER", "1 5"),
    Case(TCPS, "getopt SO_ACCEPTCONN when listening", (("bind", L4, 0), ("listen", 5),
                                                       ("getopt", S, c.SO_ACCEPTCONN)),
         str(c.SO_ACCEPTCONN), "sogetopt: so_options & name", "1"),
    Case(UDP, "getopt SO_TYPE", (("getopt", S, c.SO_TYPE),), str(c.SOCK_DGRAM), "sogetopt: so_type",
         str(c.SOCK_DGRAM)),
    Case(UDP, "getopt SO_PROTOCOL", (("getopt", S, c.SO_PROTOCOL),), "17", "sogetopt: pr_protocol", "17"),
    Case(UDP6, "getopt SO_DOMAIN", (("getopt", S, c.SO_DOMAIN),), str(c.AF_INET6), "sogetopt: dom_family",
         "~10 (Linux's AF_INET6)"),
    Case(UDP, "getopt SO_ERROR", (("getopt", S, c.SO_ERROR),), "0", "sogetopt: so_error", "0"),
    Case(UDP, "getopt SO_RCVBUF of a new socket", (("getopt", S, c.SO_RCVBUF),), "42080",
         "sogetopt: sb_hiwat; udp_recvspace = 40 * (1024 + sizeof(sockaddr_in6))", "~rmem_default"),
    Case(UDP, "getopt SO_SNDBUF of a new socket", (("getopt", S, c.SO_SNDBUF),), "9216",
         "sogetopt: sb_hiwat; udp_sendspace", "~wmem_default"),
    Case(TCPS, "getopt SO_RCVBUF of a new socket", (("getopt", S, c.SO_RCVBUF),), "65536",
         "sogetopt: sb_hiwat; tcp_recvspace", "~tcp_rmem"),
    Case(TCPS, "getopt SO_SNDBUF of a new socket", (("getopt", S, c.SO_SNDBUF),), "32768",
         "sogetopt: sb_hiwat; tcp_sendspace", "~tcp_wmem"),
    Case(LST, "getopt SO_RCVBUF of a new socket", (("getopt", S, c.SO_RCVBUF),), "8192",
         "sogetopt: sb_hiwat; unpst_recvspace (PIPSIZ)", "~rmem_default"),
    Case(LSP, "getopt SO_RCVBUF of a new socket", (("getopt", S, c.SO_RCVBUF),), "8192",
         "sogetopt: sb_hiwat; unpsp_recvspace (PIPSIZ)", "~rmem_default"),
    Case(LSP, "getopt SO_TYPE", (("getopt", S, c.SO_TYPE),), str(c.SOCK_SEQPACKET), "sogetopt: so_type",
         str(c.SOCK_SEQPACKET)),
    Case(RAW, "getopt SO_RCVBUF of a new socket", (("getopt", S, c.SO_RCVBUF),), "9216",
         "sogetopt: sb_hiwat; rip_recvspace", "~rmem_default"),
    Case(RAW, "getopt SO_PROTOCOL", (("getopt", S, c.SO_PROTOCOL),), "1", "sogetopt: pr_protocol (icmp)", "1"),
    Case(UDP, "getopt SO_RCVBUF after setting 65536",
         (("setopt", S, c.SO_RCVBUF, _i(65536)), ("getopt", S, c.SO_RCVBUF)), "65536",
         "sosetopt → sbsetopt → sbreserve_locked: sb_hiwat = the size", "131072"),
    Case(UDP, "setopt SO_RCVBUF 0", (("setopt", S, c.SO_RCVBUF, _i(0)),), "EINVAL", "sosetopt: optval < 1",
         "ok"),
    Case(UDP, "setopt SO_RCVBUF 4 MiB", (("setopt", S, c.SO_RCVBUF, _i(4 << 20)),), "ENOBUFS",
         "sbreserve_locked: above sb_max_adj (kern.ipc.maxsockbuf 2 MiB)", "ok"),
    Case(UDP, "getopt SO_RCVLOWAT", (("getopt", S, c.SO_RCVLOWAT),), "1", "sogetopt: sb_lowat", "1"),
    Case(UDP, "setopt SO_REUSEADDR with a 2-byte value", (("setopt", S, c.SO_REUSEADDR, b"\1\0"),), "EINVAL",
         "sooptcopyin: valsize < sizeof(int)", "EINVAL"),
    Case(UDP, "setopt an unknown SOL_SOCKET option", (("setopt", S, 0x7777, _i(1)),), "ENOPROTOOPT",
         "sosetopt: default", "~ENOPROTOOPT (no such number)"),
    Case(UDP, "setopt SO_NO_OFFLOAD", (("setopt", S, c.SO_NO_OFFLOAD, _i(1)),), "ok",
         "sosetopt: so_options flag", "~no such option", emulated="ENOPROTOOPT",
         note="changes how FreeBSD offloads; Linux has nothing to map it to"),
    # --- IPPROTO_IP ------------------------------------------------------------------------------
    Case(UDP, "getopt IP_TTL of a new socket", (("getopt", IP, c.IP_TTL),), "64",
         "ip_ctloutput: inp_ip_ttl = V_ip_defttl", "64"),
    Case(UDP, "getopt IP_TTL after setting 7", (("setopt", IP, c.IP_TTL, _i(7)), ("getopt", IP, c.IP_TTL)), "7",
         "ip_ctloutput", "7"),
    Case(UDP, "getopt IP_TOS after setting 0x10", (("setopt", IP, c.IP_TOS, _i(0x10)),
                                                   ("getopt", IP, c.IP_TOS)), "16", "ip_ctloutput", "16"),
    _flag(UDP, IP, c.IP_RECVTTL, "IP_RECVTTL", 1, "ip_ctloutput: OPTBIT(INP_RECVTTL)"),
    _flag(UDP, IP, c.IP_RECVDSTADDR, "IP_RECVDSTADDR", 1, "ip_ctloutput: OPTBIT(INP_RECVDSTADDR)",
          linux="~no such option"),
    Case(UDP, "getopt IP_MULTICAST_TTL of a new socket", (("getopt", IP, c.IP_MULTICAST_TTL),), "1",
         "inp_getmoptions: IP_DEFAULT_MULTICAST_TTL", "1"),
    Case(UDP, "getopt IP_MULTICAST_LOOP of a new socket", (("getopt", IP, c.IP_MULTICAST_LOOP),), "1",
         "inp_getmoptions: IP_DEFAULT_MULTICAST_LOOP", "1"),
    Case(UDP, "setopt IP_HDRINCL on UDP", (("setopt", IP, c.IP_HDRINCL, _i(1)),), "ENOPROTOOPT",
         "ip_ctloutput: IP_HDRINCL is rip_ctloutput's", "ENOPROTOOPT"),
    Case(UDP, "getopt IP_MINTTL after setting 255", (("setopt", IP, c.IP_MINTTL, _i(255)),
                                                     ("getopt", IP, c.IP_MINTTL)), "255", "ip_ctloutput", "255"),
    # --- IPPROTO_IPV6 ----------------------------------------------------------------------------
    Case(UDP6, "getopt IPV6_UNICAST_HOPS of a new socket", (("getopt", IP6, c.IPV6_UNICAST_HOPS),), "-1",
         "ip6_ctloutput: in6p_hops, -1 until set", "64"),
    Case(UDP6, "getopt IPV6_UNICAST_HOPS after setting 9", (("setopt", IP6, c.IPV6_UNICAST_HOPS, _i(9)),
                                                            ("getopt", IP6, c.IPV6_UNICAST_HOPS)),
         "9", "ip6_ctloutput", "9"),
    Case(UDP6, "getopt IPV6_MULTICAST_HOPS of a new socket", (("getopt", IP6, c.IPV6_MULTICAST_HOPS),), "1",
         "ip6_getmoptions: V_ip6_defmcasthlim", "1"),
    _flag(UDP6, IP6, c.IPV6_RECVPKTINFO, "IPV6_RECVPKTINFO", 1, "ip6_ctloutput: OPTBIT(IN6P_PKTINFO)"),
    # --- IPPROTO_TCP -------------------------------------------------------------------------------
    _flag(TCPS, TCP, c.TCP_NODELAY, "TCP_NODELAY", c.TF_NODELAY, "tcp_default_ctloutput: t_flags & TF_NODELAY"),
    _flag(TCPS, TCP, c.TCP_NOPUSH, "TCP_NOPUSH", c.TF_NOPUSH, "tcp_default_ctloutput: t_flags & TF_NOPUSH",
          linux="~TCP_CORK: 1"),
    Case(TCPS, "getopt TCP_MAXSEG of a new socket", (("getopt", TCP, c.TCP_MAXSEG),), "536",
         "tcp_default_ctloutput: t_maxseg = V_tcp_mssdflt", "536"),
    Case(TCPS, "getopt TCP_KEEPIDLE of a new socket", (("getopt", TCP, c.TCP_KEEPIDLE),), "7200",
         "tcp_default_ctloutput: TP_KEEPIDLE / hz", "7200"),
    Case(TCPS, "getopt TCP_KEEPINTVL of a new socket", (("getopt", TCP, c.TCP_KEEPINTVL),), "75",
         "tcp_default_ctloutput: TP_KEEPINTVL / hz", "75"),
    Case(TCPS, "getopt TCP_KEEPCNT of a new socket", (("getopt", TCP, c.TCP_KEEPCNT),), "8",
         "tcp_default_ctloutput: TP_KEEPCNT (TCPTV_KEEPCNT)", "9"),
    Case(TCPS, "getopt TCP_INFO", (("getopt", TCP, c.TCP_INFO),), "struct tcp_info",
         "tcp_default_ctloutput: tcp_fill_info", "~Linux's struct tcp_info", emulated="ENOPROTOOPT",
         note="the two structs differ field by field; no faithful translation"),
    Case(TCPS, "setopt TCP_NOOPT", (("setopt", TCP, c.TCP_NOOPT, _i(1)),), "ok",
         "tcp_default_ctloutput: TF_NOOPT", "~no such option", emulated="ENOPROTOOPT",
         note="Linux cannot turn TCP options off"),
]


def markdown() -> str:
    """The table as docs/SOCKETS.md shows it."""
    lines = ["| socket | operation | FreeBSD | decided by | Linux raw | emulator | why they differ |",
             "|---|---|---|---|---|---|---|"]
    for case in CASES:
        cells = [case.hook, case.what, case.freebsd, case.source, case.linux.lstrip("~"),
                 case.emulated or "= FreeBSD", case.note]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


# --- running a case ---------------------------------------------------------------------------

ErrnoName = Callable[[int], str]


def fbsd_errno_name(number: int) -> str:
    return c.Errno(number).name


def host_errno_name(number: int) -> str:
    if number == errno.EOPNOTSUPP:  # Linux's ENOTSUP is the same number
        return "EOPNOTSUPP"
    return errno.errorcode.get(number, str(number))


def format_ints(value: bytes) -> str:
    count = len(value) // 4
    return " ".join(str(v) for v in struct.unpack(f"={count}i", value[: 4 * count]))


def format_address(address: Any, ports: dict, tmpdir: str) -> str:
    if isinstance(address, tuple):
        port = {v: k for k, v in ports.items()}.get(address[1], str(address[1]))
        return f"{address[0]}:{port}"
    if not address:
        return "noname"
    text = os.fsdecode(address)
    return text.replace(tmpdir, "{DIR}") if tmpdir else text


def free_port(kind: int, family: int = socket.AF_INET) -> int:
    with socket.socket(family, kind) as s:
        s.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
        return int(s.getsockname()[1])


def low_port() -> int:
    """A free privileged TCP port on 127.0.0.1 (we run as root)."""
    for port in range(1023, 600, -1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise OSError(errno.EADDRINUSE, "no free privileged port")


class Ports:
    """The case's ports ({PORT}, {PORT2}, {LOWPORT}) and its helper socket."""

    def __init__(self, case: Case) -> None:
        kind = socket.SOCK_STREAM if "stream" in case.hook else socket.SOCK_DGRAM
        family = socket.AF_INET6 if case.hook.startswith("inet6") else socket.AF_INET
        self.values = {"{PORT}": free_port(kind, family), "{PORT2}": free_port(kind, family)}
        if any("{LOWPORT}" in step for step in case.steps):
            self.values["{LOWPORT}"] = low_port()
        self.helper: Optional[socket.socket] = None
        if case.helper:
            hfamily = socket.AF_INET6 if case.helper.endswith("6") else socket.AF_INET
            hkind = socket.SOCK_STREAM if case.helper.startswith("tcp") else socket.SOCK_DGRAM
            if case.helper == "udp4any":
                host = "0.0.0.0"
            else:
                host = "::1" if hfamily == socket.AF_INET6 else "127.0.0.1"
            self.helper = socket.socket(hfamily, hkind)
            port = free_port(hkind, hfamily)
            self.helper.bind((host, port))
            if hkind == socket.SOCK_STREAM:
                self.helper.listen(5)
            self.values["{PORT}"] = port

    def port(self, value: Any) -> Any:
        return self.values.get(value, value) if isinstance(value, str) else value

    def close(self) -> None:
        if self.helper is not None:
            self.helper.close()


if __name__ == "__main__":
    print(markdown(), end="")
