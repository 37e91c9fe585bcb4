"""TCP server with accept: each connection is a new ksocket node hooked to us.

    listener ksocket (inet/stream/tcp)  --accept-->  one ksocket per client

The listening ksocket reports every accepted connection; ``connections()``
hooks each new node to our socket node, so we read and write its stream
through our data socket.  Three local clients are served, then we exit.

Run:  python examples/tcp_server.py
"""

from __future__ import annotations

import socket
import threading

from pyngraph.api import SockNode

CLIENTS = 3


def client(address: tuple, number: int) -> None:
    with socket.create_connection(address, timeout=5) as conn:
        conn.sendall(f"hello from client {number}".encode())
        print(f"client {number} got {conn.recv(1024)!r}")


def main() -> None:
    with SockNode() as sock:
        listener = sock.ksocket("inet", "stream", "tcp", hook="listen")
        listener.setopt("SO_REUSEADDR", 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = listener.getname()
        print(f"listening on {address[0]}:{address[1]}")

        clients = [threading.Thread(target=client, args=(address, n)) for n in range(CLIENTS)]
        for thread in clients:
            thread.start()

        served = 0
        for conn in listener.connections(timeout=10):
            with conn:  # shuts the connection's node down at the end
                request = conn.ksocket.recv(timeout=5)
                print(f"{conn.peer[0]}:{conn.peer[1]} on hook {conn.hook!r} sent {request!r}")
                conn.ksocket.send(request.upper())
                conn.ksocket.recv(timeout=5)  # b"": the client closed
            served += 1
            if served == CLIENTS:
                break
        for thread in clients:
            thread.join()
    print(f"served {served} clients")


if __name__ == "__main__":
    main()
