"""Every figure of a real-versus-synthetic comparison, as plain JSON-ready data.

One engine for ``mixsynth compare`` and ``generate --report``: functions take
``(real, synthetic)`` in that order and return dicts of floats, strings and lists
(missing or undefined figures are ``None``, never NaN), so the JSON output *is* the
library result. Nothing here prints.

The quality scores use SDMetrics' QualityReport definitions (0.32) so that the
numbers can be compared across tools; docs/report.md gives every formula. Linear-time
figures use every row; distance to closest record and utility use a seeded subsample
of ``sample_rows`` rows.

- :mod:`~mixsynth.metrics.core`: the tables aligned column by column, the sample;
- :mod:`~mixsynth.metrics.shapes`: one column, real against synthetic;
- :mod:`~mixsynth.metrics.pairs`: pairs of columns, the quality score;
- :mod:`~mixsynth.metrics.contingency`: contingency tables of pairs (bins, Cramér's V);
- :mod:`~mixsynth.metrics.privacy` and :mod:`~mixsynth.metrics.utility`;
- :mod:`~mixsynth.metrics.compare`: the whole comparison (:func:`compare_tables`);
- :mod:`~mixsynth.metrics.trajectory`: every generation of a run side by side;
- :mod:`~mixsynth.metrics.holdout`: figures against rows the synthesizer never saw.
"""

from mixsynth.metrics.compare import check_compare_memory, compare_tables, generation_entry
from mixsynth.metrics.contingency import cramers_v
from mixsynth.metrics.core import (
    CORRELATION_THRESHOLD,
    Column,
    Sample,
    align,
    clean,
    numeric_values,
)
from mixsynth.metrics.holdout import (
    association_shift,
    correlation_shift,
    holdout_figures,
    split_holdout,
)
from mixsynth.metrics.pairs import (
    PAIR_LIMIT,
    Centred,
    compare_pairs,
    correlation_matrix,
    covariance_figures,
    quality_scores,
)
from mixsynth.metrics.privacy import DCR_BUDGET, dcr_row_limit, dcr_share, privacy
from mixsynth.metrics.shapes import compare_column, ecdf_distances, numeric_summary
from mixsynth.metrics.trajectory import GenerationTrajectory
from mixsynth.metrics.utility import utility

__all__ = [
    "CORRELATION_THRESHOLD",
    "DCR_BUDGET",
    "PAIR_LIMIT",
    "Centred",
    "Column",
    "GenerationTrajectory",
    "Sample",
    "align",
    "association_shift",
    "check_compare_memory",
    "clean",
    "compare_column",
    "compare_pairs",
    "compare_tables",
    "correlation_matrix",
    "correlation_shift",
    "covariance_figures",
    "cramers_v",
    "dcr_row_limit",
    "dcr_share",
    "ecdf_distances",
    "generation_entry",
    "holdout_figures",
    "numeric_summary",
    "numeric_values",
    "privacy",
    "quality_scores",
    "split_holdout",
    "utility",
]
