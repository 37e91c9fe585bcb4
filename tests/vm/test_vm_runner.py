"""The VM runner's own logic, with real processes and real PATH directories (no VM needed)."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from vm import runner
from vm.__main__ import _split

REPO = runner.REPO


def _executable(directory: Path, name: str, body: str = "exit 0\n") -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# --- missing tools --------------------------------------------------------------------

@pytest.mark.parametrize("command", ["up", "test", "halt", "destroy"])
def test_cli_without_vagrant_fails_clearly(tmp_path: Path, command: str) -> None:
    done = subprocess.run([sys.executable, "-m", "vm", command], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 69
    assert "vagrant not found on PATH" in done.stderr
    assert runner.VAGRANT_INSTALL in done.stderr
    assert "Traceback" not in done.stderr


def test_pytest_vm_option_hands_over_to_the_runner(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/freebsd", "--vm", "-p", "no:cacheprovider"],
                          cwd=REPO, capture_output=True, text=True, env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 69
    assert "vagrant not found on PATH" in done.stderr


def test_find_vagrant_needs_an_executable(tmp_path: Path) -> None:
    plain = tmp_path / "vagrant"
    plain.write_text("not executable")
    with pytest.raises(runner.ToolMissing, match="vagrant not found"):
        runner.find_vagrant(str(tmp_path))
    plain.unlink()
    made = _executable(tmp_path, "vagrant")
    assert runner.find_vagrant(str(tmp_path)) == str(made)


def test_provider_is_the_first_installed_in_preference_order(tmp_path: Path) -> None:
    _executable(tmp_path, "virsh")
    assert runner.find_provider(path=str(tmp_path)) == "libvirt"
    _executable(tmp_path, "VBoxManage")
    assert runner.find_provider(path=str(tmp_path)) == "virtualbox"
    assert runner.find_provider("libvirt", path=str(tmp_path)) == "libvirt"


def test_no_provider_names_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(runner.ToolMissing) as info:
        runner.find_provider(path=str(tmp_path))
    text = str(info.value)
    assert info.value.exit_code == 69
    assert "VBoxManage" in text and "virsh" in text and "vagrant-libvirt" in text


def test_requested_provider_must_be_installed(tmp_path: Path) -> None:
    _executable(tmp_path, "VBoxManage")
    with pytest.raises(runner.ToolMissing, match="libvirt needs virsh"):
        runner.find_provider("libvirt", path=str(tmp_path))
    with pytest.raises(runner.VmError, match="unknown provider 'hyperkit'"):
        runner.find_provider("hyperkit", path=str(tmp_path))


# --- guest command construction and exit status ---------------------------------------------

def _sh(command: str) -> str:
    return subprocess.run(["sh", "-c", command], capture_output=True, text=True).stdout


@pytest.mark.parametrize("command,status", [("true", 0), ("false", 1), ("(exit 7)", 7), ("echo x; (exit 3)", 3)])
def test_status_line_reports_the_command_status(command: str, status: int) -> None:
    assert runner.split_status(_sh(runner.with_status(command)))[1] == status


def test_output_before_the_status_line_is_kept() -> None:
    assert runner.split_status(_sh(runner.with_status("echo hello"))) == ("hello\n", 0)


def test_lost_status_is_an_error() -> None:
    # The shell exits before the status line: the status cannot be trusted.
    with pytest.raises(runner.VmError, match="exit status was lost"):
        runner.split_status(_sh(runner.with_status("echo partial; exit 4")))


def test_pytest_command_quotes_arguments_and_keeps_pytest_status() -> None:
    line = runner.pytest_command(["-k", "ksocket and not tcp", "tests/freebsd"])
    words = list(shlex.shlex(line, posix=True, punctuation_chars=True))
    assert ["-k", "ksocket and not tcp", "tests/freebsd"] == words[words.index("-k"): words.index("-k") + 3]
    assert f"--junitxml={runner.GUEST_REPORT}" in words
    python = words.index(f"{runner.GUEST_VENV}/bin/python")
    assert words[python - 1: python + 3] == ["sudo", f"{runner.GUEST_VENV}/bin/python", "-m", "pytest"]
    assert line.endswith("(exit $status)")
    assert subprocess.run(["sh", "-n", "-c", line]).returncode == 0


def test_ssh_argv_disables_the_tty_and_appends_the_status_line() -> None:
    argv = runner.ssh_argv("/usr/bin/vagrant", "uname -a")
    assert argv[:4] == ["/usr/bin/vagrant", "ssh", "--no-tty", "-c"]
    assert argv[4] == runner.with_status("uname -a")


@pytest.fixture
def local_vagrant(tmp_path: Path) -> str:
    """An executable that does what `vagrant ssh --no-tty -c CMD` does, but on this host."""
    body = '[ "$1" = ssh ] && [ "$2" = --no-tty ] && [ "$3" = -c ] || exit 64\nexec sh -c "$4"\n'
    return str(_executable(tmp_path, "vagrant", body))


def test_run_guest_streams_output_and_returns_the_status(local_vagrant: str) -> None:
    out = io.StringIO()
    assert runner.run_guest(local_vagrant, "echo one; echo two; (exit 5)", out=out) == 5
    assert out.getvalue() == "one\ntwo\n"


def test_run_guest_failing_ssh_is_an_error(tmp_path: Path) -> None:
    broken = _executable(tmp_path, "vagrant", "echo 'ssh: connect to host 127.0.0.1 port 2222' >&2; exit 255\n")
    with pytest.raises(runner.VmError, match="exit status was lost"):
        runner.run_guest(str(broken), "true", out=io.StringIO())


def test_cli_splits_pytest_arguments_at_double_dash() -> None:
    assert _split(["test", "--report", "a.xml", "--", "-k", "x", "--", "y"]) == (
        ["test", "--report", "a.xml"], ["-k", "x", "--", "y"])
    assert _split(["up"]) == (["up"], [])


# --- the Vagrantfile and provisioning ------------------------------------------------------------

def test_vagrantfile_and_runner_agree_on_guest_paths() -> None:
    text = (REPO / "Vagrantfile").read_text()
    assert f'guest_root = "{runner.GUEST_ROOT}"' in text
    assert f'guest_venv = "{runner.GUEST_VENV}"' in text
    assert '"#{guest_root}/main"' in text and "../shared" not in text
    assert runner.GUEST_REPO == f"{runner.GUEST_ROOT}/main"


def test_provisioning_loads_and_persists_the_netgraph_modules() -> None:
    script = REPO / "vm" / "provision.sh"
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    modules = re.search(r'^MODULES="([^"]+)"', script.read_text(), re.M)
    assert modules is not None
    assert {"ng_socket", "ng_ksocket", "ng_hub", "ng_echo", "ng_hole", "ng_tee"} <= set(modules.group(1).split())
    assert 'kldload -n "$module"' in script.read_text()
    assert 'sysrc -f /boot/loader.conf "${module}_load=YES"' in script.read_text()


@pytest.mark.skipif(shutil.which("vagrant") is None, reason="vagrant is not installed on this host")
def test_vagrant_validates_the_vagrantfile() -> None:
    done = subprocess.run(["vagrant", "validate"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_python_vagrant_the_runner_names_the_vm_extra(tmp_path: Path) -> None:
    try:
        import vagrant  # noqa: F401  (python-vagrant, the vm extra)
    except ImportError:
        pass
    else:
        pytest.skip("python-vagrant is installed here (the vm extra)")
    _executable(tmp_path, "vagrant")
    with pytest.raises(runner.ToolMissing, match=r"pip install -e '\.\[vm\]'"):
        runner.Vm(path=str(tmp_path))
