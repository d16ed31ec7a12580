"""Rules as text evaluated on column vectors: a comparison of names, numbers and
arithmetic, run with numpy and never as Python code (what a :class:`~.model.Formula`
holds, and the check of every declared rule)."""

from __future__ import annotations

import ast
import re
from typing import Any

import numpy as np

from mixsynth.errors import OptionError

RULE_HELP = (
    'write e.g. "start <= end", "a <= b <= c", "total = subtotal - discount + tax", '
    '"price > 0", "signup_year = year(signup_date)" or "unique: firm, year"'
)


def evaluate(text: str, values: dict[str, np.ndarray]) -> np.ndarray:
    """Where a :class:`Formula` (one comparison) holds: evaluated on the vectors with
    numpy, names and arithmetic only (anything else is refused, never run); equalities
    to 1e-9 relative."""
    compare = ast.parse(re.sub(r"(?<![<>=!])=(?!=)", "==", text), mode="eval").body
    if not isinstance(compare, ast.Compare):
        raise OptionError(f"the rule {text!r} compares nothing", RULE_HELP)
    left = _value(compare.left, values)
    right = _value(compare.comparators[0], values)
    op = type(compare.ops[0])
    with np.errstate(invalid="ignore"):
        if op is ast.Eq:
            ok = np.abs(left - right) <= 1e-9 * np.maximum(np.abs(left), np.abs(right)) + 1e-12
        else:
            ok = {
                ast.LtE: np.less_equal,
                ast.Lt: np.less,
                ast.GtE: np.greater_equal,
                ast.Gt: np.greater,
            }[op](left, right)
    return ok | np.isnan(left - right)


def _value(node: ast.AST, values: dict[str, np.ndarray]) -> Any:
    if isinstance(node, ast.Name):
        return values[node.id]
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, values), _value(node.right, values)
        with np.errstate(all="ignore"):
            return {
                ast.Add: np.add,
                ast.Sub: np.subtract,
                ast.Mult: np.multiply,
                ast.Div: np.divide,
                ast.Pow: np.power,
            }[type(node.op)](left, right)
    raise OptionError(f"cannot evaluate {ast.unparse(node)!r} in a rule", RULE_HELP)
