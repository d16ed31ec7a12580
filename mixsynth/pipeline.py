"""The ``generate`` job: read the input, run the generations, write every file safely.

Kept apart from the kernel so that synthesis stays a pure function of tables, and
from the CLI so that Python users can run the same job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mixsynth.errors import MixsynthError
from mixsynth.io import STDIO, Table, TableFormat, check_output, read_table, write_table
from mixsynth.synth import (
    Generation,
    Reference,
    SynthesisOptions,
    group_codes,
    run_generations,
)


def generation_file(out_dir: Path, index: int, fmt: TableFormat) -> Path:
    return out_dir / f"gen-{index:03d}.{fmt.value}"


@dataclass(kw_only=True)
class GenerateJob:
    """Everything ``mixsynth generate`` does, as one object (no printing of its own)."""

    input: str
    options: SynthesisOptions
    generations: int = 1
    output: str | None = None
    output_format: TableFormat | None = None
    out_dir: Path | None = None
    seed: int | None = None
    input_format: TableFormat | None = None
    encoding: str = "utf-8"
    report: str | None = None
    resume: bool = False
    force: bool = False
    say: Callable[[str], None] = field(default=lambda line: None)

    def run(self, on_generation: Callable[[Generation], None] = lambda g: None) -> list[dict]:
        """Run the job; returns the per-generation report entries (empty without a report)."""
        source = read_table(self.input, self.input_format, self.encoding)
        fmt = self.output_format or (TableFormat.CSV if self.output == STDIO else source.format)
        reference = Reference.of(source.frame, self.options.categorical)
        group_codes(source.frame, self.options.by)  # a bad --by fails before any output
        if self.seed is None:
            self.seed = int(np.random.SeedSequence().entropy % 2**32)
            self.say(f"seed: {self.seed} (give --seed {self.seed} to repeat this run)")
        start, frame = self._starting_point(source, fmt)
        for generation in run_generations(
            frame, self.options, self.generations, self.seed, reference, start
        ):
            if self.out_dir is not None:
                write_table(
                    generation.frame,
                    str(generation_file(self.out_dir, generation.index, fmt)),
                    fmt,
                    source.arrow_schema,
                )
            if generation.index == self.generations and self.output is not None:
                write_table(generation.frame, self.output, fmt, source.arrow_schema)
            on_generation(generation)
        return []

    def _starting_point(self, source: Table, fmt: TableFormat):
        """Generation to start after, and its table: 0 and the input, or where a run stopped."""
        if self.out_dir is None:
            return 0, source.frame
        if not self.out_dir.exists():
            self.out_dir.mkdir(parents=True)
        if not self.out_dir.is_dir():
            raise MixsynthError(f"--out-dir {str(self.out_dir)!r} is not a folder")
        done = 0
        while generation_file(self.out_dir, done + 1, fmt).exists():
            done += 1
        if not self.resume:
            for index in range(1, self.generations + 1):
                check_output(str(generation_file(self.out_dir, index, fmt)), self.force)
            return 0, source.frame
        if done == 0:
            return 0, source.frame
        done = min(done, self.generations)
        self.say(f"resuming after generation {done} of {self.generations}")
        last = read_table(
            str(generation_file(self.out_dir, done, fmt)), fmt, schema=source.arrow_schema
        )
        return done, last.frame
