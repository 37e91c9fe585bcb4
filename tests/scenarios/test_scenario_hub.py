"""FreeBSD's tests/sys/netgraph/hub.c, ported: many_hooks.

A hub with one more hook per round; each round sends one packet into the
newest hook, so the hub copies it to every other hook, all of them ours.
FreeBSD's socket node appends each copy to our data socket with
``sbappendaddr``; once ``net.graph.recvspace`` (20 KiB, and 8 times that of
mbuf memory) is used up within one round, the copy to the oldest hook "a"
(the last the hub serves) fails and the send returns ENOBUFS.  hub.c checks
that more than 100 rounds pass and marks "all 1000" an expected failure.
"""

from __future__ import annotations

import errno
from typing import List, Optional

from pyngraph.errors import NetgraphError

MSG = b"test\0"  # sizeof("test")
HOOKS = 1000
QUIET_MS = 20  # hub.c waits 50 ms; in-process delivery is done when send() returns
# 5-byte packets: each copy takes one data mbuf and one for the address, 2 * MSIZE
# (256) of sb_mbcnt; sb_mbmax = 8 * 20480, so a round of more than 320 copies fails.
FREEBSD_LIMIT = 8 * 20480 // (2 * 256)


def test_many_hooks(ng, backend: str) -> None:
    r: List[int] = [0]
    ng.mkpeer(".", "a", "hub", "a")
    ng.name("a", "hub")
    try:
        ng.register_data("a", lambda data: r.__setitem__(0, r[0] + 1))
        failed: Optional[NetgraphError] = None
        for i in range(HOOKS):
            hook = f"hook{i}"
            ng.connect(".", hook, "hub:", hook)
            try:
                ng.send_data(hook, MSG)
            except NetgraphError as exc:
                failed = exc
                break
            ng.handle_events(QUIET_MS)
        assert r[0] > 100
        assert r[0] < HOOKS  # hub.c: an expected failure ("Implementation limitation")
        assert failed is not None and failed.errno == errno.ENOBUFS
        if backend == "emulated":  # FreeBSD's books, to the packet
            assert r[0] == i == FREEBSD_LIMIT
    finally:
        ng.shutdown("hub:")
