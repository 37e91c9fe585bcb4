"""pyngctl's interactive mode, driven through a real pseudo-terminal."""

from __future__ import annotations

import os

import pytest

from cli_support import Terminal, command, golden


@pytest.fixture
def terminal():
    term = Terminal("-n", "tty")
    yield term
    if term.proc.poll() is None:
        term.proc.kill()
        term.proc.wait()


def test_session(terminal):
    banner = terminal.read_until(b"+ ").decode()
    assert banner.startswith("Available commands:\n  config     ")
    assert command(terminal, "mkpeer hub h1 l0") == ""
    assert command(terminal, "name h1 myhub") == ""
    assert command(terminal, "frob") == 'pyngctl: "frob": unknown command\n'
    assert command(terminal, "sh") == 'pyngctl: "sh": ambiguous command\n'
    assert command(terminal, "show") == "pyngctl: usage: show [-n] <path>\n"
    assert command(terminal, "status myhub:") == 'No status available for "myhub:"\n'
    assert command(terminal, "connect . a b") == ""
    terminal.type("write a 104 105")  # the packet comes back to hook b, shown as it arrives
    assert golden("data_packet_hi.txt") in terminal.read_until(b"hi              \n").decode()
    terminal.read_until(b"+ ")
    listing = command(terminal, "list")
    assert listing.startswith("There are 2 total nodes:\n")
    assert "  Name: tty             Type: socket          ID: " in listing
    terminal.type("quit")
    assert terminal.close() == 0


def test_end_of_input_prints_a_newline_and_exits_0(terminal):
    terminal.read_until(b"+ ")
    os.write(terminal.master, b"\x04")
    terminal.read_until(b"\n")
    assert terminal.close() == 0


def test_echo_reply_is_shown(terminal):
    terminal.read_until(b"+ ")
    assert command(terminal, "mkpeer echo e x") == ""
    terminal.type("write e 1 2 3")
    shown = terminal.read_until(b"0000:  01 02 03 ").decode()
    assert 'Rec\'d data packet on hook "e":\n0000:  01 02 03 ' in shown
    terminal.type("quit")
    assert terminal.close() == 0
