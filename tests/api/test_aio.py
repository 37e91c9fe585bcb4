"""pyngraph.aio: the same operations as coroutines on one event loop (plain asyncio.run)."""

from __future__ import annotations

import asyncio
import errno
import socket
from typing import Any, Coroutine, List

import pytest

from api_support import free_port
from pyngraph.aio import AioSockNode
from pyngraph.api import AcceptEvent, Event, MessageEvent
from pyngraph.errors import ConnectionRefused, InvalidArgumentError, NoSuchNodeError, TimedOutError


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_udp_roundtrip_and_ascii_msg() -> None:
    async def main() -> None:
        async with AioSockNode() as sock:
            ks = await sock.ksocket("inet", "dgram", "udp", hook="u")
            await ks.bind(("127.0.0.1", 0))
            address = await ks.getname()
            reply = await sock.msg("u", "getname")
            assert reply is not None and reply.text == f"inet/127.0.0.1:{address[1]}"
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
                peer.bind(("127.0.0.1", 0))
                peer.setblocking(False)
                await ks.connect(peer.getsockname())
                await ks.send(b"ping")
                data = await asyncio.get_running_loop().sock_recv(peer, 100)
                assert data == b"ping"
                peer.sendto(b"pong", address)
                assert await ks.recv(timeout=3) == b"pong"
            with pytest.raises(TimedOutError):
                await ks.recv(timeout=0.05)

    run(main())


def test_tcp_connect_accept_and_refused() -> None:
    async def main() -> None:
        async with AioSockNode() as sock:
            listener = await sock.ksocket("inet", "stream", "tcp", hook="l")
            await listener.bind(("127.0.0.1", 0))
            await listener.listen()
            client = await sock.ksocket("inet", "stream", "tcp", hook="c")
            await client.connect(await listener.getname(), timeout=5)
            conn = await listener.accept("s", timeout=5)
            assert conn.peer == await client.getname()
            await client.send(b"hello")
            assert await conn.ksocket.recv(timeout=3) == b"hello"
            refused = await sock.ksocket("inet", "stream", "tcp", hook="r")
            with pytest.raises(ConnectionRefused) as info:
                await refused.connect(("127.0.0.1", free_port()), timeout=5)
            assert info.value.errno == errno.ECONNREFUSED and info.value.path == refused.path

    run(main())


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


def test_reply_to_decode_attach_and_node_connect_as_in_the_sync_api() -> None:
    from pyngraph.abi import NodeInfo
    from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO, NGM_TEXT_CONFIG
    from pyngraph.aio import AioKSocket, AioNodeRef
    from pyngraph.errors import HookExistsError

    async def main() -> None:
        async with AioSockNode() as sock, AioSockNode() as asker:
            me = (await sock.info()).id
            # TEXT_CONFIG reaches our user as an event; we answer it and the asker gets the reply by token.
            asked = asyncio.ensure_future(
                asker.send_msg(f"[{me:x}]:", NGM_GENERIC_COOKIE, NGM_TEXT_CONFIG, reply=True, timeout=10))
            request = await sock.next_event(timeout=10)
            assert isinstance(request, MessageEvent) and request.msg.cmd == NGM_TEXT_CONFIG
            sock.reply_to(request, b"config of aio test\0")
            assert (await asked).data == b"config of aio test\0"
            tee = await sock.mkpeer(".", "tee", "t", "left")
            info = await tee.send_msg(NGM_GENERIC_COOKIE, NGM_NODEINFO, reply=True)
            assert NodeInfo.decode(info.data).type == "tee"
            ks = await sock.ksocket("inet", "dgram", "udp", hook="ks")
            assert isinstance(await AioKSocket.attach(sock, "ks"), AioKSocket)
            with pytest.raises(InvalidArgumentError):
                await AioKSocket.attach(sock, "t")
            assert isinstance(ks.node, AioNodeRef) and not isinstance(ks, AioNodeRef)
            with pytest.raises(HookExistsError) as refused:  # NGM_CONNECT: the ksocket's hook name is taken
                await ks.node.connect(tee, "inet/dgram/udp", "right")
            assert refused.value.command == "connect" and refused.value.path == ks.path
            reply = await tee.msg("getstats")
            assert reply is not None
            decoded = await sock.decode(reply.msg, reply.path)
            assert decoded.text == reply.text and decoded.value == reply.value

    run(main())
