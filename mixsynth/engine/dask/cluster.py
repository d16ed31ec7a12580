"""The cluster: a client on a scheduler, or on a local cluster tuned for the engine."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from mixsynth.engine.dask.tasks import ClusterLost, first_line
from mixsynth.errors import ClusterError, OptionError


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    processes: bool = True,
    dashboard: bool = False,
) -> Iterator[Any]:
    """A ``distributed.Client`` on the scheduler at ``scheduler``, or on a local cluster
    of ``workers`` single-threaded workers (default: one per core) with
    ``memory_limit`` each, which spill to disk as they approach it."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {scheduler!r}: {first_line(error)}",
                "start one (dask-scheduler, then dask-worker ADDRESS) or leave out --scheduler",
            ) from None
        with _cluster_loss_in_one_line(f"at {scheduler!r}"), client:
            yield client
        return
    import dask

    # Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns
    # off glibc's adaptive mmap threshold: every array over 128 KiB is then mapped
    # afresh and faulted in page by page. Mixing 1M x 20 rows took 355,000 page faults
    # and 1.4 s of system time that way, against 17,000 and 0.2 s with arrays under
    # 4 MiB (a slice's) from the heap and the heap trimmed past 32 MiB free (measured:
    # glibc's defaults alone kept so much freed memory that 1.5 GiB workers were
    # killed on 10M rows).
    environ = "distributed.nanny.pre-spawn-environ"
    # The workers' Arrow allocates with that tuned malloc too, unless the user chose a
    # pool: the set-up docs/scale.md measured (10M and 50M rows within 1.5 GiB).
    malloc = {
        f"{environ}.MALLOC_MMAP_THRESHOLD_": 4 * 2**20,
        f"{environ}.MALLOC_TRIM_THRESHOLD_": 32 * 2**20,
        f"{environ}.ARROW_DEFAULT_MEMORY_POOL": os.environ.get(
            "ARROW_DEFAULT_MEMORY_POOL", "system"
        ),
    }
    with dask.config.set(malloc):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=processes,
            memory_limit=memory_limit or "auto",
            dashboard_address=":0" if dashboard else None,
            silence_logs=50,
        )
    with _cluster_loss_in_one_line("of the local cluster"), cluster, Client(cluster) as client:
        yield client


@contextlib.contextmanager
def _cluster_loss_in_one_line(where: str) -> Iterator[None]:
    """A cluster lost mid-run as one line naming what was lost (the scheduler: killed,
    or the connection cut; or the workers, with data only they held, or every worker
    gone for :data:`~.tasks.NO_WORKER_GRACE` seconds), not Dask's
    chained tracebacks; Dask's own log lines about it are held back while the client
    runs. ``where``: 'at ADDRESS' or 'of the local cluster'."""
    import logging

    from distributed.comm.core import CommClosedError
    from distributed.utils import CancelledError

    logs = [logging.getLogger(name) for name in ("distributed", "distributed.client")]
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.CRITICAL)
    try:
        yield
    except (CancelledError, CommClosedError, ClusterLost) as error:
        reason = getattr(error, "reason", None) or first_line(error)
        scheduler = getattr(error, "scheduler", isinstance(error, CommClosedError))
        scheduler = scheduler or "connection" in reason
        lost = "scheduler" if scheduler else "workers (and the data only they held)"
        raise ClusterError(
            f"lost the Dask {lost} {where} before the run finished ({reason}); no output "
            "was written",
            "check that the scheduler and its workers stay up (and have the memory they "
            "need), then run again: the same --seed gives the same files",
        ) from None
    finally:
        for log, level in zip(logs, levels, strict=True):
            log.setLevel(level)


def check_cluster_options(
    scheduler: str | None, workers: int | None, memory_limit: str | None, dashboard: bool
) -> None:
    """Refuse cluster options that cannot be honoured, before anything starts."""
    if scheduler is not None and (workers is not None or memory_limit is not None):
        raise OptionError(
            "--workers and --memory-limit size a local cluster; with --scheduler the "
            "cluster's workers were sized when they were started",
            "leave them out, or leave out --scheduler",
        )
    if scheduler is not None and "://" not in scheduler:
        raise OptionError(
            f"--scheduler {scheduler!r} is not an address", "give e.g. tcp://127.0.0.1:8786"
        )
    if workers is not None and workers < 1:
        raise OptionError(f"--workers must be at least 1, got {workers}")
    if memory_limit is not None:
        from dask.utils import parse_bytes

        try:
            limit = parse_bytes(memory_limit)
        except (ValueError, TypeError):
            limit = 0
        if limit < 64 * 2**20:
            raise OptionError(
                f"cannot use --memory-limit {memory_limit!r}",
                "give a size per worker of at least 64MiB, e.g. 2GiB",
            )
    if dashboard and scheduler is None:
        import importlib.util

        if importlib.util.find_spec("bokeh") is None:
            raise ClusterError(
                "--dashboard needs the bokeh package, which is not installed",
                "pip install 'bokeh>=3.1', or leave out --dashboard",
            )
