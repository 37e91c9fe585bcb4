"""A UDP tunnel endpoint: two ksockets joined through a tee, all in the kernel.

    client <-> ksocket "inside" <-> tee <-> ksocket "outside" <-> far end
                                     |
                         left2right copy to us (a tap)

Datagrams the inside ksocket receives from the client leave through the
outside ksocket towards the far end of the tunnel, and the answers come back
the same way.  The tee also copies the client's traffic to our socket node,
so we can watch it.  Everything runs on 127.0.0.1.

Run:  python examples/udp_tunnel.py
"""

from __future__ import annotations

import socket

from pyngraph.api import SockNode


def udp_socket() -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    return s


def main() -> None:
    with SockNode() as sock, udp_socket() as client, udp_socket() as far_end:
        tee = sock.mkpeer(".", "tee", "tap", "left2right")
        inside = tee.mkpeer("ksocket", "left", "inet/dgram/udp").ksocket()
        outside = tee.mkpeer("ksocket", "right", "inet/dgram/udp").ksocket()
        inside.bind(("127.0.0.1", 0))
        inside.connect(client.getsockname())
        outside.bind(("127.0.0.1", 0))
        outside.connect(far_end.getsockname())
        print(f"tunnel: client {client.getsockname()[1]} <-> {inside.getname()[1]} "
              f"=== {outside.getname()[1]} <-> far end {far_end.getsockname()[1]}")

        for text in (b"first", b"second"):
            client.sendto(text, inside.getname())
            data, source = far_end.recvfrom(2048)
            print(f"far end got {data!r} from the tunnel's port {source[1]}")
            far_end.sendto(data[::-1], source)
            answer, _ = client.recvfrom(2048)
            print(f"client got {answer!r}")
            hook, copy = sock.recv(timeout=5)
            print(f"tap on hook {hook!r} saw {copy!r}")
        tee.shutdown()  # the tee keeps left and right when our tap goes: remove it and both ksockets


if __name__ == "__main__":
    main()
