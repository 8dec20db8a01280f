"""One exception family: the CLI turns each into one line on stderr and an exit code.
And the stop request: SIGINT / SIGTERM end a run as Ctrl-C does."""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
from collections.abc import Callable, Iterator

# Exit codes (see README): 0 ok, 1 failed, 2 usage, 3 partial, 75 busy (EX_TEMPFAIL).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_BUSY = 75


class PipelineError(Exception):
    """Base class: a message meant for the user and the exit code that goes with it."""

    exit_code = EXIT_FAILED


class InputError(PipelineError):
    """An input path or record that cannot be used."""

    exit_code = EXIT_USAGE


class DatabaseError(PipelineError):
    """The database file cannot be opened or written."""


class DatabaseBusy(DatabaseError):
    """Another process holds the database file."""

    exit_code = EXIT_BUSY


class SchemaTooNew(DatabaseError):
    """The database was written by a newer schema than this code knows."""


SIGNALS: dict[int, str] = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM"}
STOPPED: list[int] = []  # the signal that stopped this process, if any
_CANCELS: list[Callable[[], None]] = []  # what cuts short the work in flight (see on_stop)
SIGNALS_HANDLED = False
_ARMED = False  # whether on_signal raises (see stoppable)
_WAKEUP: list[socket.socket] = []  # the wakeup fd's two ends, held open for the process


def handle_stop_signals() -> None:
    """Install the stop handlers (the CLI does, at start-up). Python runs a handler only
    between bytecodes, so a 30-second DuckDB query would delay it by 30 seconds: the signal
    also wakes a thread (through the wakeup fd) that cancels the work in flight at once.
    Installed once per process; a second call does nothing."""
    global SIGNALS_HANDLED
    if SIGNALS_HANDLED:
        return
    SIGNALS_HANDLED = True
    for signum in SIGNALS:
        signal.signal(signum, on_signal)
    listen, wake = socket.socketpair()
    wake.setblocking(False)
    _WAKEUP[:] = [listen, wake]
    signal.set_wakeup_fd(wake.fileno(), warn_on_full_buffer=False)

    def watch() -> None:
        while data := listen.recv(64):
            if any(signum in SIGNALS for signum in data):
                for cancel in list(_CANCELS):
                    with contextlib.suppress(Exception):
                        cancel()

    threading.Thread(target=watch, name="stop-signal", daemon=True).start()


@contextlib.contextmanager
def on_stop(cancel: Callable[[], None]) -> Iterator[None]:
    """While inside, a stop signal also calls cancel (from another thread), such as a
    DuckDB connection's interrupt()."""
    _CANCELS.append(cancel)
    try:
        yield
    finally:
        _CANCELS.remove(cancel)


def on_signal(signum: int, _frame: object) -> None:
    """SIGINT / SIGTERM handler (installed by the CLI): once a command's work has begun
    (`stoppable`), raise KeyboardInterrupt. DuckDB may turn it into another error ("Query
    interrupted") when it lands inside a query, so code that catches broadly asks
    `stopping()` and lets the error through. Before that it only records the signal: a
    KeyboardInterrupt inside an import or typer's eval() of annotations makes CPython
    exit by SIGINT whatever the exit code asked."""
    STOPPED.append(signum)
    if _ARMED:
        raise KeyboardInterrupt


@contextlib.contextmanager
def stoppable() -> Iterator[None]:
    """A command's work: inside, a stop signal interrupts (one that came before interrupts
    on entry); outside, it is only recorded."""
    global _ARMED
    _ARMED = True
    try:
        if STOPPED:
            raise KeyboardInterrupt
        yield
    finally:
        _ARMED = False


def stopping() -> bool:
    """Whether a stop signal has arrived: any error from now on is the stop's doing."""
    return bool(STOPPED)


def stopped_by() -> str:
    return SIGNALS.get(STOPPED[-1], "signal") if STOPPED else "SIGINT"


def stop_signal() -> int:
    return STOPPED[-1] if STOPPED else signal.SIGINT
