"""The Ray executor: the stages' per-document work on a Ray cluster (extra `newsdedup[ray]`).

`--engine ray` gives the clean and detect stages this executor instead of the local process
pool (pipeline.executor): each job becomes a Ray task running the same pure function, and
the stages store the results as they always do, so the rows are the same. Without an
address a local Ray instance is started (and stopped) on this machine. On a multi-node
cluster every node needs newsdedup installed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from pipeline.errors import EXIT_USAGE, PipelineError
from pipeline.executor import Wait

log = logging.getLogger(__name__)

RAY_PIN = "ray[data]==2.60.0"  # the version tests/test_engine.py runs against


class EngineUnavailable(PipelineError):
    """The engine asked for cannot run here (its extra is not installed)."""

    exit_code = EXIT_USAGE


def require() -> Any:
    """The ray module, or one clear error naming the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise EngineUnavailable(
            f"--engine ray needs Ray ({exc.name or 'ray'} is not importable): "
            "install newsdedup[ray], e.g. pip install 'newsdedup[ray]'"
        ) from None
    return ray


class RayExecutor:
    """An executor (pipeline.executor) of Ray tasks; a context manager that owns the
    connection.

    `address` connects to a running cluster (ray.init(address=...)); without it a local
    instance with `num_cpus` CPUs (0: all) is started. An instance already initialised in
    this process (a test's) is used as is and left running.
    """

    name = "ray"

    def __init__(self, address: str | None = None, num_cpus: int = 0) -> None:
        self.address = address
        self.num_cpus = num_cpus
        self.workers = 1
        self._started = False
        self._remote: dict[Callable[..., Any], Any] = {}

    def __enter__(self) -> RayExecutor:
        ray = require()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "logging_level": logging.WARNING,
                "configure_logging": True,
            }
            if self.address:
                kwargs["address"] = self.address
            elif self.num_cpus:
                kwargs["num_cpus"] = self.num_cpus
            try:
                ray.init(**kwargs)
            except (ConnectionError, RuntimeError, TimeoutError, ValueError) as exc:
                where = f" at {self.address}" if self.address else ""
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise PipelineError(f"cannot start or reach Ray{where}: {first}") from None
            self._started = True
        logging.getLogger("ray").setLevel(logging.ERROR)  # its notes are not ours to print
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def map(self, fn: Callable[..., Any], jobs: Sequence[Any], *args: Any) -> Wait:
        """One Ray task per job; the shared arguments go to the object store once."""
        import ray

        if fn not in self._remote:
            self._remote[fn] = ray.remote(fn)
        task = self._remote[fn]
        shared = [ray.put(a) for a in args]
        refs = [task.remote(job, *shared) for job in jobs]
        return lambda: list(ray.get(refs))

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
