"""Imported first by the forkserver the worker pools fork from, before numpy loads there:
numeric libraries in a worker use one thread. The pool keeps every core busy already; with
a BLAS thread per core inside each worker, the sentence lane's small matrix products ran
4x slower than in one process (5,000 articles: align 7.5 s on the pool, 1.4 s with this)."""

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
