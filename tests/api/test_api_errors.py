"""API errors that say what happened: unknown type, missing hook, absent or vanished daemon, unknown backend."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest

from api_support import Api
from pyngraph import backend, libnetgraph as ng
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
from pyngraph.errors import NetgraphError, NoSuchNodeError, NoSuchTypeError, UnavailableError


def test_mkpeer_of_an_unknown_type_names_the_type(api: Api, sock: Any) -> None:
    with pytest.raises(NoSuchTypeError) as info:
        api(sock.mkpeer(".", "nosuchtype", "a", "b"))
    err = info.value
    assert err.errno in (errno.ENOENT, errno.ENXIO) and err.command == "mkpeer"
    assert "no node type 'nosuchtype'" in str(err) and "hub" in str(err)
    assert api(sock.info()).hooks == 0  # nothing was made


def test_mkpeer_on_a_missing_node_stays_a_path_error(api: Api, sock: Any) -> None:
    with pytest.raises(NoSuchNodeError) as info:
        api(sock.mkpeer("nosuch:", "hub", "a", "b"))
    assert not isinstance(info.value, NoSuchTypeError) and "'nosuch:' did not resolve" in str(info.value)


def test_data_to_a_missing_hook_names_the_hook(api: Api, sock: Any) -> None:
    api(sock.mkpeer(".", "hub", "there", "x"))
    with pytest.raises(NetgraphError) as info:
        sock.send("nothere", b"x")
    assert info.value.errno == errno.EHOSTUNREACH
    assert "our socket node has no hook 'nothere'" in str(info.value)


def test_socknode_against_an_absent_daemon_says_none_answers(api: Api, tmp_path: Path) -> None:
    path = str(tmp_path / "nobody.sock")
    with backend.using("emulated", socket_path=path):
        with pytest.raises(UnavailableError) as info:
            api.socknode()
    assert str(info.value.strerror).startswith(f"no pyngraph-emud daemon answers at {path} (start one: ")


def test_a_daemon_that_went_away_says_so(ng_daemon):
    cs, ds = ng.NgMkSockNode(None)
    ng_daemon.process.terminate()
    ng_daemon.process.wait(timeout=15)
    with pytest.raises(UnavailableError) as info:
        ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
    assert "the pyngraph-emud daemon has gone away" in str(info.value)
    assert "Broken pipe" not in str(info.value)
    with pytest.raises(UnavailableError, match="has gone away"):
        ng.NgNameNode(cs, ".", "late")


def test_an_unknown_backend_is_named_in_the_message():
    with pytest.raises(UnavailableError) as info:
        backend.set_backend("netbsd")
    assert info.value.errno == errno.EINVAL
    assert str(info.value.strerror).startswith("unknown backend 'netbsd' (known: emulated, freebsd")
