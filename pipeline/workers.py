"""How every stage starts its process pool.

Workers come from one forkserver (so they never inherit the parent's DuckDB threads) that
is started once per process with every module a stage's workers need already imported:
whichever stage starts it first, the next stages' workers fork cheaply from it, and their
numeric libraries use one thread each (pipeline._worker_init).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

PRELOAD = [
    "pipeline._worker_init",
    "pipeline.clean",
    "pipeline.detect",
    "pipeline.engine",
    "trafilatura",
]


def process_pool(workers: int) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(workers, mp_context=ctx)
