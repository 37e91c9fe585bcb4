"""Where the per-user ``pyngraph-emud`` lives, and whether a daemon answers there.

The default socket is ``$XDG_RUNTIME_DIR/pyngraph/netgraph.sock``; without
``XDG_RUNTIME_DIR``, root's is ``/run/pyngraph/netgraph.sock`` (one graph per
host, as the kernel's) and another user's ``<tempdir>/pyngraph-UID/netgraph.sock``.
The folder is made mode 0700 and must belong to the user: a folder someone
else made, or a symbolic link, is refused.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import tempfile
from typing import Optional

from .limits import peer_credentials

SOCKET_NAME = "netgraph.sock"
SYSTEM_DIR = "/run/pyngraph"
#: The longest AF_UNIX path Linux and FreeBSD both accept (sun_path minus its NUL on FreeBSD).
MAX_SOCKET_PATH = 103


def runtime_dir() -> str:
    """The folder of this user's daemon (see the module's description)."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "pyngraph")
    if os.geteuid() == 0:
        return SYSTEM_DIR
    return os.path.join(tempfile.gettempdir(), f"pyngraph-{os.geteuid()}")


def default_socket() -> str:
    """The path of this user's daemon socket."""
    return os.path.join(runtime_dir(), SOCKET_NAME)


def prepare(directory: str) -> None:
    """Make ``directory`` (mode 0700) unless it exists; refuse one that is not safely ours."""
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise OSError(errno.ENOTDIR, f"{directory} is not a folder (remove it; pyngraph makes it)")
    if info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise OSError(errno.EPERM, f"{directory} must belong to uid {os.geteuid()} with mode 0700 "
                      f"(it is uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o}): remove it")


def daemon_pid(path: str) -> Optional[int]:
    """The pid of the daemon listening at ``path``, or None when none answers there."""
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        probe.connect(path)
        return peer_credentials(probe).pid
    except OSError:
        return None
    finally:
        probe.close()


def socket_path_problem(path: str) -> Optional[str]:
    """Why a daemon cannot listen at ``path`` (missing folder, a file there, too long ...), or None."""
    size = len(os.fsencode(path))
    if size > MAX_SOCKET_PATH:
        return f"{path}: the path is {size} bytes; a socket path may have at most {MAX_SOCKET_PATH}: choose a shorter one"
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        return f"{path}: the folder {folder} does not exist (mkdir -p {folder})"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link: name the socket itself, not a link to it"
    if stat.S_ISDIR(info.st_mode):
        return f"{path} is a folder: name a socket inside it, e.g. {os.path.join(path, SOCKET_NAME)}"
    if not stat.S_ISSOCK(info.st_mode):
        return f"{path} exists and is not a socket: remove it or choose another path"
    return None


def gone_text(path: Optional[str]) -> str:
    """How every layer words a daemon that went away under its clients."""
    where = f" at {path}" if path else ""
    return f"the pyngraph-emud daemon{where} has gone away (it stopped or was stopped); its nodes are gone"
