"""Is this host ready for the FreeBSD backends?  Each check names what is missing.

Order: FreeBSD at all; the ng_socket and ng_ksocket kernel modules;
``net.graph.msg_version`` == 8; root (``PRIV_NETGRAPH_CONTROL``); libnetgraph
(only for the ctypes backend); finally a real control socket is opened and
closed, which is what every later call depends on.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from typing import Callable, Iterable, List, Optional

from ...abi.constants import NG_VERSION, PF_NETGRAPH, SOCK_DGRAM
from ...abi.nodetypes.ng_socket import NG_CONTROL
from ...errors import NetgraphError, UnavailableError
from . import libpath
from .libc import libc

#: The kernel modules the backends need (module names as ``kldstat -m`` shows them).
REQUIRED_MODULES = ("ng_socket", "ng_ksocket")

_COMMAND = "freebsd backend"


class NotReadyError(UnavailableError):
    """The FreeBSD backend cannot run here; the message says what is missing and how to fix it."""


def _not_ready(host_errno: int, detail: str) -> NotReadyError:
    return NotReadyError(host_errno, detail, command=_COMMAND)


def require_freebsd(platform: Optional[str] = None) -> None:
    """Refuse to touch PF_NETGRAPH anywhere but FreeBSD (number 32 means other things elsewhere)."""
    platform = sys.platform if platform is None else platform
    if not platform.startswith("freebsd"):
        raise _not_ready(
            errno.EAFNOSUPPORT,
            f"not FreeBSD: sys.platform is {platform!r}; the freebsd backends need a FreeBSD "
            "kernel with netgraph (use the 'emulated' backend elsewhere)",
        )


def modules_error(missing: Iterable[str]) -> Optional[NotReadyError]:
    """The error for kernel modules that are not loaded (``None`` when none are missing)."""
    names: List[str] = list(missing)
    if not names:
        return None
    loads = " ".join(f'{name}_load="YES"' for name in names)
    code = errno.EAFNOSUPPORT if "ng_socket" in names else errno.ENXIO
    return _not_ready(
        code,
        f"netgraph kernel modules not loaded: {', '.join(names)}; as root run "
        f"'kldload {' '.join(names)}' (to load them at boot add {loads} to /boot/loader.conf)",
    )


def msg_version_error(version: Optional[int]) -> Optional[NotReadyError]:
    """The error for a kernel whose ``net.graph.msg_version`` is not ours (``None`` if it is)."""
    if version == NG_VERSION:
        return None
    if version is None:
        return _not_ready(errno.EAFNOSUPPORT, "sysctl net.graph.msg_version is missing: netgraph is not loaded "
                          "(as root run 'kldload netgraph ng_socket ng_ksocket')")
    return _not_ready(errno.EPROTONOSUPPORT, f"sysctl net.graph.msg_version is {version}; pyngraph speaks "
                      f"netgraph message version {NG_VERSION}")


def root_error(euid: int) -> Optional[NotReadyError]:
    """The error for a non-root user: creating a socket node needs PRIV_NETGRAPH_CONTROL."""
    if euid == 0:
        return None
    return _not_ready(errno.EPERM, f"creating a netgraph socket node needs root (PRIV_NETGRAPH_CONTROL); "
                      f"effective uid is {euid}: run as root (e.g. with sudo)")


def library_error(found: List[str]) -> Optional[NotReadyError]:
    """The error when libnetgraph cannot be found (the 'freebsd-sockets' backend does not need it)."""
    if found:
        return None
    return _not_ready(errno.ENOENT, f"{libpath.SONAME} not found (looked at {libpath.describe_search()}); "
                      "the 'freebsd-sockets' backend works without it")


def sysctl_int(name: str) -> Optional[int]:
    """An integer sysctl through sysctlbyname(3); ``None`` when the OID does not exist."""
    value = ctypes.c_int()
    size = ctypes.c_size_t(ctypes.sizeof(value))
    if libc().sysctlbyname(name.encode("ascii"), ctypes.byref(value), ctypes.byref(size), None, 0) < 0:
        err = ctypes.get_errno()
        if err == errno.ENOENT:
            return None
        raise NetgraphError.from_host(err, path=name, command="sysctlbyname")
    return value.value


def missing_modules() -> List[str]:
    """The modules of :data:`REQUIRED_MODULES` that modfind(2) does not know."""
    return [name for name in REQUIRED_MODULES if libc().modfind(name.encode("ascii")) < 0]


def _probe() -> None:
    """Open and close one control socket (a socket node is made and destroyed)."""
    fd = libc().socket(PF_NETGRAPH, SOCK_DGRAM, NG_CONTROL)
    if fd < 0:
        err = ctypes.get_errno()
        raise _not_ready(err, "opening a control socket, socket(PF_NETGRAPH, SOCK_DGRAM, NG_CONTROL), failed")
    os.close(fd)


def check_ready(library: bool = True) -> None:
    """Raise :class:`NotReadyError` naming the first missing piece; return when all is in place.

    ``library=False`` skips the libnetgraph check (the 'freebsd-sockets' backend).
    """
    require_freebsd()
    problems: List[Callable[[], Optional[OSError]]] = [
        lambda: modules_error(missing_modules()),
        lambda: msg_version_error(sysctl_int("net.graph.msg_version")),
        lambda: root_error(os.geteuid()),
        lambda: library_error(libpath.candidates()) if library else None,
    ]
    for problem in problems:
        err = problem()
        if err is not None:
            raise err
    _probe()


def available(library: bool = True) -> bool:
    """True when :func:`check_ready` passes."""
    try:
        check_ready(library)
    except OSError:
        return False
    return True
