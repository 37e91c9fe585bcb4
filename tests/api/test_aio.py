"""pyngraph.aio on its own: what only asyncio has (concurrent calls on one loop, coroutine handlers,
cancellation on close).  Every other API test runs on asyncio too (the ``api`` fixture)."""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any, Coroutine, List

import pytest

from pyngraph.aio import AioSockNode
from pyngraph.api import AcceptEvent, Event, MessageEvent
from pyngraph.errors import InvalidArgumentError, NoSuchNodeError


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_concurrent_requests_and_events() -> None:
    async def main() -> None:
        async with AioSockNode() as sock, AioSockNode() as other:
            target = f"[{(await sock.info()).id:x}]:"
            for i in range(5):
                await other.send_msg(target, 0x1234567, 1, b"%d" % i)
            infos = await asyncio.gather(*(sock.info() for _ in range(20)), other.info())
            assert {i.id for i in infos[:-1]} == {(await sock.info()).id}
            events: List[Event] = []
            async for event in sock.events(timeout=0.2):
                events.append(event)
            assert [e.msg.data for e in events] == [b"%d" % i for i in range(5)]
            assert all(isinstance(e, MessageEvent) and e.node_id == infos[-1].id for e in events)

    run(main())


def test_handlers_run_during_dispatch_and_coroutine_handlers_are_awaited() -> None:
    async def main() -> None:
        async with AioSockNode() as sock:
            listener = await sock.ksocket("inet", "stream", "tcp", hook="l")
            await listener.bind(("127.0.0.1", 0))
            await listener.listen()
            seen: "asyncio.Queue[Event]" = asyncio.Queue()

            async def on_accept(event: Event) -> None:
                await seen.put(event)

            sock.add_handler(on_accept, AcceptEvent)
            address = await listener.getname()
            with socket.create_connection(address, timeout=5):
                assert await sock.dispatch(timeout=5) == 1
            event = seen.get_nowait()  # the handler ran to its end within dispatch()
            assert isinstance(event, AcceptEvent) and event.address[0] == "127.0.0.1"

    run(main())


def test_errors_and_closing() -> None:
    async def main() -> None:
        sock = AioSockNode()
        with pytest.raises(NoSuchNodeError, match="'nowhere:'"):
            await sock.info("nowhere:")
        await sock.mkpeer(".", "hole", "h", "in")
        with pytest.raises(InvalidArgumentError, match="not a ksocket"):
            await sock.node("h").ksocket()
        pending = asyncio.ensure_future(sock.recv())
        await asyncio.sleep(0)
        sock.close()
        with pytest.raises(OSError) as info:
            await pending
        assert info.value.errno == errno.ENOTCONN
        assert sock.closed

    run(main())


def test_accept_loop_serves_clients_concurrently() -> None:
    async def client(address: Any, text: bytes) -> bytes:
        reader, writer = await asyncio.open_connection(*address)
        writer.write(text)
        answer = await reader.read(100)
        writer.close()
        return answer

    async def main() -> None:
        async with AioSockNode() as sock:
            listener = await sock.ksocket("inet", "stream", "tcp", hook="l")
            await listener.bind(("127.0.0.1", 0))
            await listener.listen()
            await listener.listen()  # again: no second ACCEPT (it would be EALREADY)
            address = await listener.getname()
            clients = asyncio.gather(*(client(address, b"c%d" % i) for i in range(3)))
            served = []
            async for conn in listener.connections(timeout=5):
                async with conn:
                    data = await conn.ksocket.recv(timeout=5)
                    await conn.ksocket.send(data.upper())
                    assert await conn.ksocket.recv(timeout=5) == b""  # the client closed
                    served.append(data)
                if len(served) == 3:
                    break
            assert sorted(await clients) == [b"C0", b"C1", b"C2"]
            assert sorted(served) == [b"c0", b"c1", b"c2"]
            assert [link.ourhook for link in (await sock.hooks()).links] == ["l"]

    run(main())


def test_closing_fails_pending_requests() -> None:
    async def main() -> None:
        sock = AioSockNode()
        listener = await sock.ksocket("inet", "stream", "tcp", hook="l")
        await listener.bind(("127.0.0.1", 0))
        await listener.listen()
        waiting = asyncio.ensure_future(listener.accept())  # no client ever comes
        await asyncio.sleep(0.05)
        sock.close()
        with pytest.raises(OSError) as info:
            await waiting
        assert info.value.errno == errno.ENOTCONN

    run(main())
