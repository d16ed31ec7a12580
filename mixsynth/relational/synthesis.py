r"""Several linked tables synthesized together (docs/multi-table.md has the theory).

Tables are made parents first. A table with no parent is mixed by the single-table
engine as it is alone. A child table follows its first relationship: a synthetic
parent whose donors are :math:`d` (dominant) and :math:`o` with weight :math:`w`
gets as many children as :math:`d` has, one per child :math:`c` of :math:`d`, each

.. math:: \tilde y = w\,y_c + (1 - w)\,y_{c'},

:math:`c'` a uniformly drawn child of :math:`o` (of any parent when :math:`o` has
none), with the *parent's* weight, so that a parent's columns and its children's move
together. Its foreign key is the synthetic parent's fresh key: referential integrity
is exact, and grandchildren follow their synthetic parents the same way. Other foreign
keys point at a synthetic row of that parent made from the same real row (its dominant
donor). Every per-table concern (semantics, fresh keys, fakes, bounds, rounding, point
masses, structure options) is the engine's, through its given-pairs hook.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mixsynth.choices import Method
from mixsynth.columns import group_codes
from mixsynth.engine.kernel import Pairs
from mixsynth.engine.memory import GenerationStream, generation_rngs
from mixsynth.engine.options import Generation, SynthesisOptions
from mixsynth.engine.reference import Reference
from mixsynth.engine.weights import AnyWeights
from mixsynth.errors import InputError, OptionError
from mixsynth.relational.means import group_means, match_children_means, parent_figures
from mixsynth.relational.metadata import RelationalMetadata, Relationship
from mixsynth.relational.pairs import (
    Links,
    children_pairs,
    neighbour_pairs,
    parent_features,
    parent_pairs,
    second_parents,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RelationalGeneration:
    """One generation of every table, and each table's engine record."""

    index: int
    tables: dict[str, pd.DataFrame]
    generations: dict[str, Generation]


@dataclass(frozen=True)
class RelationalPlan:
    """What every generation is held to: the metadata, the options and each table's
    engine reference (from the real tables), and the real tables' sizes (``scale`` is
    relative to them)."""

    metadata: RelationalMetadata
    options: SynthesisOptions
    references: dict[str, Reference]
    real_rows: dict[str, int]
    real_unlinked: dict[str, int]
    rules: dict[str, tuple] = dataclasses.field(default_factory=dict)  #: declared, per table
    #: Parent tables' moments matched in each generation (off for vanilla mixup, whose
    #: collapse is the point of such a run, and for checking the mixing law alone).
    match_parents: bool = True
    #: Children's means per second parent matched to their source's in each generation
    #: (off with ``match_parents``' default: for vanilla mixup).
    match_children: bool = True

    @classmethod
    def of(
        cls,
        tables: dict[str, pd.DataFrame],
        metadata: RelationalMetadata,
        options: SynthesisOptions,
        match_parents: bool | None = None,
        match_children: bool | None = None,
    ) -> RelationalPlan:
        """The plan of ``tables``; ``match_parents`` and ``match_children`` default to
        on unless the method is vanilla mixup."""
        import pandas as pd

        check_options(options)
        check_tables(tables, metadata)
        rules = rules_by_table(options.declared_rules(), metadata)
        references, unlinked = {}, {}
        for name in metadata.order():
            frame = tables[name].drop(columns=metadata.foreign_keys(name))
            table_options = dataclasses.replace(
                options,
                metadata=metadata.synthesis_semantics(name),
                rules=rules[name],
                rule_files=(),
            )
            references[name] = Reference.of(frame, table_options)
            parents = metadata.parents(name)
            if parents:
                r = parents[0]
                position = pd.Index(tables[r.parent][r.parent_key]).get_indexer(
                    tables[name][r.foreign_key]
                )
                unlinked[name] = int((position < 0).sum())
        rows = {name: len(frame) for name, frame in tables.items()}
        if match_parents is None:
            match_parents = options.method != Method.VANILLA
        if match_children is None:
            match_children = options.method != Method.VANILLA
        return cls(
            metadata, options, references, rows, unlinked, rules, match_parents, match_children
        )

    def table_options(self, name: str, rows: int | None = None) -> SynthesisOptions:
        """The options of one table. A parent table's numeric means and covariances are
        matched exactly to its source in each generation (as ``match_moments`` does)
        when ``match_parents`` is set: its children's relations ride on its rows, and a
        table of a few dozen rows walks far over generations (docs/multi-table.md,
        "Over generations")."""
        exact = self.match_parents and bool(self.metadata.children(name))
        return dataclasses.replace(
            self.options,
            metadata=self.metadata.synthesis_semantics(name),
            rows=rows,
            rules=self.rules.get(name, ()),
            rule_files=(),
            match_moments=self.options.match_moments or exact,
        )


def rules_by_table(rules: tuple, metadata: RelationalMetadata) -> dict[str, tuple]:
    """Each declared rule (``--rules``, rule files) for the tables that hold all its
    columns (foreign keys aside: they follow their parents); a rule no single table
    can hold is refused."""
    columns = {
        name: set(meta.columns) - set(metadata.foreign_keys(name))
        for name, meta in metadata.tables.items()
    }
    found: dict[str, tuple] = {name: () for name in metadata.tables}
    for rule in rules:
        holders = [name for name, names in columns.items() if set(rule.columns) <= names]
        if not holders:
            raise OptionError(
                f"rule {rule.describe()!r} names columns that no single table has "
                "(foreign keys left aside)",
                "rules are kept per table: name columns of one table, e.g. "
                "'order_date <= ship_date' for orders",
            )
        for name in holders:
            found[name] += (rule,)
    return found


def check_options(options: SynthesisOptions) -> None:
    """Options that name one table's columns have no meaning across several tables."""
    options.check()
    for name, value in (
        ("--by", options.by),
        ("--categorical", options.categorical),
        ("--rows", options.rows),
        ("--metadata of one table", options.metadata),
    ):
        if value:
            raise OptionError(
                f"{name} applies to one table, not to several linked tables",
                "give column types in the multi-table metadata file, and --scale for the number of rows",
            )
    if options.donors == 4:  # children are paired by their parents' pairs: two donors
        raise OptionError(
            "--donors 4 applies to one table, not to several linked tables", "leave out --donors"
        )


def check_tables(tables: dict[str, pd.DataFrame], metadata: RelationalMetadata) -> None:
    """Every described table given, with its columns, its rows, and unique primary keys."""
    import pandas as pd

    missing = [name for name in metadata.tables if name not in tables]
    if missing:
        raise InputError(
            f"no data for table{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} of the metadata",
            "give every table the metadata describes",
        )
    for name, meta in metadata.tables.items():
        frame = tables[name]
        absent = [c for c in meta.columns if c not in frame.columns]
        if absent:
            raise InputError(
                f"table {name!r} lacks column{'s' if len(absent) > 1 else ''} {', '.join(map(repr, absent))} of the metadata",
                f"its columns are: {', '.join(map(str, frame.columns))}",
            )
        if len(frame) == 0:
            raise InputError(f"table {name!r} has no rows", "give every table at least one row")
        key = meta.primary_key
        # an index finds repeats in one pass over keys in order (0.02 s for 16M, not 1.8)
        if key is not None and (frame[key].isna().any() or not pd.Index(frame[key]).is_unique):
            raise InputError(
                f"table {name!r}: primary key {key!r} has missing or repeated values",
                "a primary key names each row once; fix the data or the metadata",
            )


def synthesize_tables(
    tables: dict[str, pd.DataFrame],
    plan: RelationalPlan,
    rng: np.random.Generator,
    scale: float = 1.0,
    index: int = 1,
) -> RelationalGeneration:
    """One generation of every table from ``tables`` (the real ones, or the previous
    generation): ``scale`` times the real tables' root rows."""
    if not scale > 0:
        raise OptionError(
            f"--scale must be above 0, got {scale}", "give e.g. --scale 1 or --scale 0.5"
        )
    metadata = plan.metadata
    order = metadata.order()
    rngs = dict(zip(order, rng.spawn(len(order)), strict=True))
    links = Links(tables)
    made: dict[str, Generation] = {}
    pairs: dict[str, Pairs] = {}
    parent_rows: dict[str, np.ndarray] = {}
    for name in order:
        pair_rng, table_rng = rngs[name].spawn(2)
        source = tables[name].drop(columns=metadata.foreign_keys(name))
        parents = metadata.parents(name)
        given = None
        if parents:
            r = parents[0]
            family = links.family(r)
            unlinked_rows = round(scale * plan.real_unlinked[name])
            given, parent_rows[name] = children_pairs(
                family,
                pairs[r.parent],
                made[r.parent].weights,
                unlinked_rows,
                plan.options,
                pair_rng,
                second_parents(links, parents),
            )
            options = plan.table_options(name)
        else:
            rows = max(1, round(scale * plan.real_rows[name]))
            options = plan.table_options(name, rows=rows)
            children = metadata.children(name)
            if metadata.is_second_parent(name):
                features = parent_features(
                    tables[name],
                    metadata.numeric_columns(name),
                    [_children_figures(c, tables, metadata, links) for c in children],
                )
                given = neighbour_pairs(features, rows, options, pair_rng)
            elif children:
                counts = links.family(children[0])
                within = plan.references[name].association_columns
                associations = group_codes(source, list(within)) if within else None
                given = parent_pairs(counts.counts, rows, options, pair_rng, associations)
        made[name], pairs[name] = _one_table(
            source, options, table_rng, plan.references[name], index, given
        )
    frames = {}
    for name in order:
        frame = made[name].frame
        key_rng = rngs[name].spawn(1)[0]
        for number, r in enumerate(metadata.parents(name)):
            first = parent_rows[name] if number == 0 else None
            frame[r.foreign_key], target = _foreign_keys(r, links, made, pairs, first, key_rng)
            if number == 1 and plan.match_children:
                _match_second_parent_means(
                    name, frame, links, plan, r, target, pairs, made[r.parent].frame, key_rng
                )
        frames[name] = frame[list(tables[name].columns)]
        made[name].frame = frames[name]
    return RelationalGeneration(index, {name: frames[name] for name in metadata.tables}, made)


def _children_figures(
    r: Relationship, tables: dict[str, pd.DataFrame], metadata: RelationalMetadata, links: Links
) -> tuple[np.ndarray, pd.DataFrame]:
    """Along ``r``: each parent row's number of children and their mean numeric values
    (values that are not numbers left out), in parent row order; summed by bincount,
    column by column (a groupby of the 16M items' linked rows took 2.6 s)."""
    import pandas as pd

    position, size, child = links.position(r), len(tables[r.parent]), tables[r.child]
    means = {
        column: group_means(
            pd.to_numeric(child[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan),
            position,
            size,
        )
        for column in metadata.numeric_columns(r.child)
    }
    return links.family(r).counts, pd.DataFrame(means, index=pd.RangeIndex(size))


def _one_table(
    source: pd.DataFrame,
    options: SynthesisOptions,
    rng: np.random.Generator,
    reference: Reference,
    index: int,
    given: tuple[Pairs, AnyWeights] | None,
) -> tuple[Generation, Pairs]:
    """The engine's generation of one table (given pairs or its own), and its pairs."""
    if given is not None and len(given[0].dominant) == 0:
        empty = Generation(index, source.iloc[:0].copy(), given[1], source_rows=len(source))
        return empty, given[0]
    stream = GenerationStream(source, options, rng, reference, index, given)
    return stream.finish(stream.source.concat(list(stream))), stream.pairs


def _foreign_keys(
    r: Relationship,
    links: Links,
    made: dict[str, Generation],
    pairs: dict[str, Pairs],
    parent_rows: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[pd.Series, np.ndarray]:
    """The synthetic child's key to its synthetic parent. Along the first relationship
    (``parent_rows`` given): the parent each child was made for. Along the others: a
    synthetic row of the parent whose dominant donor is the real row the child's donor
    pointed at (one at random when several are; any row when none is). Missing where
    the donor's key is missing or names no parent. Also returns each child's synthetic
    parent row (-1: none)."""
    parent_keys = made[r.parent].frame[r.parent_key]
    if parent_rows is not None:
        target = parent_rows
    else:
        real_position = links.position(r)[pairs[r.child].dominant]
        donors = pairs[r.parent].dominant
        by_donor = np.argsort(donors, kind="stable")
        made_from = np.bincount(donors, minlength=len(links.tables[r.parent]))
        first = np.cumsum(made_from) - made_from
        linked = real_position >= 0
        safe = np.where(linked, real_position, 0)
        available = np.where(linked, made_from[safe], 0)
        draw = np.floor(rng.random(len(real_position)) * available).astype(np.int64)
        target = by_donor[np.minimum(first[safe] + draw, len(by_donor) - 1)]
        anywhere = linked & (available == 0)
        target[anywhere] = rng.integers(len(parent_keys), size=int(anywhere.sum()))
        target[~linked] = -1
    keys = parent_keys.take(np.maximum(target, 0)).reset_index(drop=True)
    return (keys.where(target >= 0) if (target < 0).any() else keys), target


def _copied(plan: RelationalPlan, name: str) -> list[str]:
    """The columns of a table that its rows copy from a donor (categories and the
    like: not mixed, not its primary key, not made up)."""
    reference = plan.references[name]
    return [
        s.name
        for s in reference.schema
        if not s.kind.is_mixed
        and s.name != plan.metadata.tables[name].primary_key
        and s.name not in reference.real_values
    ]


def _match_second_parent_means(
    name: str,
    frame: pd.DataFrame,
    links: Links,
    plan: RelationalPlan,
    r: Relationship,
    target: np.ndarray,
    pairs: dict[str, Pairs],
    made_parents: pd.DataFrame,
    rng: np.random.Generator,
) -> None:
    """The mixed numeric columns of a child table's rows, shifted per synthetic second
    parent to means matched with its columns (:mod:`.means`)."""
    tables = links.tables
    reference = plan.references[name]
    source, made = parent_figures(
        tables[r.parent],
        made_parents,
        plan.metadata.numeric_columns(r.parent),
        _copied(plan, r.parent),
    )
    mixed = {s.name for s in reference.schema if s.kind.is_mixed}
    columns = [c for c in plan.metadata.numeric_columns(name) if c in mixed]
    match_children_means(
        frame,
        tables[name],
        columns,
        target,
        pairs[r.parent].dominant,
        (source, made),
        links.position(r),
        reference,
        plan.table_options(name),
        rng,
    )


def run_relational(
    tables: dict[str, pd.DataFrame],
    plan: RelationalPlan,
    generations: int,
    seed: int,
    scale: float = 1.0,
    start: int = 0,
) -> Iterator[RelationalGeneration]:
    """Generations ``start + 1 .. generations`` of every table, each made only from
    the previous one (``tables`` is generation ``start``: the real ones when 0)."""
    rngs = generation_rngs(seed, generations)
    for index in range(start + 1, generations + 1):
        generation = synthesize_tables(tables, plan, rngs[index - 1], scale, index)
        tables = generation.tables
        yield generation
