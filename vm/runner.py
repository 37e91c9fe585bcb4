"""Drive the FreeBSD test VM: find Vagrant and a provider, build guest commands, check exit codes.

The VM itself is described by ``../Vagrantfile``; lifecycle commands go
through python-vagrant, guest commands through ``vagrant ssh -c``.  Neither
reports a guest command's exit status reliably, so every guest command ends by
printing :data:`STATUS_MARKER` and its status, and :func:`split_status` reads
it back.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
REPORTS = REPO / "vm" / "reports"

# GUEST_ROOT and GUEST_VENV must match the Vagrantfile (a test checks it).
GUEST_ROOT = "/home/vagrant/pyngraph"
GUEST_REPO = f"{GUEST_ROOT}/main"
GUEST_VENV = "/home/vagrant/pyngraph-venv"
GUEST_REPORT = "/tmp/pyngraph-junit.xml"

STATUS_MARKER = "__pyngraph_vm_status="
VAGRANT_INSTALL = "https://developer.hashicorp.com/vagrant/install"

#: Vagrant providers in order of preference, each with the host tools that show it is installed.
PROVIDERS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("virtualbox", ("VBoxManage",)),
    ("libvirt", ("virsh",)),
    ("vmware_desktop", ("vmrun",)),
    ("parallels", ("prlctl",)),
    ("qemu", ("qemu-system-x86_64", "qemu-system-aarch64")),
)
_PLUGINS = {"libvirt": "vagrant-libvirt", "vmware_desktop": "vagrant-vmware-desktop",
            "parallels": "vagrant-parallels", "qemu": "vagrant-qemu"}


class VmError(Exception):
    """The VM step failed; ``exit_code`` is what ``python -m vm`` exits with."""

    exit_code = 1


class ToolMissing(VmError):
    """Vagrant, a provider or python-vagrant is not installed (EX_UNAVAILABLE)."""

    exit_code = 69


# --- host tools -------------------------------------------------------------------

def find_vagrant(path: Optional[str] = None) -> str:
    """The ``vagrant`` executable on ``path`` (default: $PATH)."""
    found = shutil.which("vagrant", path=path)
    if found is None:
        searched = path if path is not None else os.environ.get("PATH", "")
        raise ToolMissing(f"vagrant not found on PATH ({searched or 'empty'}); install Vagrant "
                          f"from {VAGRANT_INSTALL} and a provider such as VirtualBox or libvirt")
    return found


def find_provider(requested: Optional[str] = None, path: Optional[str] = None) -> str:
    """The provider to use: ``requested`` if its tools are present, else the first installed one."""
    known = dict(PROVIDERS)
    if requested:
        if requested not in known:
            raise VmError(f"unknown provider {requested!r}; known: {', '.join(known)}")
        candidates: Sequence[Tuple[str, Tuple[str, ...]]] = [(requested, known[requested])]
    else:
        candidates = PROVIDERS
    for name, tools in candidates:
        if any(shutil.which(tool, path=path) for tool in tools):
            return name
    wanted = "; ".join(f"{name} needs {' or '.join(tools)}" + (f" and the {_PLUGINS[name]} plugin"
                       if name in _PLUGINS else "") for name, tools in candidates)
    raise ToolMissing(f"no Vagrant provider found on PATH ({wanted}); install one, e.g. VirtualBox, "
                      "or libvirt with 'vagrant plugin install vagrant-libvirt'")


# --- guest commands -------------------------------------------------------------------

def with_status(command: str) -> str:
    """``command`` followed by a line reporting its exit status."""
    return f"{command}; echo {STATUS_MARKER}$?"


def split_status(output: str) -> Tuple[str, int]:
    """Split a guest command's output into (output before the marker, exit status)."""
    head, sep, tail = output.rpartition(STATUS_MARKER)
    digits = tail.strip().split("\n", 1)[0].strip() if sep else ""
    if not digits.isdigit():
        raise VmError("the guest command's exit status was lost (the ssh connection failed or the "
                      "VM is not running; try 'python -m vm up')")
    return head, int(digits)


def guest_python(args: Sequence[str], root: bool = True) -> str:
    """A guest shell line running the VM's Python in the repository, as root by default."""
    line = " ".join(shlex.quote(a) for a in [f"{GUEST_VENV}/bin/python", *args])
    return f"cd {GUEST_REPO} && {'sudo ' if root else ''}{line}"


def readiness_command() -> str:
    """Guest line that fails with check_ready()'s message when netgraph is not usable."""
    return guest_python(["-c", "from pyngraph.backend.freebsd import check_ready; check_ready(); "
                         "print('netgraph ready')"])


def pytest_command(pytest_args: Sequence[str], report: str = GUEST_REPORT) -> str:
    """Guest line running the suite as root, writing a JUnit report readable by the vagrant user.

    The line's status is pytest's (``(exit $status)`` restores it after the chmod).
    """
    quoted = shlex.quote(report)
    run = guest_python(["-m", "pytest", f"--junitxml={report}", *pytest_args])
    return f"sudo rm -f {quoted}; {run}; status=$?; sudo chmod a+r {quoted} 2>/dev/null; (exit $status)"


def ssh_argv(vagrant: str, command: str) -> List[str]:
    """``vagrant ssh`` running ``command`` (plus the status line) without a tty."""
    return [vagrant, "ssh", "--no-tty", "-c", with_status(command)]


def run_guest(vagrant: str, command: str, out: IO[str] = sys.stdout, cwd: Path = REPO) -> int:
    """Run ``command`` in the guest, streaming its output to ``out``; return its exit status."""
    proc = subprocess.Popen(ssh_argv(vagrant, command), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    assert proc.stdout is not None
    seen: List[str] = []
    for line in proc.stdout:
        seen.append(line)
        if not line.startswith(STATUS_MARKER):
            out.write(line)
            out.flush()
    proc.wait()
    _, status = split_status("".join(seen))
    return status


# --- the VM -----------------------------------------------------------------------------

class Vm:
    """The Vagrant machine of ``root/Vagrantfile``."""

    def __init__(self, root: Path = REPO, path: Optional[str] = None) -> None:
        self.vagrant_exe = find_vagrant(path)
        self.root = root
        try:
            import vagrant  # python-vagrant, from the vm extra
        except ImportError:
            raise ToolMissing("python-vagrant is not installed: pip install -e '.[vm]'") from None
        self._v = vagrant.Vagrant(root=str(root), quiet_stdout=False, quiet_stderr=False)

    def _lifecycle(self, what: str, call) -> None:
        try:
            call()
        except subprocess.CalledProcessError as exc:
            raise VmError(f"'vagrant {what}' failed with exit status {exc.returncode}") from None

    def up(self, provider: Optional[str] = None) -> None:
        """Create/boot the VM (provisioning it on first boot); rsync runs as part of up."""
        chosen = find_provider(provider or os.environ.get("VAGRANT_DEFAULT_PROVIDER"))
        self._lifecycle("up", lambda: self._v.up(provider=chosen))

    def sync(self) -> None:
        """Copy the repository into the running VM again."""
        done = subprocess.run([self.vagrant_exe, "rsync"], cwd=self.root)
        if done.returncode != 0:
            raise VmError(f"'vagrant rsync' failed with exit status {done.returncode}")

    def halt(self) -> None:
        self._lifecycle("halt", self._v.halt)

    def destroy(self) -> None:
        self._lifecycle("destroy", self._v.destroy)

    def guest(self, command: str) -> int:
        """Run one guest shell line, streaming its output; returns its exit status."""
        return run_guest(self.vagrant_exe, command, cwd=self.root)

    def fetch(self, guest_path: str, host_path: Path) -> None:
        """Copy one file out of the VM with scp and Vagrant's ssh configuration."""
        scp = shutil.which("scp")
        if scp is None:
            raise ToolMissing("scp not found on PATH: it is needed to copy the JUnit report back")
        try:
            config = self._v.ssh_config()
        except subprocess.CalledProcessError as exc:
            raise VmError(f"'vagrant ssh-config' failed with exit status {exc.returncode}") from None
        host_alias = next(line.split()[1] for line in config.splitlines() if line.startswith("Host "))
        host_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", suffix=".ssh_config", delete=False) as f:
            f.write(config)
        try:
            done = subprocess.run([scp, "-q", "-F", f.name, f"{host_alias}:{guest_path}", str(host_path)])
        finally:
            os.unlink(f.name)
        if done.returncode != 0:
            raise VmError(f"copying {guest_path} out of the VM failed (scp exit status {done.returncode})")

    def test(self, pytest_args: Sequence[str], report_name: str = "junit.xml", sync: bool = True) -> int:
        """Run the suite as root in the VM; copy the JUnit report to vm/reports/; pytest's status."""
        if sync:
            self.sync()
        if self.guest(readiness_command()) != 0:
            raise VmError("netgraph is not usable in the VM (message above); re-provision with "
                          "'vagrant provision' or check the box")
        status = self.guest(pytest_command(pytest_args))
        self.fetch(GUEST_REPORT, REPORTS / report_name)
        print(f"python -m vm: JUnit report: {REPORTS / report_name}")
        return status
