"""Create/close cycles leave no node, thread or descriptor behind."""

from __future__ import annotations

import gc
import os
import threading
import time

from pyngraph import libnetgraph as ng
from pyngraph.abi import Mkpeer
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_MKPEER
from pyngraph.backend import get_backend

CYCLES = 1000


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_create_close_cycles(kernel, node_ids) -> None:
    t = get_backend().transport
    ng.NgMkSockNode()  # warm up: the kernel thread exists before counting
    gc.collect()  # earlier tests' unreferenced sockets are closed now, not during the count
    nodes, fds, threads = node_ids(), open_fds(), threading.active_count()
    for i in range(CYCLES):
        cs, ds = ng.NgMkSockNode(f"leak{i % 7}" if i % 2 else None)
        if i % 3 == 0:
            ng.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer("hole", "h", "h").encode())
        t.close(ds)
        t.close(cs)
    assert node_ids() == nodes
    assert open_fds() == fds
    assert threading.active_count() == threads


def test_plain_close_cycles_do_not_accumulate(kernel, node_ids) -> None:
    nodes = node_ids()
    fds = open_fds()
    for _ in range(300):
        cs, ds = ng.NgMkSockNode()
        os.close(ds)
        os.close(cs)
    # The kernel notices closed descriptors by itself.  A private channel whose
    # descriptor was closed behind the transport's back is released when that
    # descriptor number comes back: a few may be pending, never one per cycle.
    for _ in range(500):
        if node_ids() == nodes:
            break
        time.sleep(0.01)
    assert node_ids() == nodes
    assert open_fds() <= fds + 8
