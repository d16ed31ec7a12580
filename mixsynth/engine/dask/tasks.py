"""Batches of tasks run on the cluster, with progress over all of them and their
failures turned into one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mixsynth.errors import ClusterError, InputError, MixsynthError, one_line

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[int, int], None]  #: (tasks done, tasks known so far)


class Tracker:
    """Runs batches of tasks on the cluster and reports progress over all of them."""

    def __init__(self, on_progress: Progress) -> None:
        self.on_progress, self.done, self.total = on_progress, 0, 0

    def run(self, client: Client, tasks: list, more: int = 0) -> list:
        """Results of ``tasks`` in order; ``more`` tasks are expected after these."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        self.total = self.done + len(tasks) + more
        self.on_progress(self.done, self.total)
        futures = client.compute(tasks)
        try:
            for _ in as_completed(futures):
                self.done += 1
                self.on_progress(self.done, self.total)
            return client.gather(futures)
        except MixsynthError:
            raise
        except KilledWorker:
            raise ClusterError(
                "Dask workers died running the job, most likely past their memory limit",
                "give each worker more --memory-limit, fewer --workers, or a smaller "
                "--partition-rows",
            ) from None
        except (ValueError, TypeError, OSError, KeyError) as error:
            raise InputError(
                f"a Dask task failed: {first_line(error)}",
                "check that every input file holds the same columns and types",
            ) from None
        finally:
            client.cancel(futures)


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of a Dask or worker error, to quote in one of ours (theirs run
    over several lines: tables, tracebacks)."""
    text = one_line(str(error).strip().splitlines()[0] if str(error).strip() else repr(error))
    return text[:limit]
