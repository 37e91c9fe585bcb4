"""Readiness checks: every refusal is an OSError naming what is missing and how to fix it."""

from __future__ import annotations

import errno
import sys

import pytest

from pyngraph.backend import freebsd
from pyngraph.backend.freebsd import ready
from pyngraph.errors import NetgraphError

not_freebsd = pytest.mark.skipif(sys.platform.startswith("freebsd"), reason="checks the non-FreeBSD refusal")


@not_freebsd
@pytest.mark.parametrize("library", [True, False])
def test_check_ready_says_not_freebsd(library: bool) -> None:
    with pytest.raises(freebsd.NotReadyError, match="not FreeBSD") as info:
        freebsd.check_ready(library)
    assert isinstance(info.value, NetgraphError) and isinstance(info.value, OSError)
    assert info.value.errno == errno.EAFNOSUPPORT
    assert repr(sys.platform) in str(info.value)


@not_freebsd
def test_available_is_false_off_freebsd() -> None:
    assert freebsd.available() is False
    assert freebsd.available(library=False) is False


@not_freebsd
@pytest.mark.parametrize("factory", [freebsd.LibNetgraph, freebsd.PfNetgraphTransport])
def test_backends_refuse_to_start_off_freebsd(factory: type) -> None:
    with pytest.raises(freebsd.NotReadyError, match="not FreeBSD"):
        factory()


def test_require_freebsd_accepts_freebsd_platform_names() -> None:
    ready.require_freebsd("freebsd14")
    with pytest.raises(freebsd.NotReadyError, match="'darwin'"):
        ready.require_freebsd("darwin")


def test_missing_modules_name_the_kldload_and_loader_conf_lines() -> None:
    err = ready.modules_error(["ng_socket", "ng_ksocket"])
    assert err is not None and err.errno == errno.EAFNOSUPPORT
    text = str(err)
    assert "kldload ng_socket ng_ksocket" in text
    assert 'ng_socket_load="YES" ng_ksocket_load="YES"' in text and "/boot/loader.conf" in text


def test_only_ksocket_missing_is_no_such_type() -> None:
    err = ready.modules_error(["ng_ksocket"])
    assert err is not None and err.errno == errno.ENXIO
    assert "kldload ng_ksocket'" in str(err)


def test_no_missing_module_is_no_error() -> None:
    assert ready.modules_error([]) is None


def test_msg_version() -> None:
    assert ready.msg_version_error(8) is None
    wrong = ready.msg_version_error(9)
    assert wrong is not None and "is 9" in str(wrong) and "version 8" in str(wrong)
    absent = ready.msg_version_error(None)
    assert absent is not None and "kldload netgraph" in str(absent)


def test_not_root_is_eperm_naming_the_privilege() -> None:
    assert ready.root_error(0) is None
    err = ready.root_error(1001)
    assert err is not None and err.errno == errno.EPERM
    assert "PRIV_NETGRAPH_CONTROL" in str(err) and "1001" in str(err)


def test_missing_library_names_where_it_looked() -> None:
    assert ready.library_error(["/usr/lib/libnetgraph.so.4"]) is None
    err = ready.library_error([])
    assert err is not None and err.errno == errno.ENOENT
    assert "/usr/lib/libnetgraph.so.4" in str(err) and "freebsd-sockets" in str(err)
