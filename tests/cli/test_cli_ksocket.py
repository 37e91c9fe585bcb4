"""pyngctl with ksocket nodes: replies that come later (msg -w), asynchronous output."""

from __future__ import annotations

import re
import socket

import pytest

from cli_support import Terminal, command, golden, run_tool

SHOW_ID = re.compile(r"^  Name: <unnamed> +Type: ksocket +ID: ([0-9a-f]{8}) ", re.M)


@pytest.fixture(scope="module", autouse=True)
def ksocket_type():
    types = run_tool("ngctl", ["types"]).stdout.decode()
    if not re.search(r"^ +ksocket +\d+$", types, re.M):
        pytest.skip("node type ksocket is not available in the emulator")


def script(text: str, *options: str):
    return run_tool("ngctl", [*options, "-f", "-"], stdin=text.encode())


def ksocket_id(stdout: str) -> int:
    return int(SHOW_ID.search(stdout).group(1), 16)


def test_getname_reply_waited_for():
    done = script("mkpeer . ksocket ks inet/dgram/udp\nmsg ks bind inet/127.0.0.1:0\n"
                  "msg -w 5 ks getname\nshow -n ks\n")
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode()
    port = int(re.search(r"inet/127\.0\.0\.1:(\d+)\n", out).group(1))
    expected = golden("msg_getname.txt").replace("[4]", f"[{ksocket_id(out):x}]").replace(":1234", f":{port}")
    assert out.startswith(expected)
    assert 0 < port < 65536


def test_tcp_connect_without_wait_fails_as_ngctl_with_a_hint():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        text = f"mkpeer . ksocket ks inet/stream/tcp\nmsg ks connect inet/127.0.0.1:{port}\n"
        done, hinted = script(text), script(text, "-v")
    assert done.returncode == 71
    assert done.stderr.decode() == "pyngctl: send msg: Operation now in progress\npyngctl: line 2: error in file\n"
    err = hinted.stderr.decode().splitlines()
    assert err[0] == "pyngctl: send msg: Operation now in progress"
    assert "msg -w SECONDS" in err[1]


def test_tcp_connect_waited_for():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        done = script(f"mkpeer . ksocket ks inet/stream/tcp\nmsg -w 5 ks connect inet/127.0.0.1:{port}\nshow -n ks\n")
        server.settimeout(5)
        conn, peer = server.accept()
        conn.close()
    assert done.returncode == 0, done.stderr.decode()
    out = done.stdout.decode().splitlines()
    assert out[0] == f'Rec\'d response "connect" (4) from "[{ksocket_id(done.stdout.decode()):x}]:":'
    assert out[1] == "Args:\t0"


def test_refused_connect_fails_the_command():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    done = script(f"mkpeer . ksocket ks inet/stream/tcp\nmsg -w 5 ks connect inet/127.0.0.1:{port}\n")
    assert done.returncode == 71
    assert done.stdout.decode().splitlines()[0].startswith('Rec\'d response "connect" (4) from "[')
    assert done.stderr.decode().splitlines()[0] == "pyngctl: connect: Connection refused"


def test_interactive_shows_packets_and_late_replies_as_they_arrive():
    term = Terminal("-n", "ks")
    try:
        term.read_until(b"+ ")
        assert command(term, "mkpeer ksocket ks inet/dgram/udp") == ""
        assert command(term, "msg ks bind inet/127.0.0.1:0") == ""
        reply = command(term, "msg -w 5 ks getname")
        port = int(re.search(r"Args:\tinet/127\.0\.0\.1:(\d+)", reply).group(1))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"hi", ("127.0.0.1", port))
            shown = term.read_until(b"hi              \n").decode()
        assert golden("data_packet_hi.txt").replace('"b"', '"ks"') in shown
        with socket.create_server(("127.0.0.1", 0)) as server:
            tcp_port = server.getsockname()[1]
            assert command(term, "mkpeer ksocket tcp inet/stream/tcp") == ""
            term.type(f"msg tcp connect inet/127.0.0.1:{tcp_port}")
            shown = term.read_until(b'Rec\'d response "connect" (4) from "[').decode()
            assert "pyngctl: send msg: Operation now in progress" in shown
            assert term.read_until(b"Args:\t0\n")
        term.type("quit")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()


def test_interactive_shows_an_accepted_connection():
    term = Terminal("-n", "listener")
    try:
        term.read_until(b"+ ")
        assert command(term, "mkpeer ksocket ks inet/stream/tcp") == ""
        assert command(term, "msg ks bind inet/127.0.0.1:0") == ""
        assert command(term, "msg ks listen 4") == ""
        port = int(re.search(r"Args:\tinet/127\.0\.0\.1:(\d+)", command(term, "msg -w 5 ks getname")).group(1))
        assert command(term, "msg ks accept") == ""  # the reply comes with the connection
        with socket.create_connection(("127.0.0.1", port)):
            shown = term.read_until(b" }\n").decode()
        head, args = shown.strip().splitlines()[-2:]
        clone = re.fullmatch(r'Rec\'d response "accept" \(3\) from "\[([0-9a-f]+)\]:":', head).group(1)
        assert args.startswith(f"Args:\t{{ nodeid=0x{clone} addr={{ len=16 family=2 data=[ ")
        assert "Type: ksocket " in command(term, f"show -n [{clone}]:")  # the node for the connection
        term.type("quit")
        assert term.close() == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
            term.proc.wait()
