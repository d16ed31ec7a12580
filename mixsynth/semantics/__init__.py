"""Column semantics: what each column means, how it is inferred, and what it gets."""

from mixsynth.semantics.types import ColumnSemantics, SemanticType, TableMetadata

__all__ = ["ColumnSemantics", "SemanticType", "TableMetadata"]
