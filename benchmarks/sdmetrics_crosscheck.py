"""Check mixsynth's scores against SDMetrics' own QualityReport on the same tables.

SDMetrics 0.32 requires pandas < 3, so it cannot share mixsynth's virtual environment;
run this in a separate one::

    python3 -m venv /tmp/sdm && /tmp/sdm/bin/pip install sdmetrics==0.32.0 pyarrow
    /tmp/sdm/bin/python benchmarks/sdmetrics_crosscheck.py TABLES_DIR

``TABLES_DIR`` holds ``NAME_real.parquet`` and any number of ``NAME_LABEL.parquet``
synthetic versions of it. For every pair it prints the largest absolute difference in
column shapes, column pair trends, overall score, each column's KS/TV complement,
each pair's score and each Pearson correlation. Metadata: mixsynth's column kinds
(numerical, datetime, categorical, boolean).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mixsynth.columns import ColumnKind
from mixsynth.columns.frame import column_kind
from mixsynth.metrics import compare_tables

SDTYPE = {
    ColumnKind.CONTINUOUS: "numerical",
    ColumnKind.INTEGER: "numerical",
    ColumnKind.DATETIME: "datetime",
    ColumnKind.BOOLEAN: "boolean",
    ColumnKind.CATEGORICAL: "categorical",
}


def differences(real: pd.DataFrame, synthetic: pd.DataFrame) -> dict[str, float]:
    from sdmetrics.reports.single_table import QualityReport

    ours = compare_tables(real, synthetic)
    metadata = {"columns": {c: {"sdtype": SDTYPE[column_kind(real[c])]} for c in real.columns}}
    theirs = QualityReport()
    theirs.generate(real.copy(), synthetic.copy(), metadata, verbose=False)
    properties = theirs.get_properties().set_index("Property")["Score"]
    shapes = theirs.get_details("Column Shapes").set_index("Column")["Score"]
    pairs = theirs.get_details("Column Pair Trends")
    our_pairs = {tuple(p["columns"]): p for p in ours["pairs"]["details"]}
    found = {
        "column_shapes": abs(properties["Column Shapes"] - ours["scores"]["column_shapes"]),
        "column_pair_trends": abs(
            properties["Column Pair Trends"] - ours["scores"]["column_pair_trends"]
        ),
        "overall": abs(theirs.get_score() - ours["scores"]["overall"]),
        "column": max(
            abs(
                score
                - ours["columns"][name].get(
                    "ks_complement", ours["columns"][name].get("tv_complement")
                )
            )
            for name, score in shapes.items()
        ),
        "pair": 0.0,
        "correlation": 0.0,
        "threshold_mismatches": 0,
    }
    for _, row in pairs.iterrows():
        mine = our_pairs[(row["Column 1"], row["Column 2"])]
        if bool(row["Meets Threshold?"]) != mine["meets_threshold"]:
            found["threshold_mismatches"] += 1
        if not np.isnan(row["Score"]):
            found["pair"] = max(found["pair"], abs(row["Score"] - mine["score"]))
        if row["Metric"] == "CorrelationSimilarity" and not np.isnan(row["Real Correlation"]):
            found["correlation"] = max(
                found["correlation"],
                abs(row["Real Correlation"] - mine["real_correlation"]),
                abs(row["Synthetic Correlation"] - mine["synthetic_correlation"]),
            )
    return found


def main() -> None:
    warnings.filterwarnings("ignore")
    folder = Path(sys.argv[1])
    worst = 0.0
    for real_path in sorted(folder.glob("*_real.parquet")):
        name = real_path.name.removesuffix("_real.parquet")
        real = pd.read_parquet(real_path)
        for synthetic_path in sorted(folder.glob(f"{name}_*.parquet")):
            if synthetic_path == real_path:
                continue
            found = differences(real, pd.read_parquet(synthetic_path))
            worst = max(worst, *(v for k, v in found.items() if k != "threshold_mismatches"))
            print(synthetic_path.name, " ".join(f"{k}={v:.2g}" for k, v in found.items()))
    print(f"largest absolute difference: {worst:.3g}")


if __name__ == "__main__":
    main()
