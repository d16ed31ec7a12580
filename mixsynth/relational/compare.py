"""Several linked tables, real against synthetic: every table's report, the relational
figures, and the scores of SDMetrics' multi-table QualityReport.

Per relationship: referential integrity (the share of foreign keys naming an existing
parent), the child counts per parent (SDMetrics' CardinalityShapeSimilarity: 1 - KS of
the counts, parents without children counted as 0), the parent-child column pairs
(SDMetrics' Intertable Trends: the single-table pair scores on the child rows joined to
their parents, parent column x child column), and the correlation of each numeric
parent column with its children's count and with their mean values.

The scores are SDMetrics': column shapes averaged over every column of every table,
column pair trends over every pair of every table meeting the threshold, cardinality
over the relationships, intertable trends over the parent x child pairs meeting the
threshold, and the overall score the mean of the four (an undefined one left out).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from mixsynth.metrics import compare_tables
from mixsynth.metrics.core import DEFAULT_SAMPLE_ROWS, align, clean
from mixsynth.metrics.pairs import compare_pairs
from mixsynth.relational.baselines import fresh_copy_share, judge_table, small_table_baseline
from mixsynth.relational.metadata import RelationalMetadata, Relationship
from mixsynth.report.thresholds import Thresholds
from mixsynth.report.verdict import FAIL, PASS, WARN
from mixsynth.semantics.types import SemanticType

if TYPE_CHECKING:
    import pandas as pd

_ORDER = (PASS, WARN, FAIL)
#: Default limits of the relational checks: (fail below, warn below).
RELATIONAL_LIMITS = {
    "min_integrity": (1.0, 1.0),
    "min_cardinality": (0.80, 0.90),
    "min_intertable_trends": (0.80, 0.90),
}


def compare_relational(
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: RelationalMetadata,
    *,
    sample_rows: int | None = None,
    seed: int = 0,
    rules: Sequence = (),
    detect_rules: bool = True,
) -> dict:
    """Every table's figures (:func:`mixsynth.metrics.compare_tables`; ``sample_rows``
    None: its default), each relationship's, and the multi-table scores, as a
    JSON-ready dict. ``rules`` (declared) are reported in the tables holding their
    columns, beside those found in each table when ``detect_rules``."""
    from mixsynth.relational.synthesis import check_tables, rules_by_table

    check_tables(real, metadata)
    check_tables(synthetic, metadata)
    per_table = rules_by_table(tuple(rules), metadata)
    tables = {
        name: compare_tables(
            real[name],
            synthetic[name],
            metadata=meta,
            seed=seed,
            sample_rows=DEFAULT_SAMPLE_ROWS if sample_rows is None else sample_rows,
            rules=per_table[name],
            detect_rules=detect_rules,
        )
        for name, meta in metadata.tables.items()
    }
    for name, table in tables.items():
        table["privacy"]["fresh_exact_copy_share"] = fresh_copy_share(real[name], table)
        table["fresh_baseline"] = small_table_baseline(real[name], metadata.tables[name], seed)
    with np.errstate(all="ignore"):
        relationships = [
            relationship_figures(r, real, synthetic, metadata, seed) for r in metadata.relationships
        ]
    return clean(
        {
            "tables": tables,
            "relationships": relationships,
            "scores": multi_table_scores(tables, relationships),
        }
    )


def multi_table_scores(tables: dict[str, dict], relationships: list[dict]) -> dict:
    """SDMetrics' multi-table QualityReport properties and overall score."""
    shapes = [
        c.get("ks_complement", c.get("tv_complement"))
        for report in tables.values()
        for c in report["columns"].values()
    ]
    pairs = [
        p["score"]
        for report in tables.values()
        for p in report["pairs"]["details"]
        if p["meets_threshold"]
    ]
    intertable = [
        p["score"]
        for r in relationships
        for p in r["intertable"]["details"]
        if p["meets_threshold"]
    ]
    scores = {
        "column_shapes": _mean(shapes),
        "column_pair_trends": _mean(pairs),
        "cardinality": _mean([r["cardinality"]["score"] for r in relationships]),
        "intertable_trends": _mean(intertable),
    }
    return scores | {"overall": _mean(list(scores.values()))}


def _mean(values: list) -> float:
    defined = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(defined)) if defined else math.nan


def child_counts(parent_keys: pd.Series, foreign_keys: pd.Series) -> np.ndarray:
    """Children per parent row (0 for a parent without children), in parent order."""
    import pandas as pd

    position = pd.Index(parent_keys).get_indexer(foreign_keys.dropna())
    return np.bincount(position[position >= 0], minlength=len(parent_keys))


def relationship_figures(
    r: Relationship,
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: RelationalMetadata,
    seed: int,
) -> dict:
    """Integrity, child counts, intertable trends and parent-child correlations."""
    from scipy.stats import ks_2samp

    sides = {"real": real, "synthetic": synthetic}
    counts = {
        side: child_counts(data[r.parent][r.parent_key], data[r.child][r.foreign_key])
        for side, data in sides.items()
    }
    integrity = {}
    for side, data in sides.items():
        keys = data[r.child][r.foreign_key].dropna()
        integrity[side] = (
            float(keys.isin(data[r.parent][r.parent_key]).mean()) if len(keys) else 1.0
        )
    statistic = ks_2samp(counts["real"], counts["synthetic"]).statistic
    return {
        "parent": r.parent,
        "child": r.child,
        "foreign_key": r.foreign_key,
        "integrity": integrity,
        "cardinality": {
            "metric": "CardinalityShapeSimilarity",
            "ks": float(statistic),
            "score": 1.0 - float(statistic),
            **{
                side: {"mean": float(c.mean()), "std": float(c.std()), "max": int(c.max(initial=0))}
                for side, c in counts.items()
            },
            "histogram": count_histogram(counts["real"], counts["synthetic"]),
        },
        "intertable": _intertable(r, real, synthetic, metadata, seed),
        "parent_child": _parent_child(r, sides, counts, metadata),
    }


#: Child counts shown value by value up to this many distinct ones, else in bins.
COUNT_VALUES = 30


def count_histogram(real: np.ndarray, synthetic: np.ndarray) -> dict:
    """The shares of parents with each number of children (``values``), or in 20 bins
    over the real range (``edges``; counts beyond it in the end bins) when there are
    many: what the HTML report plots."""
    both = np.concatenate([real, synthetic])
    values = np.unique(both)
    if len(values) <= COUNT_VALUES:
        return {
            "values": values.tolist(),
            **{
                side: (
                    np.bincount(np.searchsorted(values, c), minlength=len(values)) / max(len(c), 1)
                ).tolist()
                for side, c in (("real", real), ("synthetic", synthetic))
            },
        }
    edges = np.histogram_bin_edges(real, bins=20)
    shares = {
        side: (np.histogram(np.clip(c, edges[0], edges[-1]), bins=edges)[0] / max(len(c), 1))
        for side, c in (("real", real), ("synthetic", synthetic))
    }
    return {"edges": edges.tolist()} | {side: v.tolist() for side, v in shares.items()}


def _compared(metadata: RelationalMetadata, table: str) -> list[str]:
    """A table's columns SDMetrics scores: not keys, personal data or free text."""
    return [
        name
        for name, c in metadata.tables[table].columns.items()
        if not c.sdtype.is_generated
        and name not in metadata.foreign_keys(table)
        and name != metadata.tables[table].primary_key
    ]


def _joined(r: Relationship, data: dict[str, pd.DataFrame], metadata: RelationalMetadata):
    """The child rows with their parent's columns (``parent.col`` and ``child.col``)."""
    child = data[r.child][[r.foreign_key, *_compared(metadata, r.child)]]
    parent = data[r.parent][[r.parent_key, *_compared(metadata, r.parent)]]
    joined = child.add_prefix(f"{r.child}.").merge(
        parent.add_prefix(f"{r.parent}."),
        left_on=f"{r.child}.{r.foreign_key}",
        right_on=f"{r.parent}.{r.parent_key}",
    )
    return joined.drop(columns=[f"{r.child}.{r.foreign_key}", f"{r.parent}.{r.parent_key}"])


def _intertable(
    r: Relationship,
    real: dict[str, pd.DataFrame],
    synthetic: dict[str, pd.DataFrame],
    metadata: RelationalMetadata,
    seed: int,
) -> dict:
    """SDMetrics' Intertable Trends of one relationship: parent x child column pairs."""
    parent_columns = {f"{r.parent}.{c}" for c in _compared(metadata, r.parent)}
    child_columns = {f"{r.child}.{c}" for c in _compared(metadata, r.child)}
    real_joined, synthetic_joined = _joined(r, real, metadata), _joined(r, synthetic, metadata)
    if not parent_columns or not child_columns or min(len(real_joined), len(synthetic_joined)) == 0:
        return {"score": math.nan, "details": []}
    columns, _ = align(real_joined, synthetic_joined, _copied(r, metadata, real_joined))
    details = [
        p
        for p in compare_pairs(columns, seed)["details"]
        if {p["columns"][0] in parent_columns, p["columns"][1] in parent_columns} == {True, False}
        and set(p["columns"]) <= parent_columns | child_columns
    ]
    return {
        "score": _mean([p["score"] for p in details if p["meets_threshold"]]),
        "details": details,
    }


def _copied(r: Relationship, metadata: RelationalMetadata, joined) -> list[str]:
    """The joined table's categorical columns (compared as categories, as SDMetrics does)."""
    names = []
    for table in (r.parent, r.child):
        for name, c in metadata.tables[table].columns.items():
            copied = c.sdtype in (
                SemanticType.CATEGORICAL,
                SemanticType.BOOLEAN,
                SemanticType.ORDINAL,
            )
            if copied and f"{table}.{name}" in joined.columns:
                names.append(f"{table}.{name}")
    return names


def _parent_child(
    r: Relationship,
    sides: dict[str, dict[str, pd.DataFrame]],
    counts: dict[str, np.ndarray],
    metadata: RelationalMetadata,
) -> list[dict]:
    """For each numeric parent column: its correlation with the children's count and
    with the mean of each numeric child column, real and synthetic."""
    numeric = {
        table: [
            name
            for name in _compared(metadata, table)
            if metadata.tables[table].columns[name].sdtype is SemanticType.NUMERICAL
        ]
        for table in (r.parent, r.child)
    }
    found = []
    for column in numeric[r.parent]:
        values = {}
        for side, data in sides.items():
            parent = data[r.parent][column].to_numpy(dtype=float, na_value=np.nan)
            means = data[r.child].groupby(r.foreign_key)[numeric[r.child]].mean()
            means = means.reindex(data[r.parent][r.parent_key])
            values[side] = {"count": _correlation(parent, counts[side].astype(float))} | {
                child: _correlation(parent, means[child].to_numpy(dtype=float, na_value=np.nan))
                for child in numeric[r.child]
            }
        for child in ["count", *numeric[r.child]]:
            real_value, synthetic_value = values["real"][child], values["synthetic"][child]
            found.append(
                {
                    "parent_column": column,
                    "child": "number of children" if child == "count" else f"mean {child}",
                    "real": real_value,
                    "synthetic": synthetic_value,
                    "difference": synthetic_value - real_value,
                }
            )
    return found


def _correlation(x: np.ndarray, y: np.ndarray) -> float:
    both = np.isfinite(x) & np.isfinite(y)
    if both.sum() < 3 or x[both].std() == 0 or y[both].std() == 0:
        return math.nan
    return float(np.corrcoef(x[both], y[both])[0, 1])


def judge_relational(report: dict, thresholds: Thresholds | None = None) -> dict:
    """Each table's verdict (:func:`mixsynth.report.verdict.judge`; its limits beyond
    what a fresh real sample reaches, :func:`~mixsynth.relational.baselines.judge_table`), the relational
    checks (integrity, cardinality, intertable trends, per relationship), and the
    worst status over all."""
    tables = {
        name: judge_table(table, thresholds or Thresholds.default())
        for name, table in report["tables"].items()
    }
    found = []
    for rel in report["relationships"]:
        label = f"{rel['child']}.{rel['foreign_key']} -> {rel['parent']}"
        readings = {
            "min_integrity": (
                rel["integrity"]["synthetic"],
                "share of foreign keys naming a parent",
            ),
            "min_cardinality": (rel["cardinality"]["score"], "cardinality shape similarity"),
            "min_intertable_trends": (rel["intertable"]["score"], "intertable trends score"),
        }
        for name, (value, figure) in readings.items():
            if value is None or not math.isfinite(value):
                continue
            fail, warn = RELATIONAL_LIMITS[name]
            status = FAIL if value < fail else WARN if value < warn else PASS
            found.append(
                {
                    "name": name,
                    "relationship": label,
                    "value": value,
                    "limit": fail,
                    "warn_limit": warn,
                    "passed": status != FAIL,
                    "status": status,
                    "message": f"{figure} of {label} is {value:.3g} "
                    + ("(at or above " if status == PASS else "(below ")
                    + f"{warn if status != FAIL else fail:g})",
                }
            )
    statuses = [t["verdict"]["status"] for t in tables.values()] + [c["status"] for c in found]
    status = max(statuses, key=_ORDER.index, default=PASS)
    return report | {
        "tables": tables,
        "checks": found,
        "verdict": {
            "status": status,
            "tables": {name: t["verdict"]["status"] for name, t in tables.items()},
            "relations": max((c["status"] for c in found), key=_ORDER.index, default=PASS),
        },
    }
