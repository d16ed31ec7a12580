"""Several tables linked by keys, synthesized and compared together (docs/multi-table.md).

- :mod:`~mixsynth.relational.metadata`: the tables, their keys and relationships;
- :mod:`~mixsynth.relational.files`: a folder of tables, one file per table;
- :mod:`~mixsynth.relational.synthesis`: children mixed along their parents' pairs;
- :mod:`~mixsynth.relational.compare`: every table's report plus the relational figures.
"""

from mixsynth.relational.metadata import RelationalMetadata, Relationship
from mixsynth.relational.synthesis import (
    RelationalGeneration,
    RelationalPlan,
    run_relational,
    synthesize_tables,
)

__all__ = [
    "RelationalGeneration",
    "RelationalMetadata",
    "RelationalPlan",
    "Relationship",
    "run_relational",
    "synthesize_tables",
]
