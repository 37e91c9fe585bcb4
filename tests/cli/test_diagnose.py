"""The extra diagnostics: what did not resolve, and the FreeBSD kernel module to load."""

from __future__ import annotations

import errno

from pyngraph.cli import diagnose


def test_interface_names_point_at_ng_ether_on_freebsd(monkeypatch):
    monkeypatch.setenv("PYNGRAPH_BACKEND", "freebsd")
    assert "kldload ng_ether" in diagnose._missing_node("em0:")
    assert "ng_ether" not in diagnose._missing_node("myhub:")
    assert diagnose._missing_node("[1f]:") == "no node has ID 1f"
    monkeypatch.setenv("PYNGRAPH_BACKEND", "emulated")
    monkeypatch.setenv("PYNGRAPH_EMULATOR", "/run/ng.sock")
    assert diagnose._missing_node("em0:") == 'no node is named "em0"'
    monkeypatch.delenv("PYNGRAPH_EMULATOR")
    assert diagnose._missing_node("em0:") == 'no node is named "em0"'  # this user's shared daemon
    monkeypatch.setenv("PYNGRAPH_EMULATOR", "inprocess")
    assert "unset PYNGRAPH_EMULATOR" in diagnose._missing_node("em0:")


def test_missing_type_names_its_module_on_freebsd(monkeypatch):
    monkeypatch.setenv("PYNGRAPH_BACKEND", "freebsd-sockets")
    text = diagnose.type_problem(None, "ksocket")
    assert "ng_ksocket" in text and "kldload ng_ksocket" in text


def test_socket_node_problems(monkeypatch):
    monkeypatch.setenv("PYNGRAPH_BACKEND", "freebsd")
    assert "kldload ng_socket" in diagnose.socket_node_problem(OSError(errno.EAFNOSUPPORT, "x"))
    assert "root" in diagnose.socket_node_problem(OSError(errno.EPERM, "x"))
    monkeypatch.setenv("PYNGRAPH_BACKEND", "emulated")
    monkeypatch.setenv("PYNGRAPH_EMULATOR", "/run/ng.sock")
    assert "pyngraph-emud --socket /run/ng.sock" in diagnose.socket_node_problem(OSError(errno.ECONNREFUSED, "x"))


def test_paths_split_like_netgraph():
    assert diagnose._split("foo:a.b") == ("foo:", ["a", "b"])
    assert diagnose._split(".:ks") == (".:", ["ks"])
    assert diagnose._split("ks.") == ("", ["ks"])
    assert diagnose.joined(".", "a") == "a"
    assert diagnose.joined("foo:", "a") == "foo:a"
    assert diagnose.joined("x", "a.b") == "x.a.b"
    assert diagnose.joined("x", "bar:") == "bar:"
