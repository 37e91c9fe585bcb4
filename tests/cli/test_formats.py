"""ngctl/nghook output formats against the examples of the spec (golden files)."""

from __future__ import annotations

import io

import pytest

from pyngraph.abi import HookList, LinkInfo, NodeInfo, TypeInfo
from pyngraph.cli.fmt import dump_ascii, hook_table, list_header, node_line, types_table, wrap_help

from cli_support import golden

DEMO = NodeInfo("demo", "socket", 0x1B, 1)
MYHUB = NodeInfo("myhub", "hub", 0x1C, 1)
IDLE = NodeInfo("", "socket", 0x5, 0)
HOOKS = {
    0x1B: HookList(DEMO, [LinkInfo("h1", "l0", MYHUB)]),
    0x1C: HookList(MYHUB, [LinkInfo("l0", "h1", DEMO)]),
    0x5: HookList(IDLE, []),
}


@pytest.mark.parametrize("data, name", [
    (b"test\0", "dump_test.txt"),
    (b"ABCDEFGHIJKLMNOPQRST", "dump_abcdefghijklmnopqrst.txt"),
])
def test_dump_matches_spec(data, name):
    assert dump_ascii(data) == golden(name)


def test_dump_lines_are_72_columns_and_hide_unprintables():
    text = dump_ascii(bytes(range(256)))
    lines = text.splitlines()
    assert len(lines) == 16 and all(len(line) == 72 for line in lines)
    assert lines[2].endswith(" !\"#$%&'()*+,-./")
    assert lines[7].endswith("pqrstuvwxyz{|}~.")  # 0x7f is not printable
    assert lines[15][56:] == "." * 16
    assert dump_ascii(b"") == ""


def test_nghook_ascii_packet_is_dump_and_empty_line():
    assert dump_ascii(b"Hello, peer!\0") + "\n" == golden("nghook_a_hello.txt")


def test_data_packet_display():
    from pyngraph.cli.incoming import describe_data

    assert describe_data(b"hi", "b") == golden("data_packet_hi.txt")


def test_list_lines():
    assert list_header(2, False) + node_line(DEMO) + node_line(MYHUB) == golden("list_demo.txt")
    assert list_header(1, True).startswith("There are 1 total named nodes:")
    assert node_line(NodeInfo("ngctl4242", "socket", 0x21, 0)) == golden("list_n_ngctl4242.txt")


def test_unnamed_node_and_long_name():
    assert node_line(IDLE).startswith("  Name: <unnamed>       Type: socket ")
    long = node_line(NodeInfo("a" * 20, "hub", 1, 0))
    assert long.startswith("  Name: " + "a" * 20 + " Type: hub             ID: 00000001")


def test_show_table():
    assert node_line(MYHUB) + hook_table(HOOKS[0x1C].links) == golden("show_myhub.txt")
    assert hook_table([]) == ""


def test_list_l_layout():
    text = list_header(2, False)
    text += node_line(DEMO) + hook_table(HOOKS[0x1B].links) + "\n"
    text += node_line(MYHUB) + hook_table(HOOKS[0x1C].links)
    assert text == golden("list_l_demo.txt")


def test_types_table():
    assert types_table([TypeInfo("socket", 1), TypeInfo("hub", 1)]) == golden("types_demo.txt")
    assert types_table([]) == "There are 0 total types:\n"


def test_dot_matches_spec():
    from pyngraph.cli.dot import write_dot

    out = io.StringIO()
    write_dot(out, [DEMO, MYHUB, IDLE], lambda n: HOOKS[n.id])
    assert out.getvalue() == golden("dot_demo.dot")


def test_dot_self_link_drawn_from_both_ends():
    from pyngraph.cli.dot import write_dot

    me = NodeInfo("", "socket", 0x7, 2)
    loop = HookList(me, [LinkInfo("a", "b", me), LinkInfo("b", "a", me)])
    out = io.StringIO()
    write_dot(out, [me], lambda n: loop)
    edges = [line for line in out.getvalue().splitlines() if line.startswith('\t"7.')]
    assert edges == ['\t"7.a" -- "7.b";', '\t"7.b" -- "7.a";']


def test_help_wrapping_fills_lines_greedily_at_63():
    text = ("Prints one line per node in the graph: name, type, ID and number of hooks. With -n only"
            " nodes that have a name are listed; with -l each node is followed by its table.")
    lines = [line[2:].rstrip("\n") for line in wrap_help(text)]
    assert " ".join(lines) == text
    assert all(len(line) <= 63 for line in lines)
    for line, after in zip(lines, lines[1:]):
        assert len(line) + 1 + len(after.split()[0]) > 63  # the next word did not fit
