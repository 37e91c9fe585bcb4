"""Replies matched by token among unsolicited messages; events by iterator and by callback.

Each test that takes ``api`` runs on the blocking API and on asyncio (see conftest.py).
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import time
from contextlib import closing
from typing import Any, List

import pytest

from api_support import Api, stalled_listener
from pyngraph.abi import NodeInfo
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_NODEINFO
from pyngraph.api import AcceptEvent, ConnectEvent, Event, MessageEvent, SockNode
from pyngraph.errors import TimedOutError

COOKIE = 0x1234567  # a cookie no node type knows: such messages are passed up unchanged
CMD = 42


def test_reply_is_matched_by_token_not_taken_from_the_next_datagram(api: Api, sock: Any) -> None:
    with closing(api.socknode()) as other:
        # Unsolicited messages reach our control socket before our request's reply.
        for i in range(3):
            api(other.send_msg(f"[{sock.id:x}]:", COOKIE, CMD, b"unsolicited %d" % i))
        stale = api(sock.send_msg(".", NGM_GENERIC_COOKIE, NGM_NODEINFO))  # its reply is never claimed
        assert api(sock.info("[%x]:" % other.id)).id == other.id
        events = api.items(sock.events(timeout=0.2))
    assert [e.msg.data for e in events[:3]] == [b"unsolicited 0", b"unsolicited 1", b"unsolicited 2"]
    assert all(isinstance(e, MessageEvent) and e.node_id == other.id and not e.is_response for e in events[:3])
    late = events[3]
    assert isinstance(late, MessageEvent) and late.is_response and late.msg.token == stale
    assert NodeInfo.decode(late.msg.data).id == sock.id
    assert len(events) == 4


def test_requests_from_many_threads_get_their_own_replies() -> None:  # threads: the blocking API only
    with SockNode() as sock:
        _requests_from_many_threads(sock)


def _requests_from_many_threads(sock: SockNode) -> None:
    names = [f"api-thread-{i}" for i in range(6)]
    nodes = []
    for i, name in enumerate(names):
        hub = sock.mkpeer(".", "hub", f"h{i}", "up")
        hub.name(name)
        nodes.append(hub)
    results: dict = {}

    def ask(name: str) -> None:
        results[name] = [sock.info(f"{name}:").name for _ in range(10)]

    threads = [threading.Thread(target=ask, args=(name,)) for name in names]
    with SockNode() as other:
        for t in threads:
            t.start()
        for i in range(20):  # unsolicited traffic meanwhile
            other.send_msg(f"[{sock.id:x}]:", COOKIE, CMD, b"%d" % i)
        for t in threads:
            t.join(10)
    assert results == {name: [name] * 10 for name in names}
    assert [e.msg.data for e in sock.events(timeout=0.2)] == [b"%d" % i for i in range(20)]


def test_connect_and_accept_events_by_iterator(api: Api, sock: Any) -> None:
    listener = api(sock.ksocket("inet", "stream", "tcp", hook="listen"))
    api(listener.bind(("127.0.0.1", 0)))
    api(listener.listen())
    with socket.create_connection(api(listener.getname()), timeout=5):
        event = next(api.iterate(sock.events(timeout=5)))
    assert isinstance(event, AcceptEvent)
    assert event.address[0] == "127.0.0.1" and event.clone_id != listener.id
    assert event.node_id == event.clone_id  # the clone sends the reply


def test_callbacks_run_during_dispatch(api: Api, sock: Any) -> None:
    listener = api(sock.ksocket("inet", "stream", "tcp", hook="listen"))
    api(listener.bind(("127.0.0.1", 0)))
    api(listener.listen())
    accepted: List[Event] = []
    connected: List[Event] = []
    sock.add_handler(accepted.append, AcceptEvent)
    sock.add_handler(connected.append, ConnectEvent)
    client = api(sock.ksocket("inet", "stream", "tcp", hook="client"))
    api(client.connect(api(listener.getname()), timeout=5))  # claims its own ConnectEvent
    with closing(api.socknode()) as other:
        api(other.send_msg(f"[{sock.id:x}]:", COOKIE, CMD))
        handled = 0
        while handled == 0:
            handled = api(sock.dispatch(timeout=5))
        assert handled == 1 and len(accepted) == 1 and connected == []
        assert isinstance(accepted[0], AcceptEvent) and accepted[0].address == api(client.getname())
        unwanted = api(sock.next_event(timeout=5))  # no handler for it: left for the iterator
        assert isinstance(unwanted, MessageEvent) and unwanted.node_id == other.id
    sock.remove_handler(accepted.append)
    with socket.create_connection(api(listener.getname()), timeout=5):
        assert isinstance(api(sock.next_event(timeout=5)), AcceptEvent)  # no longer handled
    assert len(accepted) == 1 and api(sock.dispatch(timeout=0)) == 0


def test_an_events_reader_leaves_a_connect_its_completion(api: Api, sock: Any) -> None:
    read: List[BaseException] = []
    with stalled_listener() as (address, make_room):
        room = threading.Timer(0.3, make_room)
        client = api(sock.ksocket("inet", "stream", "tcp", hook="client"))
        if api.loop is None:
            def reader() -> None:
                try:
                    sock.next_event(timeout=3)
                except TimedOutError as exc:
                    read.append(exc)

            thread = threading.Thread(target=reader)
            thread.start()
            deadline = time.monotonic() + 10
            while not sock._control._reading and time.monotonic() < deadline:  # until the reader waits
                time.sleep(0.01)
            room.start()
            client.connect(address, timeout=10)  # its ConnectEvent is not the reader's
            thread.join(10)
        else:
            async def both() -> None:
                waiting = asyncio.ensure_future(sock.next_event(timeout=3))
                await asyncio.sleep(0)
                room.start()
                await client.connect(address, timeout=10)
                with pytest.raises(TimedOutError) as info:
                    await waiting
                read.append(info.value)

            api(both())
        room.join(10)
    assert len(read) == 1  # the reader saw no event: the completion went to connect()


def test_next_event_times_out(api: Api, sock: Any) -> None:
    with pytest.raises(TimedOutError) as info:
        api(sock.next_event(timeout=0.05))
    assert info.value.command == "event"
    assert api.items(sock.events(timeout=0)) == []


def test_answering_a_message_sent_to_us(api: Api, sock: Any) -> None:
    from pyngraph.abi.constants import NGM_TEXT_CONFIG

    with SockNode() as asker:
        # TEXT_CONFIG is passed up to our user; we answer it and the asker gets the reply by token.
        answer: List[bytes] = []

        def ask() -> None:
            msg = asker.send_msg(f"[{sock.id:x}]:", NGM_GENERIC_COOKIE, NGM_TEXT_CONFIG, reply=True, timeout=10)
            answer.append(msg.data)

        thread = threading.Thread(target=ask)
        thread.start()
        request = api(sock.next_event(timeout=10))
        assert isinstance(request, MessageEvent) and request.msg.cmd == NGM_TEXT_CONFIG
        sock.reply_to(request, b"config of api test\0")
        thread.join(10)
    assert answer == [b"config of api test\0"]


def test_status_answered_by_another_socket_node(api: Api, sock: Any) -> None:
    with SockNode() as server:
        def answer() -> None:
            request = server.next_event(timeout=10)
            server.reply_to(request, b"all good\0")

        thread = threading.Thread(target=answer)
        thread.start()
        assert api(sock.status(f"[{server.id:x}]:", timeout=10)) == "all good"
        thread.join(10)
    with pytest.raises(OSError) as info:
        api(api(sock.ksocket(hook="ks")).status())
    assert info.value.errno == errno.EINVAL and info.value.command == "textstatus"  # ksocket has none


def test_closing_wakes_a_thread_waiting_for_events() -> None:  # threads: the blocking API only
    node = SockNode()
    failures: List[BaseException] = []

    def wait_forever() -> None:
        try:
            node.next_event()
        except OSError as exc:
            failures.append(exc)

    thread = threading.Thread(target=wait_forever)
    thread.start()
    deadline = time.monotonic() + 10
    while not node._control._reading and time.monotonic() < deadline:  # until it sits in select()
        time.sleep(0.01)
    node.close()
    thread.join(10)
    assert not thread.is_alive()
    assert [f.errno for f in failures] == [errno.ENOTCONN]  # type: ignore[attr-defined]
