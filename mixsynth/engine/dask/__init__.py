"""The Dask engine: ``generate`` over tables larger than memory, on a laptop or a cluster
(imported only by ``--engine dask``).

docs/theory.md, "Tables in parts": mixing inside a partition keeps that partition's mean and multiplies its
covariance by rho, so by the law of total covariance the union of the partitions keeps
the whole table's mean and covariance with generalized weights (each partition aiming
at the finite-sample target of its own size, as ``--by`` groups do), however the table
was cut, and no global pairing is needed. Vanilla weights shrink only the
within-partition covariance: by rho + (1 - rho)/m when the rows were first spread over
the partitions at random (the default, seeded), slower than rho^g when the partitions
follow the data (``--no-shuffle``).

Each partition is synthesized by the in-memory code (:class:`mixsynth.engine.memory.
GenerationStream`, on an Arrow table) against one :class:`~mixsynth.engine.reference.Reference`
of the whole input (schema, encodings, ranges: exact reductions over every row), with
a random stream of its own spawned from the seed: the files are byte-identical
whatever the number of workers and the order in which the tasks ran.

One concern per module, in the order a run meets them: :mod:`.sources` (the input's
files and partitions), :mod:`.reference` (the whole table's reference), :mod:`.shuffle`
(partitioning), :mod:`.mixing` (one partition on a worker), :mod:`.workers` (their
memory), :mod:`.tasks` (running batches, progress, failures), :mod:`.publish`
(datasets written atomically), :mod:`.cluster` (the client) and :mod:`.job`, which
runs them.
"""

from mixsynth.engine.dask.cluster import check_cluster_options, dask_client
from mixsynth.engine.dask.job import DaskGenerateJob, GenerationSummary
from mixsynth.engine.dask.sources import Source, find_source, read_partitions
from mixsynth.engine.dask.tasks import Progress, Tracker

__all__ = [
    "DaskGenerateJob",
    "GenerationSummary",
    "Progress",
    "Source",
    "Tracker",
    "check_cluster_options",
    "dask_client",
    "find_source",
    "read_partitions",
]
