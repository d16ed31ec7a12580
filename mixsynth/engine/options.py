"""What decides how one table is synthesized (:class:`SynthesisOptions`), and what a
generation is (:class:`Generation`): the vocabulary every engine shares.

Each synthesis option is declared once, as a field of :class:`SynthesisOptions` whose
:class:`Declared` says how users give it. The Python API's parameters
(:func:`~mixsynth.engine.given.with_options`), the CLI's flags
(``mixsynth.cli.common.declared_flags``) and, through ``--help``, docs/cli.md are built
from these fields; :func:`~mixsynth.engine.given.synthesis_options` turns what users gave
into checked options. Adding an option is adding a field here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mixsynth.choices import Bounds, Method, Pairing
from mixsynth.engine.declared import (
    choice,
    column_names,
    eps_pair,
    flag,
    given_rules,
    option,
    parse_eps,
)
from mixsynth.engine.weights import (
    DEFAULT_EPS,
    DEFAULT_MIX_STRENGTH,
    DONORS,
    MARGIN_HELP,
    SPEC_HELP,
    AnyWeights,
    MarginWeights,
    WeightDistribution,
    finite_sample_target,
    four_donor_weights,
    margin_weights,
    parse_weights,
    sample_variance_factor,
    solve_epbeta,
    vanilla_default,
)
from mixsynth.errors import MixsynthError, OptionError, warn
from mixsynth.semantics.metadata import as_metadata
from mixsynth.semantics.types import TableMetadata

if TYPE_CHECKING:
    from mixsynth.columns.kinds import DataTable


@dataclass(frozen=True, kw_only=True)
class SynthesisOptions:
    """Everything that decides how one table is synthesized (stored, checked at use).

    ``weights`` fixes the weight distribution; without it, vanilla uses Beta(0.2, 0.2)
    and generalized solves an EpBeta from ``mix_strength`` and ``eps`` whose variance
    factor is 1, or the finite-sample target when ``finite_sample`` is set.

    The defaults make output that can be handed over (:mod:`mixsynth.semantics`):
    ranges kept by reflection with the variance compensated, floats on the input's
    decimal grid, keys and personal data made up. ``bounds=Bounds.NONE``,
    ``semantics=False`` and ``round_decimals=False`` give plain mixup for research.

    Every field is an option users give, declared here once; the fields' order is the
    order of the flags in ``mixsynth generate --help``.
    """

    method: Method = option(
        Method.GENERALIZED,
        help="vanilla: weights inside [0, 1], default Beta(0.2, 0.2). generalized: "
        "variance-preserving expanded Beta (default). Inferred from --weights if omitted.",
        accepts=Method | str | None,
        convert=lambda value: None if value is None else choice(Method, value, "method"),
        given=None,  # generalized, unless the weights lie inside [0, 1]
        flag_type=Method | None,
    )
    weights: WeightDistribution | None = option(
        None,
        help=f"Weight distribution: {SPEC_HELP}.",
        accepts=WeightDistribution | str | None,
        convert=lambda value: parse_weights(value) if isinstance(value, str) else value,
        flag_type=str | None,
        flags=("--weights", "-w"),
    )
    mix_strength: float = option(
        DEFAULT_MIX_STRENGTH,
        help="Generalized solver: mixing strength 1 - E[lam], in (0, 1).",
        accepts=float,
        convert=float,
    )
    eps: tuple[float, float] = option(
        (DEFAULT_EPS, DEFAULT_EPS),
        help="Generalized solver: support [-eps0, 1+eps1]; 'E' or 'E0,E1'.",
        accepts=float | tuple[float, float],
        convert=eps_pair,
        flag_type=str,
        flag_default=f"{DEFAULT_EPS:g}",
        from_text=parse_eps,
    )
    finite_sample: bool = option(
        True,
        help="Generalized solver: aim the variance factor at the finite-sample target so "
        "the sample variance (ddof=1) is kept in expectation, not only the n-divided one.",
        accepts=bool,
        convert=flag,
    )
    rows: int | None = option(
        None,
        help="Rows per generation (default: as many as the input).",
        accepts=int | None,
        python=False,  # MixupSynthesizer.sample(num_rows)
    )
    by: tuple[str, ...] = option(
        (),
        help="Mix only inside groups of this column (repeatable).",
        accepts=Sequence[str] | str,
        convert=column_names,
        flag_type=list[str] | None,
        flags=("--by",),
        flag_default=None,
    )
    categorical: tuple[str, ...] = option(
        (),
        help="Copy this column from donor rows instead of mixing it (e.g. integer codes). "
        "Repeatable.",
        accepts=Sequence[str] | str,
        convert=column_names,
        flag_type=list[str] | None,
        flags=("--categorical",),
        flag_default=None,
    )
    pairing: Pairing = option(
        Pairing.BALANCED,
        help="balanced: every row an anchor equally often; iid: anchors at random.",
        accepts=Pairing | str,
        convert=lambda value: choice(Pairing, value, "pairing"),
        flag_type=Pairing,
    )
    bounds: Bounds = option(
        Bounds.REFLECT,
        help="Keep mixed values inside the input's range: reflect (default; the "
        "variance it removes is restored), clip, or none (plain mixup).",
        accepts=Bounds | str,
        convert=lambda value: choice(Bounds, value, "bounds"),
        flag_type=Bounds,
    )
    metadata: TableMetadata | None = option(  # overrides the inferred column semantics
        None,
        help="Column semantics from this JSON file (mixsynth's, or SDV's metadata JSON); "
        "columns it leaves out are inferred. For a folder of tables: the multi-table "
        "metadata (keys and relationships; found from names and values without it).",
        accepts=TableMetadata | Mapping[str, Any] | str | Path | None,
        convert=as_metadata,
        flag_type=str | None,
        flags=("--metadata",),
    )
    semantics: bool = option(  # False: storage kinds only (research runs)
        True,
        help="Infer column semantics (ids, personal data, codes, point masses, "
        "decimals); --no-semantics: storage types only, as plain mixup.",
        accepts=bool,
        convert=flag,
    )
    keep_pii: bool = option(
        False,
        help="Copy ids, personal data and free text from real rows instead of "
        "making them up (the output then holds real people's values).",
        accepts=bool,
        convert=flag,
    )
    locale: str = option(
        "en_US",
        help="Faker locale of fake personal data, e.g. de_DE (person names follow "
        "the locale of the real ones).",
        accepts=str,
        convert=str,
    )
    round_decimals: bool = option(
        True,
        help="Round float columns to the input's decimal places (variance kept).",
        accepts=bool,
        convert=flag,
    )
    match_moments: bool = option(  # moments.py
        False,
        help="Correct each generation so its numeric means and covariances equal its "
        "source's exactly (no random walk of the first two moments; docs/structure.md).",
        accepts=bool,
        convert=flag,
    )
    keep_associations: bool = option(  # associations.py
        False,
        help="Draw partners within the categories that explain numeric columns, so "
        "those associations do not fade over generations (docs/structure.md).",
        accepts=bool,
        convert=flag,
    )
    match_shapes: bool = option(  # shapes.py
        False,
        help="Give each numeric column its source's values in the order mixup ranked "
        "the rows, so shapes do not drift over generations (docs/structure.md).",
        accepts=bool,
        convert=flag,
    )
    shapes_between: bool = option(  # shapes.py quantiles_between
        False,
        help="Match shapes as --match-shapes does, but onto values between the source's "
        "(stratified, interpolated) instead of its values: no mixed value is a real one "
        "unless rounding makes it so; what --privacy-target uses (docs/privacy.md).",
        accepts=bool,
        convert=flag,
    )
    privacy_margin: float = option(  # weights.py MarginWeights, docs/privacy.md
        0.0,
        help="Weights with no mass within D of 0 and 1: every synthetic row at least D "
        "times its donors' gap from both on the mixed columns, variance kept "
        "(0 to 0.5; 0: the expanded Beta; docs/privacy.md).",
        accepts=float,
        convert=float,
    )
    donors: int = option(  # weights.py FourDonorWeights, docs/privacy.md
        2,
        help="Real rows per mixed value: 2 (mixup) or 4 (two rows' mean plus half the "
        "difference of two more: variance kept, every donor farther; docs/privacy.md).",
        accepts=int,
        convert=int,
    )
    split_copied: bool = option(  # donors.py
        False,
        help="Take each group of associated copied columns (categories, codes) from "
        "either donor at random, so no row carries one real row's whole combination "
        "(docs/privacy.md).",
        accepts=bool,
        convert=bool,
    )
    mix_codes: bool = option(  # reference.py table_semantics
        False,
        help="Mix numeric codes of 3 to 10 whole values (ratings, bins, small counts) "
        "and round them to whole values, instead of copying them: new combinations, "
        "order kept (--privacy-target's last lever; docs/privacy.md).",
        accepts=bool,
        convert=flag,
    )
    copy_neighbours: int = option(  # neighbours.py
        0,
        help="Take copied columns (categories, codes) from the donors of other synthetic "
        "rows among the K to 2K rows nearest in the numbers each explains, a group of "
        "associated ones column by column (each from a row with the value of the column it "
        "follows), so no row carries a real row's combination and every copied column keeps "
        "its counts (0: off; 5 is what --privacy-target uses; docs/privacy.md).",
        accepts=int,
        convert=int,
    )
    privacy_target: float | None = option(  # target.py: resolved by the job or fit
        None,
        help="Pick the smallest --privacy-margin whose output, on a half of the input "
        "held out inside the run, has a DCR share (rows closer to the data than to "
        "unseen rows) of at most this, 0.5 < S < 1 (docs/privacy.md).",
        accepts=float | None,
        convert=lambda value: None if value is None else float(value),
    )
    keep_copies: bool = option(  # copies.py
        False,
        help="Leave rows that come out equal to one of their donors (by default one "
        "value is swapped with a neighbouring row's; docs/privacy.md).",
        accepts=bool,
        convert=bool,
    )
    all_rows_new: bool = option(  # copies.py
        False,
        help="Change every synthetic row equal to a real row, even one on a combination "
        "of codes several real rows share, which a fresh real sample lands on too (by "
        "default such a row is kept (k-1)/k of the times, (k-1)/(k+1) where every column is "
        "a code); what --privacy-target uses "
        "(docs/privacy.md).",
        accepts=bool,
        convert=flag,
    )
    rules: tuple = option(  # mixsynth.rules: kept with the detected ones
        (),
        help='A rule every synthetic row keeps, e.g. "start <= end", "total = subtotal + '
        'tax" or "unique: firm, year" (docs/rules.md). Repeatable.',
        accepts=Sequence[Any] | str,
        convert=given_rules,
        flag_type=list[str] | None,
        flags=("--rule",),
        flag_default=None,
    )
    rule_files: tuple[str, ...] = option(
        (),
        help="Rules every synthetic row keeps, from this file: mixsynth's JSON or TOML, or "
        "SDV constraints (docs/rules.md); a --metadata file's constraints count too. "
        "Repeatable.",
        accepts=Sequence[str] | str,
        convert=column_names,
        flag_type=list[str] | None,
        flags=("--rules",),
        flag_default=None,
    )
    detect_rules: bool = option(
        True,
        help="Find the rules every real row holds (orders, sums, time indexes, date grids) "
        "and keep them too (docs/rules.md).",
        accepts=bool,
        convert=bool,
    )

    @property
    def matches_shapes(self) -> bool:
        """Shapes matched: onto the source's values or between them."""
        return self.match_shapes or self.shapes_between

    def declared_rules(self) -> tuple:
        """The rules given (``rules``) and those of the rule files, in that order."""
        from mixsynth.rules import load_rules

        return self.rules + tuple(rule for path in self.rule_files for rule in load_rules(path))

    def check(self) -> None:
        """Refuse contradictory options before any work is done."""
        if self.rows is not None and self.rows < 1:
            raise OptionError(f"--rows must be at least 1, got {self.rows}")
        self._check_margin()
        if self.weights is not None:
            if self.method is Method.VANILLA and not self.weights.is_vanilla:
                raise OptionError(
                    f"--method vanilla takes weights inside [0, 1], got {self.weights.label()}",
                    "use --method generalized for epbeta weights",
                )
            if self.method is Method.GENERALIZED and self.weights.is_vanilla:
                raise OptionError(
                    f"--method generalized needs weights that leave [0, 1], "
                    f"got {self.weights.label()}",
                    "use --method vanilla for beta/uniform weights",
                )
        elif self.method is Method.GENERALIZED:
            solve_epbeta(self.mix_strength, *self.eps)

    def _check_margin(self) -> None:
        target = self.privacy_target
        if target is not None:
            if not (isinstance(target, int | float) and 0.5 < target < 1):
                raise OptionError(
                    f"--privacy-target must lie strictly between 0.5 and 1, got {target!r}",
                    "0.5 is what a fresh real sample scores; e.g. 0.6",
                )
            if self.privacy_margin:
                raise OptionError(
                    "--privacy-target picks the margin itself; it cannot be combined "
                    "with --privacy-margin",
                    "give one of them",
                )
        neighbours = self.copy_neighbours
        if not (
            isinstance(neighbours, int) and not isinstance(neighbours, bool) and neighbours >= 0
        ):
            raise OptionError(
                f"--copy-neighbours must be a whole number of rows, 0 or more, got {neighbours!r}",
                "e.g. 10; 0 leaves the copied columns with the donors",
            )
        if neighbours and self.split_copied:
            raise OptionError(
                "--copy-neighbours and --split-copied both choose where copied columns come "
                "from; they cannot be combined",
                "give one of them",
            )
        self._check_donors()
        margin = self.privacy_margin
        if not (isinstance(margin, int | float) and 0 <= margin <= 0.5):
            raise OptionError(
                f"--privacy-margin must lie from 0 to 0.5, got {margin!r}", MARGIN_HELP
            )
        if margin and self.weights is not None:
            raise OptionError(
                "--privacy-margin makes its own weights; it cannot be combined with --weights",
                "leave out --weights, or give --weights margin:D",
            )
        if margin and self.method is Method.VANILLA:
            raise OptionError(
                "--privacy-margin keeps the variance with weights beyond [0, 1]; "
                "it needs --method generalized",
                "leave out --method vanilla",
            )

    def _check_donors(self) -> None:
        """Four donors make their own weights: no other weights beside them."""
        if self.donors not in DONORS or isinstance(self.donors, bool):
            raise OptionError(f"--donors must be 2 or 4, got {self.donors!r}", "2 is mixup")
        other = {"--weights": self.weights, "--privacy-margin": self.privacy_margin}
        other["--method vanilla"] = self.method is Method.VANILLA
        given = [name for name, value in other.items() if value] if self.donors == 4 else []
        if given:
            raise OptionError(f"--donors 4 makes its own weights; drop {given[0]}")

    def weights_for(self, n_source: int, n_rows: int) -> AnyWeights:
        """The weights to use when ``n_rows`` rows are made from ``n_source`` rows (with
        four donors, on fewer than four rows: the two-row weights)."""
        if self.weights is not None:
            return self.weights
        if self.method is Method.VANILLA:
            return vanilla_default()
        solve: Callable[..., AnyWeights]
        if self.donors == 4 and (n_source >= 4 or n_source == 0):  # 0: no table (weights)
            solve = four_donor_weights
        elif self.privacy_margin:

            def solve(target_rho: float = 1.0) -> WeightDistribution | MarginWeights:
                return margin_weights(self.privacy_margin, target_rho=target_rho)
        else:

            def solve(target_rho: float = 1.0) -> WeightDistribution | MarginWeights:
                return solve_epbeta(self.mix_strength, *self.eps, target_rho=target_rho)

        weights = solve()
        if not self.finite_sample:
            return weights
        try:
            # The target depends on kappa, which barely moves with the target: iterate.
            for _ in range(3):
                target = finite_sample_target(
                    n_source, n_rows, weights.kappa(), self.pairing is Pairing.BALANCED
                )
                weights = solve(target)
            return weights
        except MixsynthError:
            warn(
                f"the finite-sample correction is out of reach for a group of {n_source} "
                "rows; using variance factor 1 there",
                stacklevel=2,
            )
            return solve()


@dataclass
class Generation:
    """One synthesized table and what happened while making it."""

    index: int  #: 1 for the first generation
    frame: DataTable  #: a DataFrame or a pyarrow Table, the type of its source
    #: weights of the largest group (all rows without --by)
    weights: AnyWeights
    out_of_range: dict[str, float] = field(default_factory=dict)  #: share before bounds
    source_rows: int = 0  #: rows of the table it was made from
    balanced: bool = True  #: anchors drawn as a balanced tiling
    rule_folds: int = 0  #: rows whose weight was folded (swapped under a margin) for a rule
    rule_repairs: int = 0  #: rows that took tied columns back to keep a rule (rules)

    def expected_variance_factor(self) -> float:
        """The theory's E[s^2 this generation] / s^2 its source (ddof=1), finite n included.

        rho alone is the factor on the n-divided variance; this adds the resampling
        terms (docs/theory.md, "What mixsynth adds"). Without --by it is exact.
        """
        return sample_variance_factor(
            self.weights.theory(), self.source_rows, len(self.frame), self.balanced
        )
