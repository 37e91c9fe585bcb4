"""asyncio: a TCP echo server and its clients, all ksockets, on one event loop.

The server coroutine accepts connections from a listening ksocket and echoes
each one; the client coroutines connect ksockets of their own (the connect
completes asynchronously in the kernel) and check the answer.  No threads.

Run:  python examples/aio_tcp_echo.py
"""

from __future__ import annotations

import asyncio

from pyngraph.aio import AioKSocket, AioSockNode

CLIENTS = 3


async def serve(listener: AioKSocket) -> int:
    served = 0
    async for conn in listener.connections(timeout=10):
        async with conn:
            while True:
                data = await conn.ksocket.recv(timeout=5)
                if not data:  # the client closed
                    break
                await conn.ksocket.send(data)
        served += 1
        if served == CLIENTS:
            break
    return served


async def client(sock: AioSockNode, address: tuple, number: int) -> None:
    async with await sock.ksocket("inet", "stream", "tcp", hook=f"client{number}") as ks:
        await ks.connect(address, timeout=5)
        await ks.send(b"message %d" % number)
        print(f"client {number} ({(await ks.getname())[1]}) got {await ks.recv(timeout=5)!r}")


async def main() -> None:
    async with AioSockNode() as sock:
        listener = await sock.ksocket("inet", "stream", "tcp", hook="listen")
        await listener.bind(("127.0.0.1", 0))
        await listener.listen()
        address = await listener.getname()
        print(f"echo server on {address[0]}:{address[1]}")
        server = asyncio.ensure_future(serve(listener))
        await asyncio.gather(*(client(sock, address, n) for n in range(CLIENTS)))
        print(f"served {await server} connections")


if __name__ == "__main__":
    asyncio.run(main())
