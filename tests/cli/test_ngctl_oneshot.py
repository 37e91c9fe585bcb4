"""pyngctl run once per command: exit statuses, diagnostics, command lookup, help."""

from __future__ import annotations

import re

import pytest

from cli_support import golden

PROG = "pyngctl"
NODE_LINE = re.compile(r"^  Name: (\S+) +Type: (\S+) +ID: ([0-9a-f]{8})   Num hooks: (\d+)$")


def ngctl_text(name: str) -> str:
    """A golden diagnostic of ngctl with our program name in it."""
    return golden(name).replace("ngctl", PROG, 1).replace("usage: ngctl", f"usage: {PROG}")


def test_list_shows_our_own_node(pyngctl):
    done = pyngctl("-n", "solo", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "There are 1 total nodes:"
    assert lines[1].startswith("  Name: solo            Type: socket          ID: ")
    assert NODE_LINE.match(lines[1]).group(4) == "0"


def test_default_node_name_is_ngctl_and_pid(pyngctl):
    done = pyngctl("list", "-n")
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "There are 1 total named nodes:"
    assert re.match(r"^ngctl\d+$", NODE_LINE.match(lines[1]).group(1))


HINTS = {"PYNGRAPH_HINTS": "1"}


def test_unresolved_path_exit_71_and_stderr_is_ngctls_alone(pyngctl):
    done = pyngctl("show", "nosuch:")
    assert done.returncode == 71
    assert done.stderr.decode() == ngctl_text("show_nosuch_stderr.txt")
    assert done.stdout == b""


@pytest.mark.parametrize("how", [{"env": HINTS}, {"args": ["-v"]}])
def test_hints_name_the_path_when_asked(pyngctl, how):
    done = pyngctl(*how.get("args", []), "show", "nosuch:", env=how.get("env"))
    assert done.returncode == 71
    err = done.stderr.decode().splitlines()
    assert err[0] + "\n" == ngctl_text("show_nosuch_stderr.txt")
    assert err[1].startswith(f'{PROG}: "nosuch:": no node is named "nosuch"; this process has a private')
    assert "PYNGRAPH_EMULATOR" in err[1]


def test_missing_hook_is_named(pyngctl):
    done = pyngctl("show", ".:nohook", env=HINTS)
    assert done.returncode == 71
    assert done.stderr.decode().splitlines()[1] == f'{PROG}: ".:nohook": this tool\'s node has no hook "nohook" (or nothing is connected to it)'


def test_unknown_type_is_explained(pyngctl):
    done = pyngctl("mkpeer", "nosuchtype", "a", "b", env=HINTS)
    assert done.returncode == 71
    err = done.stderr.decode().splitlines()
    assert err[0].startswith(f"{PROG}: send msg: ")
    assert err[1].startswith(f'{PROG}: node type "nosuchtype" is not available here (known types: ')
    assert "hub" in err[1]


def test_no_command_and_no_tty_is_usage(pyngctl):
    done = pyngctl()
    assert done.returncode == 64
    assert done.stderr.decode() == ngctl_text("no_command_stderr.txt")


@pytest.mark.parametrize("args, status, stderr", [
    (["-x"], 64, f"{PROG}: illegal option -- x\nusage: {PROG} [-j jail]"),
    (["-f"], 64, f"{PROG}: option requires an argument -- f\n"),
    (["-j", "somejail", "list"], 69, f"{PROG}: not built with jail support\n"),
    (["-f", "/nonexistent/script"], 66, f"{PROG}: /nonexistent/script: No such file or directory\n"),
    (["show"], 64, f"{PROG}: usage: show [-n] <path>\n"),
    (["list", "extra"], 64, f"{PROG}: usage: list [-ln]\n"),
    (["list", "-q"], 64, f"{PROG}: illegal option -- q\n{PROG}: usage: list [-ln]\n"),
    (["frob"], 71, f'{PROG}: "frob": unknown command\n'),
    (["sh"], 71, f'{PROG}: "sh": ambiguous command\n'),
    (["write", "a", "300"], 71, f'{PROG}: invalid byte "300"\n'),
    (["write", "nohook", "1"], 71, f'{PROG}: writing to hook "nohook": '),
    (["debug", "-5"], 64, f"{PROG}: usage: debug [level]\n"),
    (["quit"], 0, ""),
    (["exit", "ignored", "words"], 0, ""),
])
def test_exit_statuses(pyngctl, args, status, stderr):
    done = pyngctl(*args)
    assert done.returncode == status
    assert done.stderr.decode().startswith(stderr)


def test_command_lookup_by_prefix_and_alias(pyngctl):
    words = ["s", "sh", "c", "co", "con", "conf", "d", "m", "r", "rm",
             "confi", "conn", "sho", "shu", "st", "l", "ls", "w", "e", "k", "i", "j", "g", ".",
             "?", "q", "t", "n", "ms", "mk", "LiSt", "cmd", "disconnect", "rmnode", "inquire", "graphviz",
             "listx"]
    script = "".join(f"help {w}\n" for w in words).encode()
    done = pyngctl("-f", "-", stdin=script)
    assert done.returncode == 0, done.stderr
    ambiguous = re.findall(r'"(.*?)": ambiguous command', done.stderr.decode())
    assert ambiguous == ["s", "sh", "c", "co", "con", "conf", "d", "m", "r", "rm"]
    assert re.findall(r'"(.*?)": unknown command', done.stderr.decode()) == ["listx"]
    found = [line.split()[1] for line in done.stdout.decode().splitlines() if line.startswith("usage:")]
    assert found == ["config", "connect", "show", "shutdown", "status", "list", "list", "write", "quit",
                     "shutdown", "show", "connect", "dot", "read", "help", "quit", "types", "name", "msg",
                     "mkpeer", "list", "msg", "rmhook", "shutdown", "show", "dot"]


def test_help_summary_layout(pyngctl):
    done = pyngctl("help")
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "Available commands:"
    assert lines[-2:] == ["", "Graph: backend 'emulated': an in-process emulated kernel, private to this process"]
    names = [line[2:12].rstrip() for line in lines[1:-2]]
    assert names == ["config", "connect", "debug", "dot", "help", "list", "mkpeer", "msg", "name", "read",
                     "rmhook", "show", "shutdown", "status", "types", "write", "quit"]
    assert all(line[12] == " " and line[13] != " " and line[2:12] == f"{line[2:12].rstrip():<10}"
               for line in lines[1:-2])


def test_help_for_one_command(pyngctl):
    lines = pyngctl("help", "ls").stdout.decode().splitlines()
    assert lines[0] == "usage:    list [-ln]"
    assert lines[1] == "Aliases:  ls"
    assert lines[2].startswith("Summary:  ")
    assert lines[3] == "Description:"
    assert all(line.startswith("  ") and len(line) <= 65 for line in lines[4:])
    shutdown = pyngctl("help", "shutdown").stdout.decode().splitlines()
    assert shutdown[:2] == ["usage:    shutdown <path>", "Aliases:  kill, rmnode"]
    assert len(shutdown) == 3  # no description
    assert "-w seconds" in pyngctl("help", "msg").stdout.decode()


def test_writing_to_a_missing_hook_says_so(pyngctl):
    done = pyngctl("write", "nohook", "1", "2")
    assert done.returncode == 71
    assert done.stderr.decode() == f'{PROG}: writing to hook "nohook": No route to host\n'  # ngctl's line alone
    done = pyngctl("-v", "write", "nohook", "1", "2")
    assert done.stderr.decode().splitlines() == [
        f'{PROG}: writing to hook "nohook": No route to host',
        f'{PROG}: this tool\'s node has no hook "nohook" ("show ." lists its hooks)',
    ]


def test_names_are_bytes_as_typed(pyngctl):
    done = pyngctl("-n", "n\u00e9", "list", "-n")
    assert b"  Name: n\xc3\xa9             Type: socket " in done.stdout  # two bytes, padded as two


def test_debug_option_routes_libnetgraph_lines_to_stderr(pyngctl):
    done = pyngctl("-d", "-d", "-n", "dbg", "list")
    assert done.returncode == 0
    expected = golden("debug2_list_stderr.txt").replace("ngctl: ", f"{PROG}: ")
    assert done.stderr.decode().startswith(expected)
    assert f"{PROG}: RECEIVED RESPONSE:\n" in done.stderr.decode()
