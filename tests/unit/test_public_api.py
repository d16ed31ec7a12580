"""The public API, package by package: each ``__all__`` written out here, so that a
name added or removed is a deliberate change of this file too."""

from __future__ import annotations

import importlib

import pytest

PUBLIC = {
    "mixsynth": [
        "Condition",
        "MixsynthError",
        "MixsynthWarning",
        "MixupOverSampler",
        "MixupSynthesizer",
        "MultiTableMixupSynthesizer",
        "__version__",
    ],
    "mixsynth.api": [
        "Condition",
        "MixupOverSampler",
        "MixupSynthesizer",
        "MultiTableMixupSynthesizer",
    ],
    "mixsynth.cli": ["app", "main"],
    "mixsynth.columns": [
        "ColumnKind",
        "ColumnSpec",
        "MISSING_TIME",
        "NumericEncoding",
        "TableColumns",
        "check_by",
        "check_column_names",
        "columns_of",
        "decode_integers",
        "decode_times",
        "duplicated_names",
        "encode_integers",
        "encode_times",
        "finite_range",
        "first_appearance_codes",
        "group_codes",
        "infer_schema",
        "number_encoding",
        "time_encoding",
    ],
    "mixsynth.rules": [
        "DatePart",
        "Formula",
        "Grid",
        "Linear",
        "Naming",
        "Rule",
        "RuleData",
        "TimeIndex",
        "Together",
        "Unique",
        "detect_rules",
        "load_rules",
        "naming_ties",
        "parse_rule",
        "placing",
        "rules_of",
        "table_rules",
    ],
    "mixsynth.engine": [
        "Condition",
        "Generation",
        "GenerationStream",
        "Reference",
        "SynthesisOptions",
        "WeightDistribution",
        "parse_weights",
        "run_generations",
        "solve_epbeta",
        "synthesis_options",
        "synthesize",
    ],
    "mixsynth.engine.dask": [
        "DaskGenerateJob",
        "GenerationSummary",
        "Progress",
        "Source",
        "Tracker",
        "check_cluster_options",
        "dask_client",
        "find_source",
        "read_partitions",
    ],
    "mixsynth.errors": [
        "ClusterError",
        "InputError",
        "LockError",
        "MixsynthError",
        "MixsynthWarning",
        "NotFittedError",
        "OptionError",
        "OutputError",
        "ResumeError",
        "RunInterrupted",
    ],
    "mixsynth.io": [
        "ArrowTable",
        "STDIO",
        "Table",
        "TableFormat",
        "arrow_to_frame",
        "atomic_path",
        "check_encoding",
        "check_input",
        "check_output",
        "check_writable",
        "frame_to_arrow",
        "output_stream",
        "read_arrow",
        "read_table",
        "stdin_bytes",
        "stdout_buffer",
        "table_writer",
        "write_table",
        "write_text",
    ],
    "mixsynth.jobs": ["CompareJob", "DaskSettings", "GenerateJob"],
    "mixsynth.relational": [
        "RelationalGeneration",
        "RelationalMetadata",
        "RelationalPlan",
        "Relationship",
        "run_relational",
        "synthesize_tables",
    ],
    "mixsynth.metrics": [
        "CORRELATION_THRESHOLD",
        "Centred",
        "Column",
        "DCR_BUDGET",
        "GenerationTrajectory",
        "PAIR_LIMIT",
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
    ],
    "mixsynth.report": [
        "Section",
        "check_report_kind",
        "check_report_output",
        "fmt",
        "kind_from_suffix",
        "percent",
        "print_lines",
        "render",
        "render_terminal",
        "sections",
        "text_table",
        "to_html",
        "to_json",
        "to_markdown",
        "wrap",
        "write_report",
    ],
    "mixsynth.semantics": ["ColumnSemantics", "SemanticType", "TableMetadata"],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_names_are_the_declared_ones(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == PUBLIC[package]
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(PUBLIC[package]) <= set(dir(module))


def test_every_package_declares_its_public_names() -> None:
    """A new package of the library gets an ``__all__`` and a line above."""
    import pkgutil

    import mixsynth

    packages = {"mixsynth"} | {
        info.name for info in pkgutil.walk_packages(mixsynth.__path__, "mixsynth.") if info.ispkg
    }
    assert packages <= set(PUBLIC), sorted(packages - set(PUBLIC))
