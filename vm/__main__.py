"""``python -m vm``: up, sync, test, run, halt, destroy the FreeBSD test VM.

Arguments after ``--`` go to pytest inside the VM, e.g.
``python -m vm test -- tests/freebsd -q``.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence, Tuple

from .runner import VmError, Vm


def _split(argv: Sequence[str]) -> Tuple[List[str], List[str]]:
    """(our arguments, pytest's arguments after the first ``--``)."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vm", description=__doc__.splitlines()[0],
                                epilog="Arguments after '--' are passed to pytest inside the VM.")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="create, boot and (first time) provision the VM")
    sub.add_parser("sync", help="copy the repository into the VM again")
    test = sub.add_parser("test", help="run the suite as root in the VM; JUnit report to vm/reports/")
    run = sub.add_parser("run", help="up, then test")
    sub.add_parser("halt", help="shut the VM down")
    sub.add_parser("destroy", help="delete the VM")
    for command in (up, run):
        command.add_argument("--provider", help="Vagrant provider (default: $VAGRANT_DEFAULT_PROVIDER or "
                             "the first installed of virtualbox, libvirt, vmware_desktop, parallels, qemu)")
    for command in (test, run):
        command.add_argument("--report", default="junit.xml", help="file name under vm/reports/")
        command.add_argument("--no-sync", action="store_true", help="do not rsync before testing")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    ours, pytest_args = _split(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(ours)
    try:
        vm = Vm()
        if args.command in ("up", "run"):
            vm.up(args.provider)
        if args.command == "sync":
            vm.sync()
        if args.command in ("test", "run"):
            return vm.test(pytest_args, args.report, sync=not args.no_sync)
        if args.command == "halt":
            vm.halt()
        if args.command == "destroy":
            vm.destroy()
    except VmError as exc:
        print(f"python -m vm: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
