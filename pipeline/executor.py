"""Executors: where a stage's per-document work runs.

Every stage has one shape: select its pending rows, map a pure function over batches of
them through an executor, store the results in its own transaction. The executor is all
that differs between one process, every core of this machine and a Ray cluster
(`pipeline.ray_engine.RayExecutor`), so the three leave the same rows (tests/test_engine.py).

`map(fn, jobs, *args)` starts fn(job, *args) for every job and returns a function that waits
for the results, in job order: a stage stores one batch while the executor works on the
next.

The process pool's workers come from one forkserver (so they never inherit the parent's
DuckDB threads), started once per process with every stage's modules already imported:
whichever stage starts it first, the next stages' workers fork cheaply from it, and their
numeric libraries use one thread each (pipeline._worker_init).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, Protocol

PRELOAD = ["pipeline._worker_init", "pipeline.clean", "pipeline.detect", "trafilatura"]

Wait = Callable[[], list[Any]]


class Executor(Protocol):
    name: str
    workers: int  # how many jobs run at once

    def map(self, fn: Callable[..., Any], jobs: Sequence[Any], *args: Any) -> Wait: ...

    def close(self) -> None: ...


class Inline:
    """In this process, when the results are asked for."""

    name = "inline"
    workers = 1

    def map(self, fn: Callable[..., Any], jobs: Sequence[Any], *args: Any) -> Wait:
        return lambda: [fn(job, *args) for job in jobs]

    def close(self) -> None:
        pass


class ProcessPool:
    """Every core of this machine (`workers`, 0 = all): a process pool started on first use."""

    name = "pool"

    def __init__(self, workers: int = 0) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn: Callable[..., Any], jobs: Sequence[Any], *args: Any) -> Wait:
        if self._pool is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=watch_parent, initargs=(os.getpid(),)
            )
        results = self._pool.map(fn, jobs, *([a] * len(jobs) for a in args))
        return lambda: list(results)

    def close(self) -> None:
        """Wait for the workers to finish; while an exception (an interrupt) unwinds the
        stage, stop them at once instead."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        if sys.exc_info()[0] is None:
            pool.shutdown()
            return
        processes = list(getattr(pool, "_processes", {}).values())  # no public handle
        for proc in processes:
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.join(timeout=5)


def _gone(pid: int) -> bool:
    """Whether pid has died: no such process, or a zombie its own parent has not reaped
    yet (the workers hold the forkserver open, so they must notice the parent itself)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    except OSError:  # no /proc: ask the kernel (a zombie then counts as alive)
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return True
        return False
    return stat[stat.rindex(")") + 2] == "Z"


def watch_parent(parent: int) -> None:
    """Worker start-up: Ctrl-C is the parent's to handle (it stops the workers), and a
    thread ends the worker once the parent is gone, however it died (kill -9 included)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    forkserver = os.getppid()  # it exits when the parent's end of its pipe closes

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != forkserver or _gone(parent):
                os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def local(workers: int = 0) -> Executor:
    """This machine's executor: a process pool over `workers` cores (0 = all), or inline on
    one core."""
    pool = ProcessPool(workers)
    return pool if pool.workers >= 2 else Inline()


class Sized:
    """An executor for a stage: `over(n)` is the given executor when a batch of n items pays
    for it (at least `min_items`, and more than one worker), else inline. Closes only what it
    started itself."""

    def __init__(self, executor: Executor | None, workers: int, min_items: float) -> None:
        self._own = executor is None
        self.executor = executor if executor is not None else local(workers)
        self.min_items = min_items

    @property
    def workers(self) -> int:
        return self.executor.workers

    def pays(self, n: float) -> bool:
        return self.executor.workers >= 2 and n >= self.min_items

    def over(self, n: float) -> Executor:
        return self.executor if self.pays(n) else Inline()

    def close(self) -> None:
        if self._own:
            self.executor.close()
