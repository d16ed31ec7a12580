"""The workers' memory: each task gives back what it freed before the next one."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any


def releasing(task: Callable[..., Any]) -> Callable[..., Any]:
    """A worker task that gives its freed memory back when it ends (:func:`_release_memory`)."""

    @functools.wraps(task)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return task(*args, **kwargs)
        finally:
            _release_memory()

    return run


def _release_memory() -> None:
    """Give the memory a worker task freed back to the system before the next task.

    The workers keep glibc's adaptive malloc (see :func:`dask_client`), which keeps
    freed blocks for reuse, in one arena per thread: without this, a worker's memory
    grew task after task until Dask killed it at its limit (10M x 20, 1.5 GiB each).
    Arrow's own pool (mimalloc) is asked to return its unused memory too.
    """
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to trim
        ctypes.CDLL("libc.so.6").malloc_trim(0)
