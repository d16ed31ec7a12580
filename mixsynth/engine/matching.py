"""Whole-column matching of a generation (``--match-shapes``, ``--match-moments``): the
steps of a :class:`~mixsynth.engine.memory.GenerationStream` that need every row of a
mixed column at once, before the slices are made from it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

from mixsynth.columns import ColumnSpec
from mixsynth.engine.kernel import Pairs
from mixsynth.engine.reference import Reference
from mixsynth.semantics.treatments import bound_keeping_variance

#: Rounds of shape matching, moment correction and bounds with ``match_moments``.
MATCH_ROUNDS = 3


class WholeColumnMatching:
    """The whole-column steps of a GenerationStream (which holds the state they use:
    ``plan``, ``pairs``, ``reference``, ``mixed``, ``rngs``, ...)."""

    plan: Any
    pairs: Pairs
    reference: Reference
    options: Any
    mixed: list[ColumnSpec]
    rngs: dict
    outside: dict
    rule_repairs: int
    moment_match: Any
    _matched: dict
    # GenerationStream's and RuleKeeping's own steps, which these build on.
    _column_source: Callable[..., Any]
    _whole_columns: Callable[[Executor], dict[Any, np.ndarray]]

    def _match_whole_columns(self, pool: Executor) -> None:
        """Every mixed column of the whole generation, matched to the source: its
        shape within the pairing groups (``match_shapes``, :mod:`.shapes`), then its
        mean vector and covariance (``match_moments``, :mod:`.moments`), then kept in
        range. With both, the three steps alternate :data:`MATCH_ROUNDS` times,
        moments and bounds last: each step bends the others' result a little, and the
        next round is a smaller move (measured: docs/structure.md). The slices take
        their rows from here. Holds the mixed columns in memory."""

        self._matched = self._whole_columns(pool)
        # Mixed with weights inside each pair's interval, these keep every order: the
        # rows that matching bends past an order get them back (RulePlan.unbreak).
        unmatched = {}
        if self.plan is not None and self.plan.inequalities:
            unmatched = {n: v.copy() for n, v in self._matched.items() if n in self.plan.limited}
        sources = {spec.name: self._column_source(spec)[0] for spec in self.mixed}
        targets = self._shape_targets(sources, pool) if self.options.match_shapes else {}
        for round_ in range(MATCH_ROUNDS if self.options.match_moments else 1):
            if self.options.match_shapes:
                self._match_shapes(sources, targets, pool)
            if self.options.match_moments:
                from mixsynth.engine.moments import match_moments

                self.moment_match = match_moments(sources, self._matched)
            for spec in self.mixed:
                counts = bound_keeping_variance(
                    self._matched[spec.name],
                    *self.reference.ranges[spec.name],
                    self.options.bounds,
                )
                if round_ == 0:
                    self.outside[str(spec.name)] = list(counts)
            if unmatched:  # each round, so that the next one matches what it left
                repaired = self.plan.unbreak(self._matched, unmatched)
        if unmatched:
            self.rule_repairs += repaired

    def _shape_targets(self, sources: dict[Any, np.ndarray], pool: Executor) -> dict[Any, Any]:
        """Each source column sorted by pairing group and value, once for every round."""
        from mixsynth.engine.shapes import ShapeTarget

        codes = self.pairs.group_codes
        tasks = {
            name: pool.submit(ShapeTarget.of, source, codes) for name, source in sources.items()
        }
        return {name: task.result() for name, task in tasks.items()}

    def _match_shapes(
        self, sources: dict[Any, np.ndarray], targets: dict[Any, Any], pool: Executor
    ) -> None:
        """Each mixed column mapped by rank onto its source's values, within the
        groups rows were paired in (an output row's group is its dominant donor's),
        a column per task (numpy's sorts release the GIL); then no row left a copy of
        its donor (:func:`~mixsynth.engine.shapes.break_copies`)."""
        from mixsynth.engine.shapes import break_copies, match_shapes

        output_codes = self.pairs.group_codes[self.pairs.dominant]
        names = [spec.name for spec in self.mixed]
        tasks = [
            pool.submit(
                match_shapes, targets[name], self._matched[name], output_codes, self.rngs[name]
            )
            for name in names
        ]
        for task in tasks:
            task.result()
        break_copies(
            [self._matched[name] for name in names],
            [sources[name] for name in names],
            [self.pairs.dominant],
            output_codes,
        )
