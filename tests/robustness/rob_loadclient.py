"""Load client: ``threads`` socket nodes, each asking ``count`` NODEINFOs and checking every reply.

Run as a script (``python rob_loadclient.py THREADS COUNT``, backend from the
environment) it prints ``sent N matched M`` and exits 0; imported, use
:func:`hammer`.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Dict, List

from pyngraph.abi import NodeInfo
from pyngraph.abi.constants import NGM_GENERIC_COOKIE, NGM_LISTHOOKS, NGM_NODEINFO


def one_client(lib: Any, count: int, totals: Dict[str, int], lock: threading.Lock) -> None:
    """One socket node: ``count`` requests alternating NODEINFO and LISTHOOKS, replies checked."""
    cs, _ = lib.NgMkSockNode(None, False)
    sent = matched = 0
    try:
        token = lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, NGM_NODEINFO)
        me = NodeInfo.decode(lib.NgRecvMsg(cs, 4096)[0].data).id
        for i in range(count):
            cmd = NGM_NODEINFO if i % 2 else NGM_LISTHOOKS
            token = lib.NgSendMsg(cs, ".", NGM_GENERIC_COOKIE, cmd)
            sent += 1
            msg, sender = lib.NgRecvMsg(cs, 4096)
            info = NodeInfo.decode(msg.data[:72])
            if (msg.is_response and msg.token == token and msg.cmd == cmd and info.id == me
                    and sender == f"[{me:x}]:"):
                matched += 1
    finally:
        lib.transport.close(cs)
        with lock:
            totals["sent"] += sent
            totals["matched"] += matched


def hammer(lib: Any, threads: int, count: int) -> Dict[str, int]:
    """Run ``threads`` clients at once; totals of requests sent and replies that matched."""
    totals = {"sent": 0, "matched": 0, "failed": 0}
    lock = threading.Lock()
    errors: List[BaseException] = []

    def run() -> None:
        try:
            one_client(lib, count, totals, lock)
        except BaseException as exc:  # reported in the totals
            with lock:
                totals["failed"] += 1
                errors.append(exc)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        totals["first_error"] = repr(errors[0])  # type: ignore[assignment]
    return totals


if __name__ == "__main__":
    from pyngraph.backend import get_backend

    result = hammer(get_backend(), int(sys.argv[1]), int(sys.argv[2]))
    print(f"sent {result['sent']} matched {result['matched']} failed {result['failed']}", flush=True)
    if result["failed"]:
        print(result.get("first_error"), file=sys.stderr)
