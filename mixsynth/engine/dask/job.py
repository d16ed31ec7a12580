"""The Dask generate job: every generation as a Parquet dataset, partition by partition."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mixsynth.choices import TableFormat
from mixsynth.engine.dask.mixing import PartResult, generate_part
from mixsynth.engine.dask.publish import (
    PART_NAME,
    check_dataset_output,
    publish_copy,
    scratch_folder,
    temporary_folder,
)
from mixsynth.engine.dask.reference import summarize_part, whole_reference
from mixsynth.engine.dask.shuffle import (
    MIN_PARTITION_ROWS,
    concat_parts,
    gather_part,
    merge_tiny,
    scatter_counts,
    scatter_part,
    scatter_rows,
    shuffle_partitions,
)
from mixsynth.engine.dask.sources import (
    Source,
    common_schema,
    find_source,
    read_partitions,
)
from mixsynth.engine.dask.tasks import Progress, Tracker
from mixsynth.engine.kernel import allocate_rows
from mixsynth.engine.memory import fresh_seed
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.engine.weights import WeightDistribution
from mixsynth.errors import OptionError, warn
from mixsynth.semantics.keys import KeyShare

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client, Future


@dataclass
class GenerationSummary:
    """One generation made by the Dask engine."""

    index: int
    rows: int
    partitions: int
    path: str  #: the dataset folder it was written to
    out_of_range: dict[str, float]  #: share of observed values outside the input's range
    weights: list[WeightDistribution]  #: each partition's weights, in partition order


@dataclass(kw_only=True)
class DaskGenerateJob:
    """``mixsynth generate --engine dask``: every generation as a Parquet dataset.

    Generation g + 1 is read back from generation g's files, so no generation is ever
    held in memory whole. Without ``out_dir`` the intermediate generations live in a
    hidden folder beside the output, removed at the end.
    """

    input: str
    options: SynthesisOptions
    generations: int = 1
    output: str | None = None
    out_dir: Path | None = None
    seed: int | None = None
    input_format: TableFormat | None = None
    encoding: str = "utf-8"
    shuffle: bool = True
    partition_rows: int | None = None
    force: bool = False
    say: Callable[[str], None] = field(default=lambda line: None)

    def check(self) -> Source:
        """Everything that can be refused before any work: input, outputs, options."""
        self.options.check()
        if self.options.keep_associations:
            raise OptionError(
                "the Dask engine cannot keep associations: the categories that explain "
                "the numerical columns are chosen on the whole table at once",
                "leave the option out, or use --engine memory",
            )
        if self.generations < 1:
            raise OptionError(f"--generations must be at least 1, got {self.generations}")
        if self.output is None and self.out_dir is None:
            raise OptionError("no output given", "give -o FOLDER or --out-dir DIR")
        if self.partition_rows is not None and self.partition_rows < MIN_PARTITION_ROWS:
            raise OptionError(
                f"--partition-rows must be at least {MIN_PARTITION_ROWS}, got "
                f"{self.partition_rows}",
                "each partition needs a few hundred rows for its own target (docs/theory.md, "
                "Tables in parts)",
            )
        source = find_source(self.input, self.input_format)
        for dest in self._destinations():
            check_dataset_output(dest, self.force, source)
        return source

    def _destinations(self) -> list[Path]:
        paths = [Path(self.output)] if self.output is not None else []
        if self.out_dir is not None:
            paths += [self.out_dir / f"gen-{i:03d}" for i in range(1, self.generations + 1)]
        return paths

    def run(self, client: Client, on_progress: Progress = lambda done, total: None) -> list:
        """Run every generation on ``client`` (a ``distributed.Client``)."""
        from dask import delayed

        source = self.check()
        if self.seed is None:
            self.seed = fresh_seed()
            self.say(f"seed: {self.seed} (give --seed {self.seed} to repeat this run)")
        tracker = Tracker(on_progress)
        parts = read_partitions(source, self.encoding)
        summaries = tracker.run(
            client,
            [delayed(summarize_part)(p, self.options) for p in parts],
            more=len(parts) * self.generations,
        )
        schema = common_schema([s.schema for s in summaries])
        if source.format is TableFormat.CSV and schema is not None:
            # The CSV files were typed differently: read every one with one schema.
            parts = read_partitions(source, self.encoding, schema)
            summaries = tracker.run(
                client,
                [delayed(summarize_part)(p, self.options) for p in parts],
                more=len(parts) * self.generations,
            )
        reference = whole_reference(summaries, self.input, self.options.keep_pii)
        sizes = [s.rows for s in summaries]
        schema = summaries[0].schema  # every partition's, checked by whole_reference
        row_bytes = _row_bytes(reference)
        # Sent to every worker once, not inside every task: made-up columns' real values
        # (which fakes must avoid) can be large.
        shared = client.scatter(reference, broadcast=True, hash=False)
        seeds = np.random.SeedSequence(self.seed).spawn(self.generations)
        results = []
        with self._workspace() as workspace:
            for index in range(1, self.generations + 1):
                folder = self._folder(index, workspace)
                parts, sizes, summary = self._generation(
                    client,
                    tracker,
                    parts,
                    sizes,
                    schema,
                    shared,
                    seeds[index - 1],
                    index,
                    folder,
                    row_bytes,
                )
                results.append(summary)
            if self.output is not None and self.out_dir is not None:
                publish_copy(results[-1].path, Path(self.output))
        return results

    def _generation(
        self,
        client: Client,
        tracker: Tracker,
        parts: list,
        sizes: list[int],
        schema: pa.Schema,
        reference: Future,  #: the input's Reference, held by every worker
        seed: np.random.SeedSequence,
        index: int,
        folder: Path,
        row_bytes: int,
    ) -> tuple[list, list[int], GenerationSummary]:
        """One generation from ``parts`` (delayed tables of ``sizes`` rows, of the
        input's Arrow ``schema``) into ``folder``; returns the next generation's parts."""
        shuffle_seed, mix_seed, made_seed = seed.spawn(3)
        with contextlib.ExitStack() as stack:
            if self.shuffle:
                scratch = stack.enter_context(scratch_folder(folder))
                parts, sizes = self._shuffled(
                    client, tracker, parts, sizes, schema, shuffle_seed, row_bytes, scratch, index
                )
            return self._mix(
                client,
                tracker,
                parts,
                sizes,
                schema,
                reference,
                (mix_seed, made_seed),
                index,
                folder,
            )

    def _mix(
        self,
        client: Client,
        tracker: Tracker,
        parts: list,
        sizes: list[int],
        schema: pa.Schema,
        reference: Future,  #: the input's Reference, held by every worker
        seeds: tuple[np.random.SeedSequence, np.random.SeedSequence],
        index: int,
        folder: Path,
    ) -> tuple[list, list[int], GenerationSummary]:
        """Mix every partition into its part file of ``folder`` (``seeds``: of the
        mixing and of the made-up columns)."""
        from dask import delayed

        total = sum(sizes)
        if not self.shuffle:
            groups = merge_tiny(sizes)
            parts = [
                parts[g[0]] if len(g) == 1 else delayed(concat_parts)(*(parts[i] for i in g))
                for g in groups
            ]
            sizes = [sum(sizes[i] for i in g) for g in groups]
        rows = allocate_rows(np.array(sizes), self.options.rows or total).tolist()
        part_seeds, made_seeds = (s.spawn(len(parts)) for s in seeds)
        before = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(int).tolist()
        shares = [KeyShare(k, len(parts), before[k], max(rows)) for k in range(len(parts))]
        with temporary_folder(folder) as temporary:
            paths = [str(temporary / PART_NAME.format(k)) for k in range(len(parts))]
            tasks = [
                delayed(generate_part)(
                    part,
                    rows[k],
                    self.options,
                    reference,
                    part_seeds[k],
                    index,
                    paths[k],
                    schema,
                    shares[k],
                    made_seeds[k],
                )
                for k, part in enumerate(parts)
            ]
            made = tracker.run(client, tasks, more=len(parts) * (self.generations - index))
        for message in dict.fromkeys(m for r in made for m in r.warnings):
            warn(message, stacklevel=2)
        written = [(k, r) for k, r in enumerate(made) if r.rows]
        files = [str(folder / PART_NAME.format(k)) for k, _ in written]
        next_parts = [delayed(_read_part)(f) for f in files]
        summary = GenerationSummary(
            index=index,
            rows=sum(r.rows for _, r in written),
            partitions=len(written),
            path=str(folder),
            out_of_range=_out_of_range([r for _, r in written]),
            weights=[r.weights for _, r in written],
        )
        return next_parts, [r.rows for _, r in written], summary

    def _shuffled(
        self,
        client: Client,
        tracker: Tracker,
        parts: list,
        sizes: list[int],
        schema: pa.Schema,
        seed: np.random.SeedSequence,
        row_bytes: int,
        scratch: Path,
        index: int,
    ) -> tuple[list, list[int]]:
        """The rows spread over new partitions at random (seeded), with their sizes.

        Two stages through Parquet files in ``scratch``: every partition writes its
        rows grouped by drawn destination (:func:`scatter_part`), then each new
        partition reads its row group from every file (:func:`gather_part`, run as
        the mixing task's input). Dask's own shuffles (tasks or p2p) held several
        copies of 160 MB partitions per worker and were killed at 1.5 GiB per worker
        on 10M rows x 20 (docs/scale.md); here a worker holds one partition.
        """
        from dask import delayed

        total = sum(sizes)
        count = shuffle_partitions(total, row_bytes, self.partition_rows)
        seeds = seed.spawn(len(parts))
        counts = [scatter_counts(seeds[i], n, count) for i, n in enumerate(sizes)]
        files = [str(scratch / PART_NAME.format(i)) for i in range(len(parts))]
        tasks = [
            delayed(scatter_part)(part, seeds[i], count, files[i]) for i, part in enumerate(parts)
        ]
        tracker.run(client, tasks, more=count * (self.generations - index + 1))
        shuffled = [
            delayed(gather_part)(files, scatter_rows(counts, k), schema) for k in range(count)
        ]
        return shuffled, [int(c) for c in np.sum(counts, axis=0)]

    def _folder(self, index: int, workspace: Path | None) -> Path:
        """Where generation ``index`` goes: --out-dir, the output, or the workspace."""
        if self.out_dir is not None:
            return self.out_dir / f"gen-{index:03d}"
        if index == self.generations:
            assert self.output is not None  # check(): --out-dir or -o
            return Path(self.output)
        assert workspace is not None
        return workspace / f"gen-{index:03d}"

    @contextlib.contextmanager
    def _workspace(self) -> Iterator[Path | None]:
        """A hidden folder beside the output for intermediate generations (if needed)."""
        if self.out_dir is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            yield None
            return
        if self.generations == 1:
            yield None
            return
        assert self.output is not None  # check(): --out-dir or -o
        parent = Path(self.output).absolute().parent
        workspace = Path(tempfile.mkdtemp(prefix=".mixsynth-generations-", dir=parent))
        try:
            yield workspace
        finally:
            shutil.rmtree(workspace, ignore_errors=True)


def _read_part(path: str) -> pa.Table:
    """A worker task: one part file of a generation, for the next generation."""
    from pyarrow import parquet

    return parquet.read_table(path)


def _row_bytes(reference: Reference) -> int:
    """Rough in-memory bytes per row: 8 per mixed column, 32 per copied one."""
    return sum(8 if spec.kind.is_mixed else 32 for spec in reference.schema)


def _out_of_range(results: Sequence[PartResult]) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for result in results:
        for name, (outside, observed) in result.outside.items():
            entry = totals.setdefault(name, [0, 0])
            entry[0] += outside
            entry[1] += observed
    return {name: (o / n if n else 0.0) for name, (o, n) in totals.items()}
