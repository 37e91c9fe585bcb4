"""Fixtures of the ksocket tests: the emulated backend, the kernel, user socket nodes."""

from __future__ import annotations

from typing import Iterator, List

import pytest
from ks_support import User

from pyngraph import backend as backends


@pytest.fixture(autouse=True)
def emulated() -> Iterator[None]:
    with backends.using("emulated"):
        yield


@pytest.fixture
def users() -> Iterator[List[User]]:
    made: List[User] = []
    try:
        yield made
    finally:
        for user in made:
            user.close()


@pytest.fixture
def user(users: List[User]) -> User:
    u = User()
    users.append(u)
    return u
