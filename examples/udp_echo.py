"""UDP echo server built from two nodes: a ksocket and ng_echo.

    ksocket (inet/dgram/udp, bound to 127.0.0.1)  <-- hook "udp" -->  echo

Every datagram the ksocket receives goes to the echo node, which sends it
straight back; the ksocket returns it to its sender (the source address
travels with the packet, so no connect is needed).  Our own socket node only
builds the graph: the echo runs in the (emulated or FreeBSD) kernel.

Run:  python examples/udp_echo.py          (emulated backend on Linux)
"""

from __future__ import annotations

import socket

from pyngraph.api import SockNode


def main() -> None:
    with SockNode() as sock:
        echo = sock.mkpeer(".", "echo", "echo", "ctl")       # echo node, hooked to us as "echo"
        ks = echo.mkpeer("ksocket", "udp", "inet/dgram/udp").ksocket()
        ks.bind(("127.0.0.1", 0))
        address = ks.getname()
        print(f"echo server on {address[0]}:{address[1]} (ksocket {ks.path})")

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(5)
            for text in (b"hello", b"netgraph", b"bye"):
                client.sendto(text, address)
                data, source = client.recvfrom(2048)
                print(f"sent {text!r}, echoed {data!r} from port {source[1]}")
        echo.shutdown()  # the echo node would outlive us (it keeps its "udp" hook); the ksocket goes with it
    print("graph removed")


if __name__ == "__main__":
    main()
