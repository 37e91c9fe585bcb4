"""Helpers of the API tests: loopback ports, and one test body for the blocking and the asyncio API."""

from __future__ import annotations

import asyncio
import inspect
import socket
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, List, Optional, Tuple, Union

from pyngraph.aio import AioSockNode
from pyngraph.api import SockNode

#: No API call of a test waits longer than this on asyncio (a hang fails instead).
LIMIT = 30.0


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def stalled_listener() -> Iterator[Tuple[Tuple[str, int], Callable[[], None]]]:
    """A loopback TCP listener whose accept queue is full, so it drops SYNs and a connect to it
    stays in progress; ``make_room()`` frees the queue and the connect completes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        filler = socket.create_connection(server.getsockname(), timeout=5)
        extra = socket.socket()
        extra.setblocking(False)
        extra.connect_ex(server.getsockname())

        def make_room() -> None:
            server.accept()[0].close()
            server.accept()[0].close()

        try:
            yield server.getsockname(), make_room
        finally:
            filler.close()
            extra.close()


class Api:
    """Runs a test on one API: ``api(sock.info())`` is the result, called directly or awaited on a loop.

    On asyncio, each awaited call runs the test's event loop until it is done;
    between calls the loop stands still (the socket nodes' input waits for it).
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.loop: Optional[asyncio.AbstractEventLoop] = asyncio.new_event_loop() if mode == "asyncio" else None

    def __repr__(self) -> str:
        return f"<Api {self.mode}>"

    def __call__(self, result: Any) -> Any:
        if self.loop is None or not inspect.isawaitable(result):
            return result
        return self.loop.run_until_complete(asyncio.wait_for(result, LIMIT))

    def socknode(self, name: Optional[str] = None, *, data: bool = True) -> Union[SockNode, AioSockNode]:
        """A new socket node of this API (asyncio: on the test's loop)."""
        if self.loop is None:
            return SockNode(name, data=data)

        async def make() -> AioSockNode:
            return AioSockNode(name, data=data)

        return self.loop.run_until_complete(make())

    @contextmanager
    def closing(self, thing: Any) -> Iterator[Any]:
        """``with`` for both APIs: ``thing`` (a socket node, ksocket, accepted connection) closed at the end."""
        try:
            yield thing
        finally:
            self(thing.close())

    def iterate(self, items: Any) -> Iterator[Any]:
        """The items of an iterator of either API (an async one is stepped on the loop)."""
        if self.loop is None:
            yield from items
            return
        while True:
            try:
                yield self(items.__anext__())
            except StopAsyncIteration:
                return

    def items(self, items: Iterable[Any]) -> List[Any]:
        return list(self.iterate(items))

    def close(self) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()
