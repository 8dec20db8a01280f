"""The Ray engine: the per-document work on a Ray cluster's workers (extra `newsdedup[ray]`).

Ray Data reads the Parquet shards `pipeline.engine.run_sharded` writes (the input file list,
then the rule-cleaned documents), runs the pure functions `read_shard` / `finish_shard` on
the workers and writes Parquet shards back; the global steps stay in DuckDB on the driver.
Without an address a local Ray instance is started (and stopped) on this machine. On a
multi-node cluster every node needs newsdedup installed, the inputs and the work directory
on a path they all see (a shared file system).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipeline.errors import EXIT_USAGE, PipelineError

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


class RayEngine:
    """A Mapper (see pipeline.engine) on Ray Data; a context manager that owns the connection.

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

    def __enter__(self) -> RayEngine:
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
        for name in ("ray", "ray.data"):
            logging.getLogger(name).setLevel(logging.ERROR)  # its notes are not ours to print
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def map_parquet(
        self, fn: Callable[..., pa.Table], kwargs: dict[str, Any], src: Path, dest: Path
    ) -> None:
        """fn over every shard of src, one Ray Data task per shard; one Parquet file each in dest.

        The dataset is the list of shards, one block each, and every task reads its shard and
        writes its output itself (`engine.apply_file`, the same as the process pool): the
        parallelism is the shard count, whatever the shards' size on disk (Ray's
        `read_parquet` merges small files into one read task, and our input shards are small:
        a list of file paths), and no path goes through fsspec (its HTTP support needs
        aiohttp, which ray[data] does not install).
        """
        import ray

        parts = sorted(src.glob("*.parquet"))
        dest.mkdir(parents=True, exist_ok=True)
        if not parts:
            return
        items = [{"src": str(p), "dest": str(dest / p.name)} for p in parts]
        shards = ray.data.from_items(items, override_num_blocks=len(items))
        # Ray's annotations take a one-argument function; ours gets fn_kwargs too
        apply: Any = _apply_shards
        ds = shards.map_batches(
            apply,
            fn_kwargs={"fn": fn, "kwargs": kwargs},
            batch_format="pyarrow",
            batch_size=1,
        )
        done = sum(r["rows"] for r in ds.take_all())
        log.info("%s: %d shards, %d rows out", getattr(fn, "__name__", fn), len(items), done)


def _apply_shards(
    shards: pa.Table, fn: Callable[..., pa.Table], kwargs: dict[str, Any]
) -> pa.Table:
    from pipeline.engine import apply_file

    rows = [
        apply_file(fn, kwargs, src, dest)
        for src, dest in zip(
            shards.column("src").to_pylist(), shards.column("dest").to_pylist(), strict=True
        )
    ]
    return pa.table({"rows": pa.array(rows, pa.int64())})
