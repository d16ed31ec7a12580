"""Where a job's Dask engine runs, and the refusal of Dask settings without it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mixsynth.errors import OptionError


@dataclass(frozen=True)
class DaskSettings:
    """Where the Dask engine runs: a scheduler's address, or a local cluster's size."""

    scheduler: str | None = None
    workers: int | None = None
    memory_limit: str | None = None
    dashboard: bool = False
    #: Where the dashboard's address is said (asked for, so said even when notes are not).
    say: Callable[[str], None] = field(default=lambda line: None, compare=False)

    def given(self) -> dict[str, bool]:
        """Which settings were given, by flag (each needs the Dask engine)."""
        return {
            "--scheduler": self.scheduler is not None,
            "--workers": self.workers is not None,
            "--memory-limit": self.memory_limit is not None,
            "--dashboard": self.dashboard,
        }

    def check(self) -> None:
        from mixsynth.engine.dask import check_cluster_options

        check_cluster_options(self.scheduler, self.workers, self.memory_limit, self.dashboard)

    @contextmanager
    def client(self) -> Iterator[Any]:
        """A Dask client for the job; the dashboard's address said when asked."""
        from mixsynth.engine.dask import dask_client

        with dask_client(
            self.scheduler, self.workers, self.memory_limit, dashboard=self.dashboard
        ) as client:
            if self.dashboard:
                self.say(f"dashboard: {client.dashboard_link}")
            yield client


def refuse_dask_only(given: dict[str, bool]) -> None:
    """Settings of the Dask engine are refused without it (they would be ignored)."""
    for option, is_given in given.items():
        if is_given:
            raise OptionError(f"{option} needs --engine dask", "add --engine dask or leave it out")
