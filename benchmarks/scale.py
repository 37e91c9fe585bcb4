"""Scale: many nodes in one graph — creation time, LISTNODES time, memory per node.

Nodes are made by MKPEER from one socket node (``hub``, or ``ksocket``
``inet/dgram/udp`` with one real UDP socket each), one libnetgraph round
trip per node.  Each size runs in a fresh daemon (daemon mode) or after the
previous graph was removed (in-process).  Memory is the kernel process's RSS
growth divided by the node count.  The rows compare against the goals
(10,000 nodes in 2 s, LISTNODES in 50 ms) and the per-node cost at the
largest size against the smallest (linear growth: about 1x).

LISTNODES is timed end to end (request, reply read and decoded) where the
reply fits one control datagram (AF_UNIX caps it near 200 KB, ~2,900
nodes); beyond that the kernel-side time of building the reply is given
(in-process mode, on the kernel thread).
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from typing import Dict, List, Optional, Tuple

from pyngraph.abi.args import Mkpeer, NameList
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_LISTNODES, NGM_MKPEER
from pyngraph.abi.message import NgMesg
from pyngraph.emulator.node import MsgItem

from .common import Mode, Result, raise_rcvbuf

GOAL_CREATE_10K = 2.0
GOAL_LISTNODES = 0.050  # for 10,000 nodes
_FITS = 2_500  # LISTNODES replies up to this many nodes fit one datagram
_SPARE_FDS = 1_000  # descriptors kept for everything but the ksockets' sockets


def _raise_nofile(want: int) -> int:
    """Raise the soft descriptor limit towards ``want`` (the hard limit caps it); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= want:
        return soft
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def _sizes(quick: bool, kind: str) -> Tuple[List[int], str]:
    """The node counts to run, and why a ksocket run stops short of 100,000 (one descriptor each)."""
    sizes = [100, 500] if quick else [1_000, 10_000, 100_000]
    if kind != "ksocket":
        return sizes, ""
    room = _raise_nofile(sizes[-1] + _SPARE_FDS) - _SPARE_FDS
    fitting = [n for n in sizes if n <= room]
    if len(fitting) == len(sizes):
        return sizes, ""
    largest = room // 1_000 * 1_000
    if largest > fitting[-1]:
        fitting.append(largest)
    return fitting, f"RLIMIT_NOFILE's hard limit allows {room + _SPARE_FDS} descriptors: {fitting[-1]:,} ksockets at most"


def _kernel_listnodes(count: int) -> float:
    """Seconds the in-process kernel takes to build and queue a LISTNODES reply (to node 0: dropped)."""
    from pyngraph.emulator.generic import generic_msg
    from pyngraph.emulator.inprocess import default_kernel

    kernel = default_kernel()

    def build() -> float:
        node = next(iter(kernel.nodes.values()))
        start = time.perf_counter()
        generic_msg(kernel, node, MsgItem(NgMesg(NGM_LISTNODES, NGM_GENERIC_COOKIE), 0))
        kernel.drain()
        return time.perf_counter() - start

    return min(kernel.call(build) for _ in range(3))


def _make(lib, cs: int, kind: str, count: int) -> float:
    """MKPEER ``count`` nodes of ``kind`` from the socket node of ``cs``; the seconds it took."""
    hookname = "inet/dgram/udp" if kind == "ksocket" else "in"
    start = time.perf_counter()
    for i in range(count):
        lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_MKPEER, Mkpeer(kind, f"h{i}", hookname).encode())
    return time.perf_counter() - start


def traced_bytes_per_node(mode: Mode, kind: str, count: int) -> float:
    """In-process: Python memory (tracemalloc) the kernel and transport hold per node made."""
    lib = mode.lib
    cs, _ = lib.NgMkSockNode(None, False)
    try:
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            _make(lib, cs, kind, count)
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        return grown / count
    finally:
        lib.transport.close(cs)


def one_size(mode: Mode, kind: str, count: int) -> Dict[str, float]:
    lib = mode.lib
    rss0 = mode.rss_kib()
    cs, _ = lib.NgMkSockNode(None, False)
    try:
        created = _make(lib, cs, kind, count)
        figures = {"create": created, "rss_per_node": (mode.rss_kib() - rss0) * 1024 / count}
        if count <= _FITS:
            raise_rcvbuf(cs, 1 << 20)  # the reply is larger than net.graph.recvspace (20 KiB)
            start = time.perf_counter()
            lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_LISTNODES)
            reply, _ = lib.NgRecvMsg(cs, 1 << 20)
            figures["listnodes"] = time.perf_counter() - start
            assert len(NameList.decode(reply.data).nodes) >= count
        elif mode.name == "inproc":
            figures["listnodes_kernel"] = _kernel_listnodes(count)
        return figures
    finally:
        lib.transport.close(cs)  # the socket node goes, its hooks go, and with them every node made


def run(quick: bool, modes: List[str]) -> List[Result]:
    rows = []
    for name in modes:
        for kind in ("hub", "ksocket"):
            sizes, short = _sizes(quick, kind)
            if len(sizes) < 2:
                print(f"scale {kind}: skipped ({short})")
                continue
            figures: List[Tuple[int, Dict[str, float]]] = []
            traced = None
            for count in sizes:
                with Mode(name, ["--max-nodes", "0", "--total-nodes", "0", "--max-hooks", "0", "--total-hooks", "0",
                                 "--max-channels", "0"]) as mode:
                    figures.append((count, one_size(mode, kind, count)))
                    if name == "inproc" and count == sizes[0]:
                        traced = traced_bytes_per_node(mode, kind, count)
            rows.extend(_rows(name, kind, figures, traced, short))
    return rows


def _rows(mode: str, kind: str, figures: List[Tuple[int, Dict[str, float]]],
          traced: Optional[float], short: str) -> List[Result]:
    (small, first), (big, last) = figures[0], figures[-1]
    detail = "; ".join(f"{n}: {f['create']:.2f} s, RSS +{f['rss_per_node']:,.0f} B/node"
                       + (f", LISTNODES {f['listnodes'] * 1e3:.1f} ms" if "listnodes" in f else "")
                       + (f", LISTNODES (kernel) {f['listnodes_kernel'] * 1e3:.1f} ms"
                          if "listnodes_kernel" in f else "")
                       for n, f in figures)
    if traced is not None:
        detail += f"; tracemalloc at {small}: {traced:,.0f} B/node"
    if short:
        detail += f"; {short}"
    per_small, per_big = first["create"] / small, last["create"] / big
    rows = [
        Result(f"scale {kind} create {big}", mode, last["create"], GOAL_CREATE_10K * big / 10_000, "s",
               goal=1, lower=True, notes=["baseline: the goal, 2 s per 10,000 nodes", detail]),
        Result(f"scale {kind} per-node cost {big} vs {small}", mode, per_big * 1e6, per_small * 1e6, "us/node",
               goal=1.5, lower=True, notes=["linear growth: the per-node cost stays flat"]),
    ]
    listed = [(n, f.get("listnodes", f.get("listnodes_kernel"))) for n, f in figures]
    listed = [(n, t) for n, t in listed if t is not None and n <= 10_000]  # the goal is for 10,000 nodes
    if listed:
        n, t = listed[-1]
        rows.append(Result(f"scale {kind} LISTNODES {n}", mode, t * 1e3, GOAL_LISTNODES * 1e3, "ms", goal=1,
                           lower=True, notes=["baseline: the goal, 50 ms"]))
    return rows
