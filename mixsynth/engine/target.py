"""A privacy target (``privacy_target``): the least change to the default synthesis
whose output is no closer to the rows it was made from than to rows it never saw.

The input is split in two halves inside the run (seeded; on a small input several
random splits, :data:`TARGET_MEASURED_ROWS`); each half is synthesized with the
settings below, in order, and each output's *DCR share* is measured: the share of
synthetic rows closer to the half they were made from than to the other, held-out half
(ties count one half; a fresh real sample scores 0.5), each split both ways round, all
averaged. The first setting whose share is at most the target is chosen:

1. the defaults (margin 0);
2. the copied columns taken from near rows (``copy_neighbours``, :mod:`.neighbours`,
   blocks of :data:`TARGET_NEIGHBOURS` rows unless the options give a size; only on a
   table that has copied columns to take), then margins 0.05, ..., 0.5 with them, then
   rows from four donors (``donors=4``) with them: taking copied columns from near rows
   costs the least quality where copied columns are what finds the donor, and nothing
   where there are none; four donors go farther than any margin where the numbers
   find the donor;
3. if none reaches it, the margins and four donors again with the copied columns split
   between the donors (``split_copied``), the lever of the tables of codes that share
   a few combinations;
4. if none reaches it either, the numeric codes mixed and rounded (``mix_codes``), with
   the copied columns left from near rows, then the margins and four donors with them:
   for a table of codes where nothing else reaches it.
5. if none reaches it either and the input has keys found on it (a panel's firm and
   year unique together, a time index), steps 1-4 again without them
   (:data:`PANEL_KEYS`): each row's key is otherwise a real row's, copied whole, and a
   row that shares its key with a training row is nearer it than any held-out row,
   whatever its numbers (ggplot2's txhousing, city x year x month: 0.97-0.99 at every
   setting). The year and month are then mixed as numbers; declared keys are kept.

From :data:`TARGET_SHAPES_MARGIN` on, and with four donors, the trials match shapes
too, onto values between the source's (``shapes_between``): the source's own values
would let a rare value single out its row. If no setting
reaches the target the closest one is kept. The chosen settings then make the real
run, from the whole input.

The DCR share is the report's (:func:`mixsynth.metrics.dcr_share`), given by the
caller as ``share`` (the engine sits below the metrics): one definition of the figure
the target is about. On tables larger than :data:`TARGET_SAMPLE_ROWS` rows the search
runs on a seeded sample of that size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixsynth.columns import columns_of, infer_schema
from mixsynth.engine.memory import synthesize
from mixsynth.engine.options import SynthesisOptions
from mixsynth.engine.reference import Reference, table_semantics
from mixsynth.errors import collected_warnings

#: The margins tried, smallest first (0: the default weights).
TARGET_MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5)
#: Rows of the input the search uses at most (half made from, half held out).
TARGET_SAMPLE_ROWS = 4000
#: Synthetic rows each trial is measured on at least, over several random splits of a
#: small input (each split measured both ways round): a DCR share on n rows has a
#: standard error near 0.5/sqrt(n), 0.054 on the 86 rows of half of penguins' half.
TARGET_MEASURED_ROWS = 2000
#: Random splits at most.
TARGET_SPLITS = 4
#: From this margin on, the search also matches shapes (``match_shapes``): at margins
#: 0.4-0.5 it gives back 0.02-0.07 of overall quality at about the same DCR share
#: (docs/privacy.md), as wide margins distort the marginal shapes (delta grows as D^2).
TARGET_SHAPES_MARGIN = 0.2
#: The block size the search takes copied columns from near rows with (``copy_neighbours``):
#: 3 to 20 score alike (docs/privacy.md).
TARGET_NEIGHBOURS = 5

#: Kinds of rule that copy a real row's key whole (docs/rules.md): dropped by the search's
#: last step when found on the input, not declared.
PANEL_KEYS = ("unique", "time index")

#: The DCR share of ``synthetic`` made from ``train`` against ``holdout`` (tables of the
#: input's type): :func:`mixsynth.metrics.dcr_share`, given by the caller.
ShareOf = Callable[[Any, Any, Any], float]


@dataclass(frozen=True)
class Trial:
    """One setting the search tried, and the DCR share it measured."""

    margin: float
    copy_neighbours: int
    split_copied: bool
    donors: int
    mix_codes: bool
    share: float
    #: The rules kept, where the search dropped a panel's keys found on the input
    #: (None: the input's, found as usual).
    rules: tuple | None = None

    @property
    def match_shapes(self) -> bool:
        """Wide margins and four donors distort the marginal shapes: matched back."""
        return self.margin >= TARGET_SHAPES_MARGIN or self.donors > 2

    def options(self, options: SynthesisOptions) -> SynthesisOptions:
        """``options`` with this setting (the privacy target resolved)."""
        return dataclasses.replace(
            options,
            privacy_margin=self.margin,
            copy_neighbours=self.copy_neighbours,
            split_copied=self.split_copied,
            donors=self.donors,
            mix_codes=self.mix_codes,
            # A row on a combination of codes real rows share is changed too: a row
            # equal to a training row is what a DCR share counts first (distance 0).
            all_rows_new=True,
            # Between the source's values: exactly its values would make every mixed
            # value a real one, and rare ones single out their row; --match-shapes
            # given keeps them exact, as asked.
            shapes_between=options.shapes_between
            or (self.match_shapes and not options.match_shapes),
            privacy_target=None,
            **self._rules(),
        )

    def _rules(self) -> dict:
        if self.rules is None:
            return {}
        return {"rules": self.rules, "rule_files": (), "detect_rules": False}


@dataclass(frozen=True)
class TargetChoice:
    """What the search chose and measured (recorded in the run record)."""

    target: float
    chosen: Trial
    reached: bool  #: False: no setting reached the target; the closest one was kept
    tried: tuple[Trial, ...] = ()  #: every setting measured, in the order tried

    @property
    def margin(self) -> float:
        return self.chosen.margin

    @property
    def share(self) -> float:
        """The chosen setting's DCR share on the held-out half."""
        return self.chosen.share

    def record(self) -> dict:
        """What the run record and the report keep of it."""
        return {
            "target": self.target,
            "margin": self.chosen.margin,
            "copy_neighbours": self.chosen.copy_neighbours,
            "split_copied": self.chosen.split_copied,
            "donors": self.chosen.donors,
            "mix_codes": self.chosen.mix_codes,
            "match_shapes": self.chosen.match_shapes,
            "keys_kept": self.chosen.rules is None,
            "dcr_share": self.chosen.share,
            "reached": self.reached,
        }

    def describe(self) -> str:
        """One line for the terminal."""
        chosen = self.chosen
        copied = ""
        if chosen.copy_neighbours:
            copied = f", copied columns from near rows (blocks of {chosen.copy_neighbours})"
        elif chosen.split_copied:
            copied = ", copied columns split between donors"
        shapes = ", shapes matched" if chosen.match_shapes else ""
        codes = ", codes mixed" if chosen.mix_codes else ""
        keys = ""
        if chosen.rules is not None:
            keys = ", keys found on the input not kept (their rows would be real rows' keys)"
        missed = "" if self.reached else f" (none reached {self.target:g}: the closest kept)"
        weights = "four donors" if chosen.donors > 2 else f"margin {chosen.margin:g}"
        return (
            f"--privacy-target {self.target:g}: {weights}{copied}{codes}{keys}{shapes}, DCR "
            f"share {chosen.share:.3f} on a held-out half of the input{missed}"
        )

    def options(self, options: SynthesisOptions) -> SynthesisOptions:
        """``options`` with the chosen setting (the target met)."""
        return self.chosen.options(options)


def choose_margin(
    table: Any, options: SynthesisOptions, target: float, seed: int, share: ShareOf
) -> TargetChoice:
    """Search the first setting (see the module) whose DCR share on a held-out half is
    <= ``target`` (the mean over the two ways round: each half made from, the other
    held out), measured with ``share``. The trials' warnings are dropped: they speak of
    the halves (a 2-row input's halves have a single row), and the real run says its own."""
    with collected_warnings():
        return _search(table, options, target, seed, share)


def _search(
    table: Any, options: SynthesisOptions, target: float, seed: int, share: ShareOf
) -> TargetChoice:
    source = columns_of(table)
    # The halves take the whole input's column types, as the real run will: a column
    # of keys on a half may be a column of repeated numbers on the whole.
    storage = infer_schema(table, options.categorical)
    options = dataclasses.replace(options, metadata=table_semantics(table, storage, options))
    # And its rules: a panel's keys (city, year, month) fill half their grid on the
    # input, a quarter on a half of it, where they are no key; the halves mixed the
    # year and month the real run copies (ggplot2's txhousing: 0.60 measured, 0.99 on
    # a true holdout).
    whole = Reference.of(table, options).rules
    options = dataclasses.replace(options, rules=whole, rule_files=(), detect_rules=False)
    rng = np.random.default_rng(seed)
    used = min(source.rows, TARGET_SAMPLE_ROWS)
    splits = []
    for _ in range(min(TARGET_SPLITS, max(1, -(-TARGET_MEASURED_ROWS // used)))):
        rows = rng.permutation(source.rows)[:used]
        half = used // 2
        halves = [
            source.build(source.take(source.names, np.sort(part)))
            for part in (rows[:half], rows[half : 2 * half])
        ]
        splits += [halves, halves[::-1]]
    references = _References()
    tried: list[Trial] = []
    for kept in _rule_sets(whole):
        asked = options if kept is None else dataclasses.replace(options, rules=kept)
        for settings in _settings(splits[0][0], asked, references):
            trial = Trial(*settings, share=0.0, rules=kept).options(asked)
            shares = []
            for k, (made_from, held_out) in enumerate(splits):
                reference = references.of(made_from, trial)
                rng = np.random.default_rng([seed, k])
                synthetic = synthesize(made_from, trial, rng, reference).frame
                shares.append(share(made_from, held_out, synthetic))
            tried.append(Trial(*settings, share=float(np.mean(shares)), rules=kept))
            if tried[-1].share <= target:
                return TargetChoice(target, tried[-1], True, tuple(tried))
    closest = min(tried, key=lambda trial: trial.share)
    return TargetChoice(target, closest, False, tuple(tried))


def _rule_sets(rules: tuple) -> list[tuple | None]:
    """The input's rules as found (None), then, if it has keys found on it, its rules
    without them (step 5 of the module)."""
    keys = [r for r in rules if r.kind in PANEL_KEYS and r.origin == "detected"]
    if not keys:
        return [None]
    return [None, tuple(rule for rule in rules if rule not in keys)]


class _References:
    """Each half's Reference, made once per way of taking copied columns: the only
    settings of a trial it depends on (margins, four donors and shapes act on the
    mixing; semantics, rules and ranges are the half's)."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, bool, bool, bool, tuple], tuple[Any, Reference]] = {}

    def of(self, half: Any, options: SynthesisOptions) -> Reference:
        key = (
            id(half),
            options.copy_neighbours > 0,
            options.split_copied,
            options.mix_codes,
            options.rules,  # a panel's keys dropped or not (the search's step 5)
        )
        if key not in self._made:  # the half kept beside it: its id stays its own
            self._made[key] = (half, Reference.of(half, options))
        return self._made[key][1]


def _settings(
    half: Any, options: SynthesisOptions, references: _References | None = None
) -> list[tuple[float, int, bool, int, bool]]:
    """(margin, copy_neighbours, split_copied, donors, mix_codes) in the order the search
    tries them, without the settings that cannot differ from one tried before: margins
    or four donors on a table with no mixed column, a lever on a table with no copied
    columns it can take or no code to mix. Four donors given by the user: no margins."""
    references = references or _References()
    asked = dataclasses.replace(options, privacy_target=None)
    size = options.copy_neighbours or TARGET_NEIGHBOURS  # the user's block size, if given
    near = dataclasses.replace(asked, copy_neighbours=size, split_copied=False)
    reference = references.of(half, near)
    neighbours = size if reference.copy_groups else 0
    split_options = dataclasses.replace(near, copy_neighbours=0, split_copied=True)
    split = bool(references.of(half, split_options).copy_groups)
    mixed = _mixed_columns(reference)
    coded: list[tuple[float, int, bool, int, bool]] = []  # the codes mixed: tried last
    if not options.mix_codes:
        mixing = references.of(half, dataclasses.replace(near, mix_codes=True))
        if _mixed_columns(mixing) > mixed:
            coded = _weights(True, options, size if mixing.copy_groups else 0, False, True)
    user = (options.copy_neighbours, options.split_copied, options.donors, options.mix_codes)
    settings = [(0.0, *user)]
    settings += _weights(mixed > 0, options, neighbours, False, options.mix_codes)
    if split:
        settings += _weights(mixed > 0, options, 0, True, options.mix_codes)
    settings += coded
    if options.donors == 4:  # the user's: every trial with them
        settings = [(0.0, n, split_, 4, mix) for _, n, split_, _, mix in settings]
    return list(dict.fromkeys(settings))


def _weights(
    mixed: bool, options: SynthesisOptions, neighbours: int, split: bool, mix_codes: bool
) -> list[tuple[float, int, bool, int, bool]]:
    """One way of taking copied columns with each margin, then four donors (they reach
    lower shares), where there is a mixed column to move."""
    margins = TARGET_MARGINS if mixed and options.donors == 2 else TARGET_MARGINS[:1]
    settings = [(margin, neighbours, split, 2, mix_codes) for margin in margins]
    if mixed:
        settings.append((0.0, neighbours, split, 4, mix_codes))
    return settings


def _mixed_columns(reference: Reference) -> int:
    """How many columns the reference mixes (made-up columns are not mixed)."""
    return sum(
        spec.kind.is_mixed and spec.name not in reference.real_values for spec in reference.schema
    )
