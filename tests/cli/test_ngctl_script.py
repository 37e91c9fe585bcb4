"""pyngctl script mode (-f) building real graphs in the emulator, checked against ngctl's formats."""

from __future__ import annotations

import re
import subprocess
from typing import Dict, List, Tuple

import pytest

from cli_support import run_tool

ROW = "  {:<15} {:<15} {:<12} {:<15} {:<15}"  # ngctl show.c's table line (spec §3.4)
NODE = re.compile(r"^  Name: (\S+) +Type: (\S+) +ID: ([0-9a-f]{8})   Num hooks: (\d+)$")

BUILD = """\
# a persistent hub, a tee behind it, an echo on the tee, and a link from us to ourselves
mkpeer hub h1 l0
name h1 myhub
msg myhub: setpersistent
mkpeer myhub: tee l1 left
name myhub:l1 mytee
mkpeer mytee: echo right e
connect . a b
"""


def run_script(text: str, *args: str) -> subprocess.CompletedProcess:
    return run_tool("ngctl", ["-n", "builder", *args, "-f", "-"], stdin=text.encode())


def nodes_of(listing: str) -> Dict[str, Tuple[str, int, int]]:
    """name -> (type, id, hooks) from ``list`` output."""
    found = {}
    for line in listing.splitlines()[1:]:
        m = NODE.match(line)
        assert m, f"not a node line of ngctl's format: {line!r}"
        found[m.group(1)] = (m.group(2), int(m.group(3), 16), int(m.group(4)))
    return found


def sections(stdout: str) -> List[str]:
    """Output split at the marker lines the scripts print with ``help quit``."""
    return stdout.split("usage:    quit\nAliases:  exit\nSummary:  Leave pyngctl\n")


MARK = "help quit\n"


@pytest.fixture(scope="module")
def built():
    script = BUILD + "list\n" + MARK + "show myhub:\n" + MARK + "show -n mytee:\n" + MARK + "types\n" + MARK
    script += "status myhub:\n" + MARK + "dot\n" + MARK + "list -l\n" + MARK + "write a 104 105\n"
    done = run_script(script)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    return sections(done.stdout.decode("latin-1"))


def test_list(built):
    listing = built[0]
    assert listing.splitlines()[0] == "There are 4 total nodes:"
    nodes = nodes_of(listing)
    assert {name: (t, hooks) for name, (t, _, hooks) in nodes.items()} == {
        "builder": ("socket", 3), "myhub": ("hub", 2), "mytee": ("tee", 2), "<unnamed>": ("echo", 1)}


def test_show_table(built):
    nodes = nodes_of(built[0])
    hub_id, tee_id, me = nodes["myhub"][1], nodes["mytee"][1], nodes["builder"][1]
    lines = built[1].splitlines()
    assert lines[0] == f"  Name: myhub           Type: hub             ID: {hub_id:08x}   Num hooks: 2"
    assert lines[1] == ROW.format("Local hook", "Peer name", "Peer type", "Peer ID", "Peer hook")
    assert lines[2] == ROW.format("----------", "---------", "---------", "-------", "---------")
    assert sorted(lines[3:]) == sorted([
        ROW.format("l0", "builder", "socket", f"{me:08x}", "h1"),
        ROW.format("l1", "mytee", "tee", f"{tee_id:08x}", "left"),
    ])


def test_show_without_hooks(built):
    tee_id = nodes_of(built[0])["mytee"][1]
    assert built[2] == f"  Name: mytee           Type: tee             ID: {tee_id:08x}   Num hooks: 2\n"


def test_types(built):
    lines = built[3].splitlines()
    assert re.match(r"^There are \d+ total types:$", lines[0])
    assert lines[1:3] == ["      Type name   Number of living nodes", "      ---------   ----------------------"]
    counts = {line[:15].strip(): int(line[18:]) for line in lines[3:]}
    assert all(len(line) == 23 for line in lines[3:])
    assert {t: counts[t] for t in ("socket", "hub", "tee", "echo")} == {"socket": 1, "hub": 1, "tee": 1, "echo": 1}
    assert int(lines[0].split()[2]) == len(lines) - 3


def test_status_without_support(built):
    assert built[4] == 'No status available for "myhub:"\n'


def test_dot(built):
    nodes = nodes_of(built[0])
    ids = {name: info[1] for name, info in nodes.items()}
    text = built[5]
    lines = text.splitlines()
    assert lines[:3] == ["graph netgraph {", "\tedge [ weight = 1.0 ];", "\tnode [ shape = record, fontsize = 12 ] {"]
    unnamed = "\\<unnamed\\>"
    labels = {f'\t\t"{i:x}" [ label = "{{{unnamed if n == "<unnamed>" else n}:|{{{nodes[n][0]}|[{i:x}]:}}}}" ];'
              for n, i in ids.items()}
    assert set(lines[3:7]) == labels
    assert lines[7:11] == ["\t};", "\tsubgraph cluster_disconnected {", "\t\tbgcolor = pink;", "\t};"]
    assert lines[-1] == "};"
    links = [("builder", "h1", "myhub", "l0"), ("myhub", "l1", "mytee", "left"), ("mytee", "right", "<unnamed>", "e"),
             ("builder", "a", "builder", "b")]
    expected_edges = set()
    for a, ha, b, hb in links + [(b, hb, a, ha) for a, ha, b, hb in links]:
        if ids[b] <= ids[a]:
            expected_edges.add(f'\t"{ids[a]:x}.{ha}" -- "{ids[b]:x}.{hb}";')
    edges = {line for line in lines if line.startswith('\t"')}
    assert edges == expected_edges
    assert len(edges) == 5  # one per link, the self link from both ends
    for name, (_, node_id, hooks) in nodes.items():
        assert sum(line.startswith(f'\t\t"{node_id:x}" -- "{node_id:x}.') for line in lines) == hooks


def test_list_l_is_show_per_node_with_blank_lines_between(built):
    chunks = built[6].split("\n\n")
    assert len(chunks) == 4 and not chunks[-1].endswith("\n\n")
    assert chunks[0].splitlines()[0] == "There are 4 total nodes:"


def test_script_stops_at_first_error_with_its_line_number():
    done = run_script("# comment counts as a line\nlist -n\n\nshow nosuch:\nlist\n")
    assert done.returncode == 71
    err = done.stderr.decode().splitlines()
    assert err[0] == "pyngctl: send msg: No such file or directory"
    assert err[-1] == "pyngctl: line 4: error in file"
    assert done.stdout.decode().count("There are") == 1


def test_quit_ends_a_script_with_status_0_and_the_error_line():
    done = run_script("list -n\nquit\nlist -n\n")
    assert done.returncode == 0
    assert done.stderr.decode() == "pyngctl: line 2: error in file\n"
    assert done.stdout.decode().count("There are") == 1


def test_indented_hash_is_not_a_comment():
    done = run_script("  # not a comment\n")
    assert done.returncode == 71
    assert done.stderr.decode() == 'pyngctl: "#": unknown command\npyngctl: line 1: error in file\n'


def test_one_shot_words_win_over_script(tmp_path):
    script = tmp_path / "s"
    script.write_text("frob\n")
    done = run_tool("ngctl", ["-f", str(script), "list", "-n"])
    assert done.returncode == 0
    assert done.stdout.decode().startswith("There are 1 total named nodes:")


def test_read_nests_and_dot_writes_a_file(tmp_path):
    inner = tmp_path / "inner.ngctl"
    inner.write_text(BUILD)
    out = tmp_path / "graph.dot"
    done = run_script(f"read {inner}\ndot {out}\ndot\n")
    assert done.returncode == 0, done.stderr.decode()
    assert out.read_text() == done.stdout.decode()
    assert done.stdout.decode().count('" [ label = "') == 4 + 8  # 4 nodes, 8 hooks

    done = run_script(f"read {tmp_path / 'missing'}\n")
    assert done.stderr.decode() == f"pyngctl: {tmp_path / 'missing'}: No such file or directory\npyngctl: line 1: error in file\n"
    done = run_script(f"dot {tmp_path / 'no' / 'such' / 'dir.dot'}\n")
    assert done.stderr.decode().startswith(f"pyngctl: Could not open {tmp_path / 'no' / 'such' / 'dir.dot'} for writing: No such file")


def test_msg_prints_the_reply_of_a_generic_query():
    done = run_script("msg . nodeinfo\nshow -n .\n")
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    me = NODE.match(lines[2]).group(3)
    assert lines[0] == f'Rec\'d response "nodeinfo" (805306374) from "[{int(me, 16):x}]:":'
    assert lines[1].startswith("Args:\t{ name=\"builder\" type=\"socket\" id=0x")


def test_msg_errors():
    done = run_script("mkpeer hub h l\nmsg h nosuchcommand\n")
    assert done.returncode == 71
    assert done.stderr.decode().splitlines()[0] == "pyngctl: send msg: Function not implemented"
    done = run_script("msg .\n")
    assert done.stderr.decode().startswith("pyngctl: usage: msg [-w seconds] path command [args ... ]\n")


def test_debug_level():
    done = run_script("debug\ndebug 2\ndebug -\ndebug\ndebug +\ndebug\ndebug junk\ndebug\n")
    assert done.stdout.decode() == ("Current debug level is 0\nCurrent debug level is 1\n"
                                    "Current debug level is 2\nCurrent debug level is 0\n")


def test_write_bytes_formats():
    done = run_script("connect . a b\nwrite a 0x41 0102 -1 12abc 255\nwrite a -f /nonexistent\n")
    assert done.stderr.decode().startswith('pyngctl: can\'t read file "/nonexistent": No such file or directory\n')


def test_config_and_status_texts():
    done = run_script("mkpeer echo e x\nconfig e hello   world\nstatus e\nmkpeer . hub h l\nconfig h\n")
    assert done.returncode == 0, done.stderr.decode()
    # the echo node sends every request back as its reply; its text is the request's argument
    assert done.stdout.decode() == ('Config for "e":\nhello world\nStatus for "e":\n\n'
                                    'No config available for "h"\n')
