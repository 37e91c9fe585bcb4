"""Backend choice: PYNGRAPH_BACKEND, set_backend, using(), and clear errors for bad names."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from pyngraph import backend as backends


def test_using_restores_the_previous_backend() -> None:
    before = backends.get_backend()
    with backends.using("emulated") as inner:
        assert backends.get_backend() is inner
        assert backends.active_backend_name() == "emulated"
    assert backends.get_backend() is before


def test_unknown_backend_name_is_einval_naming_the_known_ones() -> None:
    with pytest.raises(OSError) as info:
        backends.set_backend("netbsd")
    assert info.value.errno == errno.EINVAL
    assert "emulated" in str(info.value) and "freebsd-sockets" in str(info.value)


def test_freebsd_backend_refuses_clearly_off_freebsd() -> None:
    if sys.platform.startswith("freebsd"):
        pytest.skip("this host is FreeBSD")
    with pytest.raises(OSError) as info:
        backends.create_backend("freebsd")
    assert "not FreeBSD" in str(info.value)


@pytest.mark.parametrize("env, expected", [({}, "emulated"), ({"PYNGRAPH_BACKEND": "emulated"}, "emulated")])
def test_environment_picks_the_backend_in_a_fresh_process(env: dict, expected: str) -> None:
    if not env and sys.platform.startswith("freebsd"):
        pytest.skip("the automatic choice on FreeBSD depends on netgraph being loaded")
    clean = {k: v for k, v in os.environ.items() if k != "PYNGRAPH_BACKEND"}
    code = ("from pyngraph import backend, libnetgraph as ng\n"
            "cs, ds = ng.NgMkSockNode(None, True)\n"
            "print(backend.active_backend_name())\n")
    out = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True,
                         text=True, timeout=30, check=True).stdout.strip()
    assert out == expected


def test_freebsd_defaults_to_the_kernel_whether_or_not_it_is_ready(monkeypatch) -> None:
    """No silent fallback: on FreeBSD the default is the kernel; the emulation only when asked."""
    monkeypatch.delenv("PYNGRAPH_BACKEND", raising=False)
    monkeypatch.setattr(sys, "platform", "freebsd14")
    assert backends.default_backend_name() == "freebsd"
    monkeypatch.setenv("PYNGRAPH_BACKEND", "emulated")
    assert backends.default_backend_name() == "emulated"
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("PYNGRAPH_BACKEND")
    assert backends.default_backend_name() == "emulated"


@pytest.mark.skipif(sys.platform.startswith("freebsd"), reason="checks the refusal off FreeBSD")
@pytest.mark.parametrize("name", ["freebsd", "freebsd-sockets"])
def test_an_unusable_kernel_backend_is_one_line_from_the_tools(name: str) -> None:
    env = dict(os.environ, PYNGRAPH_BACKEND=name)
    done = subprocess.run([sys.executable, "-m", "pyngraph.cli.ngctl", "list"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 71 and done.stdout == ""
    assert done.stderr.startswith("pyngctl: not FreeBSD: ") and done.stderr.count("\n") == 1
