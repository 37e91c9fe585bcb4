"""Backend choice: which implementation of the libnetgraph functions is active.

A backend is an object with libnetgraph's fourteen functions as methods
(``NgMkSockNode`` ... ``NgSetErrLog``), shaped as :mod:`pyngraph.libnetgraph`
documents.  Built in:

* ``"emulated"``: :mod:`.pylib` over :mod:`.emulated` (this user's
  ``pyngraph-emud``, started on first use; another daemon at
  ``PYNGRAPH_EMULATOR`` / ``socket_path=``; or an in-process kernel with
  ``PYNGRAPH_EMULATOR=inprocess`` / ``inprocess=True``);
* ``"freebsd"``: ctypes libnetgraph (``pyngraph.backend.freebsd.LibNetgraph``);
* ``"freebsd-sockets"``: :mod:`.pylib` over PF_NETGRAPH sockets
  (``pyngraph.backend.freebsd.PfNetgraphTransport``).

The first use picks ``PYNGRAPH_BACKEND`` if set, else "freebsd" on FreeBSD
and "emulated" elsewhere.  There is no silent fallback: where FreeBSD's
netgraph cannot be used, the first use raises
:class:`~pyngraph.backend.freebsd.NotReadyError` naming what is missing and
the command that fixes it.  :func:`set_backend` overrides the choice for the process.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Union

from ..errors import UnavailableError
from .protocol import KERNEL, Backend

ENV_BACKEND = "PYNGRAPH_BACKEND"

Factory = Callable[..., Backend]


def _emulated(**options: Any) -> Backend:
    from .emulated import create_backend

    return create_backend(**options)


def _freebsd(**options: Any) -> Backend:
    from .freebsd import LibNetgraph, check_ready

    if not options:
        check_ready(library=True)
    return LibNetgraph(**options)


def _freebsd_sockets(**options: Any) -> Backend:
    from .freebsd import PfNetgraphTransport, check_ready
    from .pylib import PyLibNetgraph

    check_ready(library=False)
    return PyLibNetgraph(PfNetgraphTransport(**options), KERNEL)


_FACTORIES: Dict[str, Factory] = {
    "emulated": _emulated,
    "freebsd": _freebsd,
    "freebsd-sockets": _freebsd_sockets,
}
_active: Optional[Backend] = None
_active_name: Optional[str] = None
_lock = threading.Lock()


def register_backend(name: str, factory: Factory) -> None:
    """Make ``factory(**options)`` available as backend ``name``."""
    _FACTORIES[name] = factory


def backend_names() -> List[str]:
    """The registered backend names."""
    return sorted(_FACTORIES)


def create_backend(name: str, **options: Any) -> Backend:
    """A new backend object by name (EINVAL for an unknown name)."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise UnavailableError(errno.EINVAL, f"unknown backend {name!r} (known: {', '.join(backend_names())}; "
                               f"{ENV_BACKEND} chooses one)", path=name, command="backend")
    return factory(**options)


def freebsd_available() -> bool:
    """True when the FreeBSD kernel's netgraph can be used from here."""
    try:
        from .freebsd import available
    except ImportError:
        return False
    return bool(available())


def default_backend_name() -> str:
    """``PYNGRAPH_BACKEND``, else "freebsd" on FreeBSD, else "emulated"."""
    name = os.environ.get(ENV_BACKEND)
    if name:
        return name
    return "freebsd" if sys.platform.startswith("freebsd") else "emulated"


def set_backend(backend: Union[str, Backend], **options: Any) -> Backend:
    """Make ``backend`` (a name, with factory options, or a backend object) the active one."""
    global _active, _active_name
    obj = create_backend(backend, **options) if isinstance(backend, str) else backend
    with _lock:
        _active = obj
        _active_name = backend if isinstance(backend, str) else getattr(obj, "name", type(obj).__name__)
    return obj


def get_backend() -> Backend:
    """The active backend, chosen on first use."""
    global _active, _active_name
    with _lock:
        if _active is None:
            name = default_backend_name()
            _active = create_backend(name)
            _active_name = name
        return _active


@contextmanager
def using(backend: Union[str, Backend], **options: Any) -> Iterator[Backend]:
    """Make ``backend`` active inside a ``with`` block, then restore the previous choice."""
    global _active, _active_name
    with _lock:
        previous = _active, _active_name
    try:
        yield set_backend(backend, **options)
    finally:
        with _lock:
            _active, _active_name = previous


def active_backend_name() -> Optional[str]:
    """The name the active backend was chosen by (None before first use)."""
    return _active_name


def emulator_gone() -> Optional[str]:
    """What to say when the active backend's pyngraph-emud no longer answers (None: it does, or none is used)."""
    path = getattr(getattr(_active, "transport", None), "socket_path", None)
    if not isinstance(path, str):
        return None
    from ..emulator.rundir import daemon_pid, gone_text

    if daemon_pid(path) is not None:
        return None
    return gone_text(path)


def describe_graph() -> str:
    """Which graph the default backend talks to, in words (for the tools' ``--version``/``help``)."""
    name = _active_name or default_backend_name()
    if name != "emulated":
        return f"backend {name!r}: the kernel's netgraph" if name.startswith("freebsd") else f"backend {name!r}"
    transport = getattr(_active, "transport", None)
    if transport is not None:
        path, autostart = transport.socket_path, transport.autostart
    else:
        from .emulated import resolve

        path, autostart = resolve()
    if path is None:
        return "backend 'emulated': an in-process emulated kernel, private to this process"
    whose = "this user's" if autostart else "the"
    return f"backend 'emulated': {whose} pyngraph-emud daemon at {path}"


__all__ = [
    "ENV_BACKEND", "active_backend_name", "backend_names", "create_backend", "default_backend_name",
    "describe_graph", "emulator_gone",
    "freebsd_available", "get_backend", "register_backend", "set_backend", "using",
]
