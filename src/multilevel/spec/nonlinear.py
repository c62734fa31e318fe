"""Non-linear formulas, brms's ``bf(y ~ b1 * exp(b2 * x), b1 + b2 ~ 1, nl = TRUE)``.

The right side of the response's formula is an arithmetic expression of non-linear
parameters (``b1``, ``b2``), each predicted by a linear formula of its own, and of numeric
columns of the data (``x``, brms's covariates). The expression is read once into a small
tree of operations, which :meth:`NonlinearExpression.evaluate` computes with NumPy's or
PyTensor's functions (the predictions and the model) and :func:`expression_code` writes as
PyTensor code (the exported program).
"""

from __future__ import annotations

import ast
import keyword
import operator
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, FormulaError

# the functions an expression may call, by their brms (Stan) names, each as the name of the
# NumPy or PyTensor function computing it, or as a combination of them
FUNCTIONS = {
    "exp": 1, "log": 1, "log1p": 1, "expm1": 1, "sqrt": 1, "abs": 1, "sin": 1, "cos": 1,
    "tan": 1, "tanh": 1, "inv_logit": 1, "logit": 1, "Phi": 1, "inv": 1, "square": 1,
    "pow": 2, "fmin": 2, "fmax": 2, "exp2": 1, "log2": 1, "log10": 1, "step": 1,
}
_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
              ast.Div: operator.truediv, ast.Pow: operator.pow}


def _function(name: str, library: str):
    """The function ``name`` of :data:`FUNCTIONS` for arrays of ``library`` ("numpy" or
    "pytensor")."""
    if library == "numpy":
        from scipy.special import expit, ndtr
        from scipy.special import logit as logit_function
        module, special = np, {"inv_logit": expit, "logit": logit_function, "Phi": ndtr}
    else:
        import pytensor.tensor as pt
        module = pt
        special = {"inv_logit": pt.sigmoid, "logit": lambda v: pt.log(v) - pt.log1p(-v),
                   "Phi": lambda v: 0.5 * pt.erfc(-v / np.sqrt(2.0))}
    common = {"inv": lambda v: 1.0 / v, "square": lambda v: v * v,
              "pow": lambda v, w: v ** w, "fmin": module.minimum, "fmax": module.maximum,
              "step": lambda v: module.where(v < 0, 0.0, 1.0)}
    if name in special:
        return special[name]
    if name in common:
        return common[name]
    return getattr(module, name)


@dataclass(frozen=True)
class NonlinearExpression:
    """The right side of a non-linear formula.

    Attributes
    ----------
    text
        The expression as written, for messages and the summary.
    tree
        Python's reading of it (R's ``^`` as ``**``).
    names
        The names it reads, in order of first appearance: parameters and columns.
    """

    text: str
    tree: ast.Expression
    names: tuple[str, ...]

    def evaluate(self, values: dict[str, object], library: str = "numpy"):
        """The expression's value with each name's value in ``values``, computed with the
        functions of ``library`` ("numpy" or "pytensor")."""
        def value(node):
            if isinstance(node, ast.Constant):
                return float(node.value)
            if isinstance(node, ast.Name):
                return values[node.id]
            if isinstance(node, ast.UnaryOp):
                inner = value(node.operand)
                return -inner if isinstance(node.op, ast.USub) else inner
            if isinstance(node, ast.BinOp):
                return _OPERATORS[type(node.op)](value(node.left), value(node.right))
            return _function(node.func.id, library)(*map(value, node.args))
        return value(self.tree.body)


# a name as R writes it: a letter, or a dot not followed by a digit (.5 is a number), then
# letters, digits, dots and underscores
_R_NAME = re.compile(r"(?<![\w.])(?:[A-Za-z_]|\.(?![0-9]))[\w.]*")

# each function as PyTensor code in an exported program, its arguments at {0} and {1}
_CODE = {"inv_logit": "pt.sigmoid({0})", "logit": "(pt.log({0}) - pt.log1p(-({0})))",
         "Phi": "(0.5 * pt.erfc(-({0}) / np.sqrt(2.0)))", "inv": "(1.0 / ({0}))",
         "square": "(({0}) * ({0}))", "pow": "(({0}) ** ({1}))", "fmin": "pt.minimum({0}, {1})",
         "fmax": "pt.maximum({0}, {1})", "step": "pt.where(({0}) < 0, 0.0, 1.0)"}


def expression_code(expression: NonlinearExpression, variables: dict[str, str]) -> str:
    """``expression`` as PyTensor code, each name written as its variable in ``variables``."""
    symbols = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}

    def code(node) -> str:
        if isinstance(node, ast.Constant):
            return repr(float(node.value))
        if isinstance(node, ast.Name):
            return variables[node.id]
        if isinstance(node, ast.UnaryOp):
            return f"({'-' if isinstance(node.op, ast.USub) else '+'}{code(node.operand)})"
        if isinstance(node, ast.BinOp):
            return f"({code(node.left)} {symbols[type(node.op)]} {code(node.right)})"
        template = _CODE.get(node.func.id, f"pt.{node.func.id}({{0}})")
        return template.format(*map(code, node.args))
    return code(expression.tree.body)


def parse_nonlinear(text: str, formula: str) -> NonlinearExpression:
    """Read the right side ``text`` of the non-linear ``formula``.

    Raises
    ------
    FormulaError
        For anything but numbers, names, ``+ - * / ^``, parentheses and the functions of
        :data:`FUNCTIONS`, named with the part at fault.
    """
    # R's names may hold dots (Sepal.Length), which Python reads as attributes, or be Python's
    # keywords (lambda): each such name is read under a stand-in, then given its own back
    stand_ins = {f"_stand_in_{k}": name for k, name in enumerate(dict.fromkeys(
        name for name in _R_NAME.findall(text) if "." in name or keyword.iskeyword(name)))}
    python_text = text.replace("^", "**")
    for stand_in, name in stand_ins.items():
        python_text = re.sub(rf"(?<![\w.]){re.escape(name)}(?![\w.])", stand_in, python_text)
    try:
        tree = ast.parse(python_text, mode="eval")
    except SyntaxError:
        raise FormulaError(f"Cannot read the non-linear formula {formula!r}: its right side "
                           f"{text!r} is not an arithmetic expression.") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = stand_ins.get(node.id, node.id)
    functions = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    read: list[ast.Name] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load, ast.operator, ast.unaryop)):
            continue
        if isinstance(node, ast.Name):
            if id(node) not in functions:
                read.append(node)
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not isinstance(node.value, bool):
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            arity = FUNCTIONS.get(node.func.id)
            if arity is None:
                raise FormulaError(
                    f"The non-linear formula {formula!r} calls {node.func.id}(), which is not "
                    f"provided; its functions are {', '.join(sorted(FUNCTIONS))}.")
            if len(node.args) != arity or node.keywords:
                raise FormulaError(f"The non-linear formula {formula!r}: {node.func.id}() "
                                   f"takes {arity} argument{'s' if arity > 1 else ''}.")
            continue
        raise FormulaError(
            f"The non-linear formula {formula!r} has {ast.unparse(node)!r}, which is not part "
            "of an arithmetic expression of parameters, columns, numbers and functions.")
    read.sort(key=lambda node: node.col_offset)
    return NonlinearExpression(text.strip(), tree, tuple(dict.fromkeys(n.id for n in read)))


def covariate_names(expression: NonlinearExpression, parameters: tuple[str, ...]
                    ) -> tuple[str, ...]:
    """The names of ``expression`` that are not ``parameters``: columns of the data."""
    return tuple(name for name in expression.names if name not in parameters)


def covariate_values(covariates: tuple[str, ...], frame: pd.DataFrame,
                     formula: str) -> dict[str, np.ndarray]:
    """The numeric columns a non-linear expression reads, by name."""
    values = {}
    for name in covariates:
        series = frame[name]
        if not pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(
                series.dtype):
            raise DataError(
                f"Column {name!r} of the non-linear formula {formula!r} must be numeric, got "
                f"{series.dtype}; a name without a formula of its own is read from the data "
                "as a number per row (give it a formula, as 'b1 ~ 1', to make it a "
                "parameter).")
        values[name] = series.to_numpy(dtype=float)
    return values
