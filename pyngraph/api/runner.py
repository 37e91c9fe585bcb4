"""How one API body serves both the blocking and the asyncio API.

A facade method is written once, as a function returning an operation of
:mod:`.ops` (a generator of steps)::

    @operation
    def info(self) -> Op[NodeInfo]:
        return ops.info(self.path)

On a :class:`Blocking` object, ``ref.info()`` runs the steps to the result
(:func:`drive`); on an :class:`Asynchronous` one, ``await ref.info()`` does
(:func:`drive_async`).  :class:`iteration` does the same for iterators: its
operation gives the next item, or None at the end.  Every facade object has
``_run(op)``, the runner of its socket node.
"""

from __future__ import annotations

import sys
from typing import (
    Any, AsyncIterator, Awaitable, Callable, Generic, Iterator, Optional, Protocol, TypeVar,
    overload,
)

from ..errors import NetgraphError
from .ops import Op, Step

if sys.version_info >= (3, 10):
    from typing import Concatenate, ParamSpec
    P = ParamSpec("P")
else:  # Python 3.9: Concatenate is read only by type checkers (annotations are strings)
    P = TypeVar("P")

T = TypeVar("T")
F = TypeVar("F")
C = TypeVar("C", bound="_Closable")
A = TypeVar("A", bound="_AsyncClosable")


class Blocking:
    """Marks the blocking API: an operation returns its result."""


class Asynchronous:
    """Marks the asyncio API: an operation returns an awaitable of its result."""


class _Member:
    """A facade member made from a function returning an operation; bound by the object's API."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__doc__, self.__name__ = func.__doc__, func.__name__

    def _get(self, obj: Any) -> Any:
        if obj is None:
            return self
        bound = self._bind(obj, self.func, isinstance(obj, Asynchronous))
        bound.__doc__, bound.__name__ = self.__doc__, self.__name__
        return bound

    @staticmethod
    def _bind(obj: Any, func: Callable[..., Any], asynchronous: bool) -> Callable[..., Any]:
        raise NotImplementedError


class operation(_Member, Generic[F, P, T]):
    """A facade method from a function returning an operation: blocking or awaitable by the object's API."""

    def __init__(self, func: Callable[Concatenate[F, P], Op[T]]) -> None:
        super().__init__(func)

    @overload
    def __get__(self, obj: None, owner: Any) -> "operation[F, P, T]": ...
    @overload
    def __get__(self, obj: Blocking, owner: Any) -> Callable[P, T]: ...
    @overload
    def __get__(self, obj: Asynchronous, owner: Any) -> Callable[P, Awaitable[T]]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        return self._get(obj)

    @staticmethod
    def _bind(obj: Any, func: Callable[..., Any], asynchronous: bool) -> Callable[..., Any]:
        def method(*args: Any, **kwargs: Any) -> Any:
            return obj._run(func(obj, *args, **kwargs))
        return method


class iteration(_Member, Generic[F, P, T]):
    """A facade iterator from a function returning an operation that gives the next item, None at the end."""

    def __init__(self, func: Callable[Concatenate[F, P], Op[Optional[T]]]) -> None:
        super().__init__(func)

    @overload
    def __get__(self, obj: None, owner: Any) -> "iteration[F, P, T]": ...
    @overload
    def __get__(self, obj: Blocking, owner: Any) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(self, obj: Asynchronous, owner: Any) -> Callable[P, AsyncIterator[T]]: ...

    def __get__(self, obj: Any, owner: Any) -> Any:
        return self._get(obj)

    @staticmethod
    def _bind(obj: Any, func: Callable[..., Any], asynchronous: bool) -> Callable[..., Any]:
        async def async_items(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            while (item := await obj._run(func(obj, *args, **kwargs))) is not None:
                yield item

        def items(*args: Any, **kwargs: Any) -> Iterator[Any]:
            while (item := obj._run(func(obj, *args, **kwargs))) is not None:
                yield item

        return async_items if asynchronous else items


def drive(op: Op[T], perform: Callable[[Step], Any]) -> T:
    """Run ``op`` to its result, performing each step with ``perform`` (a failure is thrown back into it)."""
    try:
        step = next(op)
        while True:
            try:
                result = perform(step)
            except NetgraphError as exc:
                step = op.throw(exc)
            else:
                step = op.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


async def drive_async(op: Op[T], perform: Callable[[Step], Awaitable[Any]]) -> T:
    """:func:`drive` for coroutines: each step is awaited."""
    try:
        step = next(op)
        while True:
            try:
                result = await perform(step)
            except NetgraphError as exc:
                step = op.throw(exc)
            else:
                step = op.send(result)
    except StopIteration as stop:
        value: T = stop.value
        return value


class _Closable(Protocol):
    def close(self) -> None: ...


class _AsyncClosable(Protocol):
    def close(self) -> Awaitable[None]: ...


class Closing:
    """``with obj:`` closes it at the end (blocking API)."""

    def __enter__(self: C) -> C:
        return self

    def __exit__(self: _Closable, *exc: object) -> None:
        self.close()


class AsyncClosing:
    """``async with obj:`` closes it at the end (asyncio API)."""

    async def __aenter__(self: A) -> A:
        return self

    async def __aexit__(self: _AsyncClosable, *exc: object) -> None:
        await self.close()


__all__ = ["AsyncClosing", "Asynchronous", "Blocking", "Closing", "drive", "drive_async", "iteration", "operation"]
