"""Rules a user declares: ``--rule "a <= b"`` on the command line, and ``--rules FILE``
in mixsynth's own JSON or TOML or as SDV writes its constraints (``constraint_class``
and ``constraint_parameters``), also inside an SDV metadata file.

A rule's text is parsed as a Python comparison (``=`` may stand for ``==``) by
:mod:`ast`, never evaluated as code: names are columns, and only numbers, ``+ - * /``,
parentheses and comparisons are allowed. Sides that are linear in the columns make a
:class:`~mixsynth.rules.model.Linear` rule mixsynth keeps; anything else (a product of
two columns) a :class:`~mixsynth.rules.model.Formula` it only reports.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

from mixsynth.errors import InputError, OptionError
from mixsynth.rules.formula import RULE_HELP
from mixsynth.rules.model import (
    GRIDS,
    PARTS,
    DatePart,
    Formula,
    Grid,
    Increments,
    Linear,
    Rule,
    Together,
    Unique,
)

_COMPARE = {ast.LtE: "<=", ast.Lt: "<", ast.GtE: ">=", ast.Gt: ">", ast.Eq: "=="}


def parse_rule(text: str, origin: str = "declared") -> list[Rule]:
    """The rules one line states: a comparison (chains give one rule per link; ``y =
    year(date)`` a part of a date), ``unique: a, b``, ``combinations: city, state`` or ``grid: column yearly``."""
    stripped = text.strip()
    keyword, _, rest = stripped.partition(":")
    names = [name.strip() for name in rest.split(",") if name.strip()]
    if keyword.strip() == "unique" and names:
        return [Unique(tuple(names), origin=origin)]
    if keyword.strip() == "combinations" and len(names) > 1:
        return [Together(tuple(names), origin=origin)]
    if keyword.strip() == "grid" and len(rest.split()) == 2 and rest.split()[1] in GRIDS:
        return [Grid(rest.split()[0], rest.split()[1], origin=origin)]
    source = re.sub(r"(?<![<>=!])=(?!=)", "==", stripped)
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError:
        raise OptionError(f"cannot read the rule {text!r}", RULE_HELP) from None
    if not isinstance(tree, ast.Compare) or not all(type(op) in _COMPARE for op in tree.ops):
        raise OptionError(f"the rule {text!r} compares nothing", RULE_HELP)
    sides = [tree.left, *tree.comparators]
    rules: list[Rule] = []
    for left, op, right in zip(sides, tree.ops, sides[1:], strict=False):
        link = f"{ast.unparse(left)} {_COMPARE[type(op)]} {ast.unparse(right)}"
        if len(tree.ops) == 1:
            link = " ".join(stripped.split())
        rules.append(_comparison(left, _COMPARE[type(op)], right, link.replace("==", "="), origin))
    return rules


def _comparison(left: ast.AST, op: str, right: ast.AST, text: str, origin: str) -> Rule:
    part = _date_part(left, right) if op == "==" else None
    if part is not None:
        return DatePart(*part, origin=origin)
    names = tuple(
        dict.fromkeys(
            n.id for side in (left, right) for n in ast.walk(side) if isinstance(n, ast.Name)
        )
    )
    if not names:
        raise OptionError(f"the rule {text!r} names no column", RULE_HELP)
    try:
        lcoefs, lconst = _linear(left)
        rcoefs, rconst = _linear(right)
    except _NotLinear:
        return Formula(text, names, origin=origin)
    if op in (">=", ">"):  # a >= b is b <= a
        lcoefs, lconst, rcoefs, rconst = rcoefs, rconst, lcoefs, lconst
        op = op.replace(">", "<")
    coefs = dict(lcoefs)
    for name, coef in rcoefs.items():
        coefs[name] = coefs.get(name, 0.0) - coef
    coefs = {name: coef for name, coef in coefs.items() if coef != 0}
    if not coefs:
        raise OptionError(f"the rule {text!r} does not depend on any column", RULE_HELP)
    target = None
    if op == "==":
        # The column written alone on one side is recomputed; else the first named.
        alone = [side for side in (left, right) if isinstance(side, ast.Name)]
        target = alone[0].id if alone and alone[0].id in coefs else next(iter(coefs))
    return Linear(tuple(coefs.items()), lconst - rconst, op, text, target, origin=origin)


def _date_part(left: ast.AST, right: ast.AST) -> tuple[str, str, str] | None:
    """(target, part, date) of ``target = part(date)`` (either way round), else None."""
    for name, call in ((left, right), (right, left)):
        if (
            isinstance(name, ast.Name)
            and isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id in PARTS
            and len(call.args) == 1
            and isinstance(call.args[0], ast.Name)
            and not call.keywords
        ):
            return name.id, call.func.id, call.args[0].id
    return None


class _NotLinear(Exception):
    """A side is not an affine function of the columns."""


def _linear(node: ast.AST) -> tuple[dict[str, float], float]:
    """(coefficients, constant) of an affine expression of names and numbers."""
    if isinstance(node, ast.Name):
        return {node.id: 1.0}, 0.0
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return {}, float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        coefs, const = _linear(node.operand)
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        return {n: sign * c for n, c in coefs.items()}, sign * const
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        (lc, lk), (rc, rk) = _linear(node.left), _linear(node.right)
        sign = 1.0 if isinstance(node.op, ast.Add) else -1.0
        coefs = dict(lc)
        for name, coef in rc.items():
            coefs[name] = coefs.get(name, 0.0) + sign * coef
        return coefs, lk + sign * rk
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Div):
        (lc, lk), (rc, rk) = _linear(node.left), _linear(node.right)
        if isinstance(node.op, ast.Div):
            if rc or rk == 0:
                raise _NotLinear
            return {n: c / rk for n, c in lc.items()}, lk / rk
        if lc and rc:
            raise _NotLinear
        factor, (coefs, const) = (rk, (lc, lk)) if not rc else (lk, (rc, rk))
        return {n: c * factor for n, c in coefs.items()}, const * factor
    if isinstance(node, ast.BinOp | ast.Call | ast.Compare):
        raise _NotLinear
    raise OptionError(f"cannot read {ast.unparse(node)!r} in a rule", RULE_HELP)


# --- files -----------------------------------------------------------------------------


def load_rules(path: str | Path) -> list[Rule]:
    """The rules of a file: JSON or TOML (by suffix), mixsynth's ``{"rules": ["a <= b",
    ...]}`` or SDV's constraints (a list, ``{"constraints": [...]}``, or an SDV metadata
    file holding them)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            f"cannot read the rules file {str(path)!r}: {getattr(error, 'strerror', None) or error}",
            "give a JSON or TOML file of rules",
        ) from None
    try:
        if path.suffix.lower() == ".toml":
            if sys.version_info >= (3, 11):
                import tomllib
            else:  # Python 3.10
                import tomli as tomllib

            document: Any = tomllib.loads(text)
        else:
            document = json.loads(text)
    except ValueError as error:
        raise InputError(
            f"rules file {path.name} is not valid {'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {error}",
            "fix the file (see docs/rules.md for the format)",
        ) from None
    return rules_of(document, path.name)


def rules_of(document: Any, where: str) -> list[Rule]:
    """The rules of a parsed document (see :func:`load_rules`)."""
    if isinstance(document, dict):
        entries = document.get("rules", []) + document.get("constraints", [])
        for table in (document.get("tables") or {}).values():  # SDV metadata, V1 multi
            entries += table.get("constraints", []) if isinstance(table, dict) else []
    elif isinstance(document, list):
        entries = document
    else:
        entries = None
    if not isinstance(entries, list):
        raise InputError(
            f"rules file {where} holds no list of rules",
            'give {"rules": ["a <= b", ...]} or SDV constraints (see docs/rules.md)',
        )
    rules: list[Rule] = []
    for entry in entries:
        if isinstance(entry, str):
            rules += parse_rule(entry)
        elif isinstance(entry, dict) and "constraint_class" in entry:
            rules += sdv_constraint(entry, where)
        else:
            raise InputError(
                f"rules file {where}: cannot read the entry {json.dumps(entry)[:80]}",
                'write rules as text ("a <= b") or as SDV constraints',
            )
    return rules


def sdv_constraint(entry: dict[str, Any], where: str) -> list[Rule]:
    """One SDV constraint (``constraint_class`` and ``constraint_parameters``) as rules."""
    kind = entry["constraint_class"]
    p = entry.get("constraint_parameters") or {}
    strict = bool(p.get("strict_boundaries", p.get("strict", False)))
    lt = "<" if strict else "<="
    try:
        if kind == "Inequality":
            return parse_rule(f"{p['low_column_name']} {lt} {p['high_column_name']}")
        if kind == "Range":
            low, mid, high = p["low_column_name"], p["middle_column_name"], p["high_column_name"]
            return parse_rule(f"{low} {lt} {mid}") + parse_rule(f"{mid} {lt} {high}")
        if kind == "ScalarInequality":
            relation = p["relation"]
            if relation not in (">", ">=", "<", "<="):
                raise KeyError("relation")
            return parse_rule(f"{p['column_name']} {relation} {float(p['value'])!r}")
        if kind == "ScalarRange":
            column = p["column_name"]
            return parse_rule(f"{float(p['low_value'])!r} {lt} {column}") + parse_rule(
                f"{column} {lt} {float(p['high_value'])!r}"
            )
        if kind in ("Positive", "Negative"):
            relation = (">" if kind == "Positive" else "<") + ("" if strict else "=")
            return parse_rule(f"{p['column_name']} {relation} 0")
        if kind == "FixedCombinations":
            return [Together(tuple(p["column_names"]))]
        if kind == "Unique":
            return [Unique(tuple(p["column_names"]))]
        if kind == "FixedIncrements":
            return [Increments(p["column_name"], float(p["increment_value"]))]
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            f"rules file {where}: SDV constraint {kind} lacks a valid parameter {error}",
            "give its constraint_parameters as SDV documents them",
        ) from None
    raise InputError(
        f"rules file {where}: SDV constraint {kind} is not one mixsynth reads",
        "use Inequality, ScalarInequality, ScalarRange, Range, FixedCombinations, "
        "FixedIncrements, Positive, Negative or Unique, or write the rule as text",
    )
