"""SDMetrics' own figures for pairs of tables: the oracle of mixsynth's quality scores.

Runs in SDMetrics' environment (``make install`` builds ``.venv-sdmetrics``: SDMetrics
0.32 requires pandas < 3, which mixsynth's environment does not have), never imports
mixsynth::

    .venv-sdmetrics/bin/python tests/oracles/sdmetrics_figures.py DIR
    .venv-sdmetrics/bin/python tests/oracles/sdmetrics_figures.py --multi-table DIR

``DIR`` holds, per case NAME, ``NAME.real.parquet``, ``NAME.synthetic.parquet`` and
``NAME.metadata.json`` (SDMetrics' single-table metadata: each column's sdtype). Prints
one JSON object: per case, SDMetrics QualityReport's properties and overall score, each
column's shape score with its metric, and each pair's score, correlations, association
and threshold flag, with NaN as null. With ``--multi-table``, ``DIR`` holds one
database: ``metadata.json`` (SDMetrics' multi-table metadata) and ``TABLE.real.parquet``,
``TABLE.synthetic.parquet`` per table; it prints the multi-table QualityReport's
properties and overall score.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import pandas as pd


def _number(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else value


def figures(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: dict) -> dict:
    from sdmetrics.reports.single_table import QualityReport

    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)
    # The same report without the thresholds scores every pair (mixsynth's
    # column_pair_trends_all and the scores of pairs below a threshold).
    every = QualityReport()
    every.real_correlation_threshold = every.real_association_threshold = 0
    every.generate(real, synthetic, metadata, verbose=False)
    unthresholded = every.get_details("Column Pair Trends")
    properties = report.get_properties().set_index("Property")["Score"]
    shapes = report.get_details("Column Shapes")
    pairs = report.get_details("Column Pair Trends")
    assert unthresholded[["Column 1", "Column 2"]].equals(pairs[["Column 1", "Column 2"]])
    # Pairs below a threshold get no synthetic correlation: it comes from ``every``.
    optional = {"Real Correlation", "Real Association"}
    return {
        "overall": _number(report.get_score()),
        "column_shapes": _number(properties["Column Shapes"]),
        "column_pair_trends": _number(properties["Column Pair Trends"]),
        "column_pair_trends_all": _number(
            every.get_properties().set_index("Property")["Score"]["Column Pair Trends"]
        ),
        "shapes": {
            row["Column"]: {"metric": row["Metric"], "score": _number(row["Score"])}
            for _, row in shapes.iterrows()
        },
        "pairs": [
            {
                "columns": [row["Column 1"], row["Column 2"]],
                "metric": row["Metric"],
                "score": _number(row["Score"]),
                "score_unthresholded": _number(unthresholded.loc[index, "Score"]),
                "synthetic_correlation": _number(
                    unthresholded.loc[index].get("Synthetic Correlation", math.nan)
                ),
                "meets_threshold": bool(row["Meets Threshold?"] is True),
            }
            | {
                name.lower().replace(" ", "_"): _number(row[name])
                for name in optional
                if name in pairs.columns
            }
            for index, row in pairs.iterrows()
        ],
    }


def multi_table(folder: Path) -> dict:
    from sdmetrics.reports.multi_table import QualityReport

    metadata = json.loads((folder / "metadata.json").read_text())
    real, synthetic = (
        {name: pd.read_parquet(folder / f"{name}.{side}.parquet") for name in metadata["tables"]}
        for side in ("real", "synthetic")
    )
    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)
    properties = report.get_properties().set_index("Property")["Score"]
    return {"overall": _number(report.get_score())} | {
        name: _number(score) for name, score in properties.items()
    }


def main() -> None:
    warnings.filterwarnings("ignore")
    if sys.argv[1] == "--multi-table":
        json.dump(multi_table(Path(sys.argv[2])), sys.stdout)
        return
    folder = Path(sys.argv[1])
    found = {}
    for path in sorted(folder.glob("*.metadata.json")):
        name = path.name.removesuffix(".metadata.json")
        real = pd.read_parquet(folder / f"{name}.real.parquet")
        synthetic = pd.read_parquet(folder / f"{name}.synthetic.parquet")
        found[name] = figures(real, synthetic, json.loads(path.read_text()))
    json.dump(found, sys.stdout)


if __name__ == "__main__":
    main()
