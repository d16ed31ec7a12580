"""Batches of tasks run on the cluster, with progress over all of them and their
failures turned into one-line errors."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mixsynth.errors import ClusterError, InputError, MixsynthError, one_line

if TYPE_CHECKING:
    from distributed import Client

Progress = Callable[[int, int], None]  #: (tasks done, tasks known so far)

#: Seconds a run waits with no worker left (after it had some) before it is given up:
#: the scheduler would keep the tasks for a worker forever. A nanny restarts a worker in
#: a few seconds.
NO_WORKER_GRACE = 30.0
#: Seconds between looks at the workers while no task finishes.
POLL = 1.0


class ClusterLost(ClusterError):
    """The scheduler (``scheduler``) or every worker lost mid-run, for ``reason``."""

    def __init__(self, reason: str, scheduler: bool) -> None:
        lost = "scheduler" if scheduler else "workers"
        super().__init__(
            f"lost the Dask {lost} before the run finished ({reason})",
            "check that the scheduler and its workers stay up, then run again",
        )
        self.reason, self.scheduler = reason, scheduler

    def __reduce__(self):
        return (type(self), (self.reason, self.scheduler))


class Tracker:
    """Runs batches of tasks on the cluster and reports progress over all of them."""

    def __init__(self, on_progress: Progress) -> None:
        self.on_progress, self.done, self.total = on_progress, 0, 0

    def run(self, client: Client, tasks: list, more: int = 0) -> list:
        """Results of ``tasks`` in order; ``more`` tasks are expected after these."""
        from distributed.scheduler import KilledWorker
        from distributed.utils import CancelledError

        self.total = self.done + len(tasks) + more
        self.on_progress(self.done, self.total)
        futures = client.compute(tasks)
        try:
            self._wait(client, futures)
            return client.gather(futures)
        except MixsynthError:
            raise
        except CancelledError as error:
            # The client cancels every future when it loses its scheduler.
            if client.status != "running":
                raise ClusterLost(
                    f"the connection to it was lost: {first_line(error)}", scheduler=True
                ) from None
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

    def _wait(self, client: Client, futures: list) -> None:
        """Until every task has finished (or failed), with progress at least every
        :data:`POLL` seconds; raises :class:`ClusterLost` when the cluster has had no
        worker for :data:`NO_WORKER_GRACE` seconds. (One wait on all the futures at a
        time: a wait for the first of them to finish costs a coroutine per future, per
        finished task.)"""
        from distributed import wait

        pending, alone_since = list(futures), None
        while pending:
            with contextlib.suppress(TimeoutError):
                wait(pending, timeout=POLL)
            left = [f for f in pending if not f.done()]
            if len(left) < len(pending):
                self.done += len(pending) - len(left)
                self.on_progress(self.done, self.total)
                pending, alone_since = left, None
                continue
            try:
                workers = client.nthreads()
            except (OSError, TimeoutError):  # the scheduler is gone: its futures say so
                continue
            if workers:
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > NO_WORKER_GRACE:
                raise ClusterLost(
                    f"no worker left for {NO_WORKER_GRACE:.0f} s, {len(pending)} tasks waiting",
                    scheduler=False,
                )


def first_line(error: BaseException, limit: int = 200) -> str:
    """The first line of a Dask or worker error, to quote in one of ours (theirs run
    over several lines: tables, tracebacks)."""
    text = one_line(str(error).strip().splitlines()[0] if str(error).strip() else repr(error))
    return text[:limit]
