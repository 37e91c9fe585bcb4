"""ngctl's interactive mode: a ``+ `` prompt (readline when available) and live events.

A monitor thread watches the control and data sockets and prints arriving
messages and packets at once, as ngctl's libedit build does.  While a typed
command runs it owns the sockets (``session.lock``), so commands read their
own replies.  When output lands while the user is typing, the prompt and
the typed text are shown again below it.
"""

from __future__ import annotations

import errno
import os
import select
import sys
import termios
import threading
from types import ModuleType
from typing import Any, Callable, List, Optional

from .. import libnetgraph as ng
from ..backend import emulator_gone
from .common import EX_OSERR
from .incoming import describe_data, describe_message
from .session import ERROR, QUIT, Session

PROMPT = "+ "
HISTORY = 100


def _readline() -> Optional[ModuleType]:
    try:
        import readline
    except ImportError:
        return None
    readline.set_history_length(HISTORY)
    return readline


class _Console:
    """Output shared by the monitor and the prompt."""

    def __init__(self, session: Session, readline: Optional[ModuleType]) -> None:
        self.session = session
        self.readline = readline
        self.at_prompt = False  # the prompt is on the screen, the user may be typing
        self.prompt_pending = False  # input() runs, its prompt may not be shown yet
        self.state = threading.Condition()
        self.terminal: Optional[List[Any]]
        try:
            self.terminal = termios.tcgetattr(0)
        except termios.error:
            self.terminal = None

    def reading(self, active: bool) -> None:
        """input() starts (``True``) or has returned (``False``)."""
        with self.state:
            self.prompt_pending = active and self.readline is not None
            self.at_prompt = active and self.readline is None
            self.state.notify_all()

    def prompt_shown(self) -> None:
        """readline's pre-input hook: the prompt has just been printed."""
        with self.state:
            self.at_prompt = True
            self.state.notify_all()

    def show(self, text: str) -> None:
        """Print ``text``; below the prompt and what is typed if the user is at the prompt."""
        with self.state:
            self.state.wait_for(lambda: self.at_prompt or not self.prompt_pending, timeout=1.0)
            if self.at_prompt:
                typed = self.readline.get_line_buffer() if self.readline else ""
                text = "\n" + text + PROMPT + typed
            self.session.out.write(text)
            self.session.out.flush()

    def fatal(self, text: str, err: Optional[OSError] = None) -> None:
        """ngctl's err(EX_OSERR): say it and end the whole process, from any thread."""
        if self.terminal is not None:  # readline may have the terminal in raw mode
            termios.tcsetattr(0, termios.TCSADRAIN, self.terminal)
        self.session.out.write("\n")
        self.session.out.flush()
        if err is None:
            self.session.diag.warnx(text)
        else:
            self.session.diag.warn(text, err)
            if err.errno in (errno.ENOTCONN, errno.EPIPE):
                self.session.diag.warnx(emulator_gone() or "this tool's node was shut down")
        os._exit(EX_OSERR)

    def show_ready(self) -> None:
        """Print every message and packet waiting now; the caller owns the sockets."""
        session = self.session
        while True:
            if session.has_message():
                try:
                    msg, path = session.receive()
                except OSError as exc:
                    self.fatal("recv incoming message", exc)
                self.show(describe_message(session, msg, path))
            elif select.select([session.data_socket()], [], [], 0)[0]:
                self._show_packet()
            else:
                return

    def _show_packet(self) -> None:
        try:
            data, hook = ng.NgAllocRecvData(self.session.data_socket())
        except OSError as exc:
            self.fatal("reading hook", exc)
        if not data and not hook:
            self.fatal("EOF from hook \"\"?")  # the node is gone: nothing says which hook
        self.show(describe_data(data, hook))


def _monitor(console: _Console) -> None:
    session = console.session
    fds = [session.cs, session.data_socket()]
    while True:
        select.select(fds, [], [])
        with session.lock:
            console.show_ready()


def _remember(readline: Optional[ModuleType], line: str) -> None:
    """History without blank lines or repeats of the previous line."""
    if readline is None:
        return
    if not line:
        return  # readline keeps no empty line
    count = readline.get_current_history_length()
    if count and (not line.strip() or (count > 1 and readline.get_history_item(count - 1) == line)):
        readline.remove_history_item(count - 1)  # the entry input() just added


def interact(session: Session, run_line: Callable[[Session, str], int], summary: str) -> int:
    """Run typed commands until quit or end of input; always returns QUIT."""
    readline = _readline()
    console = _Console(session, readline)
    session.out.write(summary)
    session.out.flush()
    threading.Thread(target=_monitor, args=(console,), name="pyngctl-monitor", daemon=True).start()
    if readline is not None:  # from when the prompt is on the screen
        readline.set_pre_input_hook(console.prompt_shown)
    while True:
        try:
            console.reading(True)
            line: Optional[str] = input(PROMPT)
        except EOFError:
            line = None
        except KeyboardInterrupt:
            line = ""
            sys.stdout.write("\n")
        finally:
            console.reading(False)
        if line is None:
            session.out.write("\n")
            session.out.flush()
            break
        _remember(readline, line)
        try:
            result = run_line(session, line)
        except KeyboardInterrupt:
            session.out.write("\n")
            result = ERROR
        if result == QUIT:
            break
        with session.lock:
            console.show_ready()
    session.lock.acquire()  # the monitor must not see the sockets close as the process ends
    return QUIT
