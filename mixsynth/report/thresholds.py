"""The rules a verdict judges by, and the limits in force: each rule's defaults, then
a TOML ``--config`` file, then the command-line threshold options.

Apart from the verdict's assembly so that the limits (what users set, and how they
are checked) read in one place; ``docs/report.md`` lists the defaults and why.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixsynth.errors import OptionError


@dataclass(frozen=True)
class Rule:
    """One threshold: which figure, which side is good, and the default limits."""

    name: str  #: the option (``--name-with-dashes``) and the config key
    area: str
    figure: str  #: what the value is, in words
    upper: bool  #: True: the value must stay at or below the limit (a maximum)
    fail: float | None
    warn: float | None
    low: float = 0.0  #: the range a user's limit must lie in
    high: float = math.inf
    why: str = ""  #: what breaking it means, for the message

    @property
    def option(self) -> str:
        """The command-line option that sets the fail limit."""
        return "--" + self.name.replace("_", "-")


RULES: tuple[Rule, ...] = (
    Rule("min_column_shapes", "fidelity", "column shapes score", False, 0.70, 0.85, 0, 1,
         "marginal distributions differ"),
    Rule("max_variance_drift", "fidelity", "worst |variance ratio - 1| of a numeric column",
         True, 0.5, 0.2, why="a column's spread changed"),
    Rule("min_overall_score", "fidelity", "overall score", False, None, None, 0, 1),
    Rule("min_rule_share", "fidelity", "share of synthetic rows holding a rule every real "
         "row holds", False, 1.0, None, 0, 1, "rows break a rule of the real table"),
    Rule("min_pair_trends", "pairs", "column pair trends score", False, 0.80, 0.90, 0, 1,
         "relations between columns differ"),
    Rule("max_correlation_diff", "pairs", "largest correlation difference", True, 0.4, 0.2,
         0, 2, "a correlation moved"),
    Rule("max_exact_copy_share", "privacy", "exact-copy share",
         True, 0.5, 0.05, 0, 1, "real rows are released as they are"),
    Rule("min_dcr_ratio", "privacy",
         "synthetic DCR p5 / real-holdout DCR p5", False, None, 0.5,
         why="near-copies of real rows"),
    Rule("max_dcr_share", "privacy",
         "share of synthetic rows closer to the training rows than to holdout rows",
         True, 0.75, 0.6, 0, 1, "rows sit near the real rows they were made from"),
    Rule("max_unique_value_leak", "privacy", "unique-value leak", True, 0.5, 0.05, 0, 1,
         "synthetic rows carry values that identify one real row"),
    Rule("min_utility_ratio", "utility", "utility ratio (synthetic-trained / real-trained)",
         False, 0.75, 0.90, why="a model learns less from synthetic rows"),
    Rule("max_generation_drift", "drift",
         "change of the median variance ratio from the first to the last generation",
         True, 0.3, 0.1, why="the data drift as generations go on"),
    Rule("max_score_drop", "drift", "drop of the overall score from the first to the last "
         "generation", True, 0.15, 0.05, 0, 1, "quality is lost generation after generation"),
)  # fmt: skip
RULE_BY_NAME = {rule.name: rule for rule in RULES}


@dataclass
class Thresholds:
    """The limits in force: defaults, then a config file, then command-line options."""

    #: name -> {"fail": limit or None, "warn": limit or None, "source": where it came from}
    limits: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per-column max_variance_drift (config ``[columns."name"]``)
    columns: dict[str, float] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Thresholds:
        return cls({r.name: {"fail": r.fail, "warn": r.warn, "source": "default"} for r in RULES})

    def set(self, name: str, limit: float, source: str) -> None:
        """A user's fail limit; the default warn limit stays only where it is stricter."""
        rule = RULE_BY_NAME[name]
        _check_limit(rule, limit, source)
        warn = self.limits[name]["warn"]
        if warn is not None and (warn >= limit if rule.upper else warn <= limit):
            warn = None
        self.limits[name] = {"fail": limit, "warn": warn, "source": source}

    def user_set(self) -> list[str]:
        return [n for n, v in self.limits.items() if v["source"] != "default"]

    def as_dict(self) -> dict:
        return {"limits": self.limits, "columns": self.columns}


def _check_limit(rule: Rule, limit: Any, source: str) -> None:
    ok = isinstance(limit, int | float) and not isinstance(limit, bool)
    if not ok or not rule.low <= limit <= rule.high:  # NaN fails too
        raise OptionError(
            f"{rule.name} ({source}) must be a number in [{rule.low:g}, {rule.high:g}], "
            f"got {limit!r}"
        )


def load_config(path: str | Path) -> dict:
    """The thresholds of a TOML file: ``[thresholds]`` name = limit (or {fail, warn}),
    ``[columns."name"]`` max_variance_drift = limit."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib

    from mixsynth.io.source import settings_bytes

    try:
        data = tomllib.loads(settings_bytes(path, "--config file").decode("utf-8"))
    except FileNotFoundError:
        raise OptionError(f"--config file {str(path)!r} does not exist") from None
    except OSError as error:
        raise OptionError(f"cannot read --config file {str(path)!r}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise OptionError(f"--config file {str(path)!r} is not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise OptionError(
            f"--config file {str(path)!r} is not UTF-8 text (byte {error.start}), as TOML must be",
            "save it as UTF-8",
        ) from None
    except RecursionError:
        raise OptionError(
            f"--config file {str(path)!r} is nested too deeply to be a thresholds file",
            'it holds [thresholds] and [columns."NAME"] tables of numbers',
        ) from None
    unknown = set(data) - {"thresholds", "columns"}
    if unknown:
        raise OptionError(
            f"--config file {str(path)!r} has an unknown table [{sorted(unknown)[0]}]",
            'it may hold [thresholds] and [columns."NAME"]',
        )
    return data


def thresholds_from(config: Mapping | None, options: Mapping[str, float | None]) -> Thresholds:
    """Defaults, overridden by a loaded config, overridden by command-line options."""
    thresholds = Thresholds.default()
    for name, value in ((config or {}).get("thresholds") or {}).items():
        if name not in RULE_BY_NAME:
            raise OptionError(
                f"unknown threshold {name!r} in --config",
                f"known: {', '.join(RULE_BY_NAME)}",
            )
        if isinstance(value, Mapping):
            rule = RULE_BY_NAME[name]
            for key in value:
                if key not in ("fail", "warn"):
                    raise OptionError(f"{name} in --config takes fail and warn, not {key!r}")
            for key in ("fail", "warn"):
                if key in value:
                    _check_limit(rule, value[key], "--config")
            thresholds.limits[name] = {
                "fail": value.get("fail"),
                "warn": value.get("warn"),
                "source": "--config",
            }
        else:
            thresholds.set(name, value, "--config")
    for column, table in ((config or {}).get("columns") or {}).items():
        if not isinstance(table, Mapping) or set(table) != {"max_variance_drift"}:
            raise OptionError(f"[columns.{column!r}] in --config takes max_variance_drift only")
        _check_limit(RULE_BY_NAME["max_variance_drift"], table["max_variance_drift"], "--config")
        thresholds.columns[str(column)] = float(table["max_variance_drift"])
    for name, value in options.items():
        if value is not None:
            thresholds.set(name, value, RULE_BY_NAME[name].option)
    return thresholds
