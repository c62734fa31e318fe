"""The data preparation of a model's PyMC program: pandas code that rebuilds its arrays.

Each array the model reads (response, population and group-level design columns, group
indices, trials, weights, offsets) is written as pandas code on the user's data frame where
the formula's term is a plain column, a factor level, a product of those or a numpy function
of a column. Every piece of code has a twin here that computes its value, and the value is
checked against the design's own array on the model's data; what does not match (a term
formulae evaluates in its own way, such as ``poly()`` or ``scale()``) is written as a literal
array instead, with a comment naming the term, so the program never disagrees with the model.
"""

from __future__ import annotations

import itertools
import keyword
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..names import r_column_name, sorted_levels
from ..spec.category_specific import CategorySpecificPart
from ..spec.design import Design, GroupBlock
from ..spec.evaluation import r_column_order, r_ordered_frame
from ..spec.monotonic import MonotonicPart
from ..spec.truncation import bound_columns_text, truncation_bounds_text

# numpy functions a formula may apply to a column (spec/evaluation.py's closed language)
_NUMPY_FUNCTIONS = ("log", "log10", "log2", "log1p", "exp", "expm1", "sqrt", "abs")
_CALL = re.compile(r"^\s*(" + "|".join(_NUMPY_FUNCTIONS) + r")\(\s*([A-Za-z_]\w*)\s*\)\s*$")
_FACTOR_CALL = re.compile(r"^\s*(?:factor|C)\(\s*([A-Za-z_]\w*)\s*\)\s*$")
_DIFFERENCE = re.compile(r"^\s*([A-Za-z_]\w*)\s*-\s*([A-Za-z_]\w*)\s*$")
_NAME = re.compile(r"^\s*([A-Za-z_]\w*)\s*$")
_LINE = 96


def native(value):
    """A numpy scalar as the Python value whose repr is a plain literal."""
    return value.item() if isinstance(value, np.generic) else value


def quote(value) -> str:
    """A literal of a value, strings in double quotes."""
    value = native(value)
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            return '"' + text[1:-1] + '"'
        return text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(quote(v) for v in value) + "]"
    return repr(value)


def number(value: float) -> str:
    """A float literal that reads back exactly."""
    return repr(float(value))


def concentrations_code(values: np.ndarray) -> str:
    """A Dirichlet's concentrations: ``np.full(3, 1.0)`` where they are equal, else a
    literal of each."""
    values = np.asarray(values, dtype=float)
    if np.all(values == values[0]):
        return f"np.full({len(values)}, {number(values[0])})"
    return f"np.array([{', '.join(number(v) for v in values)}])"


def array_literal(values: np.ndarray, indent: str) -> str:
    """``np.array([...])`` of a vector or matrix, wrapped, with every value exact."""
    values = np.asarray(values)
    if values.dtype.kind in "iub":
        def cell(v):
            return str(int(v))
    else:
        def cell(v):
            return number(v)
    if values.ndim == 1:
        rows = [", ".join(cell(v) for v in values)]
        body = _wrap(rows[0].split(", "), indent + "    ")
        return f"np.array([\n{body}\n{indent}])"
    rows = []
    for row in values:
        # each row's values wrapped under its opening bracket
        text = _wrap([cell(v) for v in row], indent + "     ").rstrip(",")
        rows.append(f"{indent}    [" + text[len(indent) + 5:] + "],")
    return "np.array([\n" + "\n".join(rows) + f"\n{indent}])"


def list_literal(values) -> str:
    """A list literal, wrapped over lines when long."""
    text = "[" + ", ".join(quote(v) for v in values) + "]"
    if len(text) <= _LINE - 24:
        return text
    return "[\n" + _wrap([quote(v) for v in values], "    ") + "\n]"


def _wrap(items: list[str], indent: str) -> str:
    lines, current = [], indent
    for item in items:
        piece = item + ","
        if len(current) + len(piece) + 1 > _LINE and current.strip():
            lines.append(current.rstrip())
            current = indent
        current += piece + " "
    lines.append(current.rstrip())
    return "\n".join(lines)


# --- column recipes: code on `data` and the value it gives --------------------------------

class Recipe:
    """A column of the data frame, or a function of columns, as code and as its value."""

    def code(self) -> str:
        raise NotImplementedError

    def value(self, frame: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    def factor_code(self) -> str:
        """The code as a factor of a product."""
        return self.code()


@dataclass(frozen=True)
class ColumnOf(Recipe):
    name: str

    def code(self) -> str:
        return f"data[{quote(self.name)}]"

    def value(self, frame):
        return frame[self.name].to_numpy()


@dataclass(frozen=True)
class Ones(Recipe):
    def code(self) -> str:
        return "np.ones(len(data))"

    def value(self, frame):
        return np.ones(len(frame))


@dataclass(frozen=True)
class LevelIs(Recipe):
    """The indicator of one level of a factor (a treatment-contrast column)."""

    column: ColumnOf
    level: object

    def code(self) -> str:
        return f"{self.column.code()}.eq({quote(native(self.level))})"

    def value(self, frame):
        return (frame[self.column.name] == self.level).to_numpy()


@dataclass(frozen=True)
class NumpyOf(Recipe):
    function: str
    argument: Recipe

    def code(self) -> str:
        return f"np.{self.function}({self.argument.code()})"

    def value(self, frame):
        return getattr(np, self.function)(np.asarray(self.argument.value(frame), dtype=float))


@dataclass(frozen=True)
class Difference(Recipe):
    first: Recipe
    second: Recipe

    def code(self) -> str:
        return f"{self.first.code()} - {self.second.code()}"

    def factor_code(self) -> str:
        return f"({self.code()})"

    def value(self, frame):
        return (np.asarray(self.first.value(frame), dtype=float)
                - np.asarray(self.second.value(frame), dtype=float))


@dataclass(frozen=True)
class Product(Recipe):
    factors: tuple[Recipe, ...]

    def code(self) -> str:
        return " * ".join(f.factor_code() for f in self.factors)

    def value(self, frame):
        result = np.ones(len(frame))
        for factor in self.factors:
            result = result * np.asarray(factor.value(frame), dtype=float)
        return result


@dataclass(frozen=True)
class Sum(Recipe):
    terms: tuple[Recipe, ...]

    def code(self) -> str:
        return " + ".join(t.code() for t in self.terms)

    def factor_code(self) -> str:
        return f"({self.code()})" if len(self.terms) > 1 else self.terms[0].factor_code()

    def value(self, frame):
        return sum(np.asarray(t.value(frame), dtype=float) for t in self.terms)


def expression_recipe(expression: str) -> Recipe | None:
    """A recipe for a response, trials, weights or offset expression, where one is known."""
    if match := _NAME.match(expression):
        return ColumnOf(match.group(1))
    if match := _CALL.match(expression):
        return NumpyOf(match.group(1), ColumnOf(match.group(2)))
    if match := _DIFFERENCE.match(expression):
        return Difference(ColumnOf(match.group(1)), ColumnOf(match.group(2)))
    return None


def same(computed, expected) -> bool:
    """Whether a recipe's values are the design's (a recipe that cannot run on the column,
    such as arithmetic on a factor, is not)."""
    try:
        computed = np.asarray(computed, dtype=float)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=float)
    return computed.shape == expected.shape and bool(
        np.allclose(computed, expected, rtol=1e-12, atol=1e-12))


def reproduces(recipe: Recipe, frame: pd.DataFrame, expected) -> bool:
    """Whether a recipe gives the design's values on the model's data."""
    try:
        computed = recipe.value(frame)
    except (TypeError, ValueError, KeyError):
        return False
    return same(computed, expected)


def _component_recipes(component) -> list[Recipe] | None:
    """One recipe per design column of a formulae term component."""
    kind = getattr(component, "kind", None)
    name = str(component.name)
    is_call = hasattr(component, "call")
    if kind == "numeric":
        if not is_call:
            return [ColumnOf(name)]
        match = _CALL.match(name)
        return [NumpyOf(match.group(1), ColumnOf(match.group(2)))] if match else None
    if kind != "categoric":
        return None
    if is_call:
        match = _FACTOR_CALL.match(name)
        if not match:
            return None
        column = ColumnOf(match.group(1))
    else:
        column = ColumnOf(name)
    contrasts = np.asarray(component.contrast_matrix.matrix, dtype=float)
    recipes = []
    for j in range(contrasts.shape[1]):
        ones = np.flatnonzero(contrasts[:, j])
        if len(ones) != 1 or contrasts[ones[0], j] != 1.0:
            return None  # not a 0/1 indicator of one level
        recipes.append(LevelIs(column, component.levels[ones[0]]))
    return recipes


def term_recipes(term, expected: np.ndarray, frame: pd.DataFrame) -> list[Recipe] | None:
    """Recipes for a formulae term's columns that reproduce ``expected`` on ``frame``."""
    if type(term).__name__ == "Intercept":
        return [Ones()] if same(np.ones(len(frame)), expected[:, 0]) else None
    per_component = [_component_recipes(c) for c in getattr(term, "components", [])]
    if not per_component or any(r is None for r in per_component):
        return None
    for order in (per_component, per_component[::-1]):
        recipes = [Product(tuple(combo)) if len(combo) > 1 else combo[0]
                   for combo in itertools.product(*order)]
        if order is not per_component:
            recipes = [Product(tuple(reversed(r.factors))) if isinstance(r, Product) else r
                       for r in recipes]
        if len(recipes) == expected.shape[1] and all(
                reproduces(r, frame, expected[:, k]) for k, r in enumerate(recipes)):
            return recipes
    return None


# --- the arrays of the program --------------------------------------------------------------

@dataclass
class MatrixColumns:
    """The columns of one design matrix: code per column (None: literal) and their names."""

    names: list[str]
    recipes: list[Recipe | None]
    labels: list[str]  # the formula's term of each column, for a literal's comment


def matrix_columns(terms, values: np.ndarray, names: list[str], columns: list[int],
                   frame: pd.DataFrame) -> MatrixColumns:
    """Recipes for the chosen ``columns`` of a formulae matrix whose chosen columns are
    ``values``, named ``names``."""
    recipes: list[Recipe | None] = [None] * len(columns)
    labels = [""] * len(columns)
    position = {column: k for k, column in enumerate(columns)}
    full = terms.as_dataframe().to_numpy(dtype=float) if terms is not None else None
    for term_name, where in (terms.slices.items() if terms is not None else []):
        chosen = [c for c in range(where.start, where.stop) if c in position]
        if not chosen:
            continue
        term = terms.terms[term_name]
        found = term_recipes(term, full[:, where], frame)
        formulae_position = r_column_order(term)
        for c in chosen:
            labels[position[c]] = r_column_name(str(term_name))
            if found is not None:
                recipes[position[c]] = found[formulae_position[c - where.start]]
    for k in range(len(columns)):
        if recipes[k] is not None and not reproduces(recipes[k], frame, values[:, k]):
            recipes[k] = None
    return MatrixColumns(list(names), recipes, labels)


def python_name(name: str, taken: set[str]) -> str:
    """A Python identifier for a model name (``batch:cask`` -> ``batch_cask``), unused so far."""
    base = re.sub(r"\W", "_", name)
    if not base or base[0].isdigit():
        base = "_" + base
    if keyword.iskeyword(base):
        base += "_"
    candidate, k = base, 2
    while candidate in taken:
        candidate, k = f"{base}_{k}", k + 1
    taken.add(candidate)
    return candidate


@dataclass
class GroupIndex:
    """Code of a grouping factor's levels and each row's level."""

    lines: list[str]
    index: str  # the variable holding each row's level position
    levels: str  # the variable holding the levels (None: no variable)
    coords: str  # code of the coordinate labels


def _label_code(series: pd.Series, column: str) -> tuple[str, pd.Series]:
    """Code of a column's levels as R prints them (``1``, not ``1.0``), and those labels."""
    values = series.to_numpy()
    if series.dtype.kind == "f" and np.all(values == np.round(values)):
        return (f"data[{quote(column)}].astype(\"int64\").astype(str)",
                series.astype("int64").astype(str))
    return f"data[{quote(column)}].astype(str)", series.astype(str)


def group_index(group: str, block: GroupBlock, frame: pd.DataFrame, variable: str) -> GroupIndex:
    """pandas code for a grouping factor's level of each row, in the design's level order."""
    labels = list(block.levels)
    lines = []
    if len(block.factors) == 1:
        column = block.factors[0]
        series = frame[column]
        expected = [native(v) for v in sorted_levels(series)]
        numeric = (pd.api.types.is_numeric_dtype(series.dtype)
                   and not pd.api.types.is_bool_dtype(series.dtype))
        if numeric and [native(v) for v in np.sort(series.unique())] == expected:
            levels_code = f"np.sort(data[{quote(column)}].unique())"
            comment = "sorted, as R orders a factor's levels"
        else:
            levels_code = list_literal(expected)
            comment = "in R's order"
        source, values = f"data[{quote(column)}]", expected
    else:
        pieces = [_label_code(frame[c], c) for c in block.factors]
        combined = pieces[0][1].str.cat([values for _, values in pieces[1:]], sep="_")
        source = " + \"_\" + ".join(code for code, _ in pieces)
        values, comment = labels, "in R's order"
        levels_code = list_literal(labels)
        series = combined
    codes = pd.Categorical(series, categories=values).codes
    lines.append(f"# {group}: its levels {comment}, and each row's level")
    lines.append(f"{variable}_levels = {levels_code}")
    if np.array_equal(codes, block.index):
        line = f"{variable} = pd.Categorical({source}, categories={variable}_levels).codes"
        if len(line) > _LINE:
            lines.append(f"{variable}_labels = {source}")
            line = (f"{variable} = pd.Categorical({variable}_labels, "
                    f"categories={variable}_levels).codes")
        lines.append(line)
    else:
        lines.append(f"{variable} = {array_literal(block.index, '')}  "
                     f"# level positions, as the package computed them")
    if [str(v) for v in values] == labels:
        coords = f"[str(level) for level in {variable}_levels]"
    else:
        coords = "[" + ", ".join(quote(v) for v in labels) + "]"
    return GroupIndex(lines, variable, f"{variable}_levels", coords)


def matrix_lines(variable: str, columns: MatrixColumns, values: np.ndarray,
                 prefix: str = "") -> list[str]:
    """``variable = pd.DataFrame({...}).to_numpy(dtype=float)`` with literal columns where
    no recipe reproduces the design."""
    lines = []
    entries = []
    for k, (name, recipe) in enumerate(zip(columns.names, columns.recipes, strict=True)):
        if recipe is None:
            literal = f"{variable}_{k}"
            lines.append(f"# {prefix}{name}: the column of {quote(columns.labels[k] or name)} as "
                         "formulae evaluated it on these rows")
            lines.append(f"{literal} = {array_literal(values[:, k], '')}")
            entries.append((name, literal))
        else:
            entries.append((name, recipe.code()))
    lines.append(f"{variable} = pd.DataFrame({{")
    for name, code in entries:
        lines.append(f"    {quote(name)}: {code},")
    lines.append("}).to_numpy(dtype=float)")
    return lines


def response_lines(design: Design) -> list[str]:
    """Code of ``y``, the response as the model reads it."""
    frame, spec, family = design.data, design.spec, design.family
    dtype = "int64" if design.y.dtype.kind in "iu" else "float"
    if family.columns:
        return _columns_response_lines(design, dtype)
    expression = spec.cbind[0] if spec.cbind is not None else spec.response
    recipe = expression_recipe(expression) if expression else None
    candidates = []
    if recipe is not None:
        candidates.append((f"{recipe.factor_code()}.to_numpy(dtype={quote(dtype)})"
                           if dtype == "int64" else f"{recipe.factor_code()}.to_numpy(dtype=float)",
                           lambda: np.asarray(recipe.value(frame), dtype=dtype)))
    if isinstance(recipe, ColumnOf) and (family.ordinal or family.categorical
                                         or family.proportion):
        series = frame[recipe.name]
        if isinstance(series.dtype, pd.CategoricalDtype) and family.ordinal:
            levels = [native(v) for v in series.cat.categories]
        else:
            levels = [native(v) for v in sorted_levels(series)]
        if family.proportion and len(levels) == 2:
            candidates.append((f"{recipe.code()}.eq({quote(levels[1])}).to_numpy(dtype=\"int64\")",
                               lambda: (series == levels[1]).to_numpy(dtype=np.int64)))
        candidates.append((f"pd.Categorical({recipe.code()}, categories={quote(levels)}).codes + 1",
                           lambda: pd.Categorical(series, categories=levels).codes + 1))
    for code, compute in candidates:
        try:
            ok = same(compute(), design.y)
        except (TypeError, ValueError):
            ok = False
        if ok:
            return [f"y = {code}"]
    return [f"# the response {expression} as the package read it",
            f"y = {array_literal(design.y, '')}"]


def _columns_response_lines(design: Design, dtype: str) -> list[str]:
    """Code of a response of one column per category (rows x categories)."""
    recipes = [expression_recipe(part) for part in design.spec.cbind]
    if all(r is not None for r in recipes):
        columns = ", ".join(r.factor_code() for r in recipes)
        values = [np.asarray(r.value(design.data), dtype=float) for r in recipes]
        if same(np.column_stack(values), design.y):
            return [f"y = np.column_stack([{columns}]).astype({quote(dtype)})"]
    return [f"# the response cbind({', '.join(design.spec.cbind)}) as the package read it",
            f"y = {array_literal(design.y, '')}"]


def sum_lines(variable: str, expressions: list[str], expected: np.ndarray, frame: pd.DataFrame,
              what: str) -> list[str]:
    """``variable = <sum of the expressions>`` as floats, or a literal where no recipe fits."""
    recipes = [expression_recipe(e) for e in expressions]
    if all(r is not None for r in recipes):
        total = Sum(tuple(recipes))
        if reproduces(total, frame, expected):
            return [f"{variable} = {total.factor_code()}.to_numpy(dtype=float)"]
    return [f"# {what} as the package evaluated it on these rows",
            f"{variable} = {array_literal(expected, '')}"]


def monotonic_positions(part: MonotonicPart, coef: str) -> list[str]:
    """The lines computing each row's position 0..D on a ``mo(x)`` term's scale, as the
    package counted them (an ordered categorical's codes, or whole numbers less their
    smallest), as ``Xmo_<coef>``, and the columns an interaction multiplies it by."""
    column = part.term.variable
    if part.categories is not None:
        lines = [f"# {part.term.text}: each row's position 0..{part.size} among the ordered "
                 "categories",
                 f"Xmo_{coef} = pd.Categorical(data[{quote(column)}], categories="
                 f"{list_literal([native(c) for c in part.categories])}).codes"]
    else:
        lines = [f"# {part.term.text}: each row's position 0..{part.size}, {column} less its "
                 f"smallest value, {part.minimum:g}",
                 f"Xmo_{coef} = data[{quote(column)}].to_numpy(dtype=int) - "
                 f"{int(part.minimum)}"]
    if part.term.covariates:
        lines.append("# the columns it is multiplied by (brms's Csp)")
        lines.append(f"Csp_{coef} = " + " * ".join(
            f"data[{quote(c)}].to_numpy(dtype=float)" for c in part.term.covariates))
    return lines


def category_specific_data(part: CategorySpecificPart, frame: pd.DataFrame) -> list[str]:
    """The lines making ``Xcs``, the columns of the ``cs()`` terms, uncentred as in brms."""
    names = [str(c) for c in r_ordered_frame(part.terms).columns]
    keep = [k for k, name in enumerate(names) if name != "Intercept"]
    return (["", "# category-specific predictors (brms's Xcs): one effect per threshold, "
             "not centred"]
            + matrix_lines("Xcs", matrix_columns(part.terms, part.X, part.names, keep, frame),
                           part.X))


def truncation_data(design: Design) -> list[str]:
    """The lines giving the truncation bounds of ``trunc()``: numbers as they are, columns
    as the data give them."""
    if design.truncation is None:
        return []
    written = design.truncation.text
    bounds = truncation_bounds_text(design.spec.additions["trunc"])
    columns = bound_columns_text(design.spec.additions["trunc"])
    lines = [f"# the bounds of {written}, outside which the response is never observed"]
    for side, name, values in (("lb", "lower", design.truncation.lower),
                               ("ub", "upper", design.truncation.upper)):
        if side not in bounds:
            continue
        if bounds[side] not in columns:
            lines.append(f"trunc_{name} = {number(float(values[0]))}")
        else:
            lines += sum_lines(f"trunc_{name}", [bounds[side]], values, design.data,
                               f"the {name} bounds")
    return lines


_NAMES_PER_COMMENT = 4


def brms_names(names: list[str]) -> str:
    """A comment listing brms's names, shortened after a few."""
    shown = ", ".join(names[:_NAMES_PER_COMMENT])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _NAMES_PER_COMMENT else "")


def label_list(values) -> str:
    """A list literal of labels, as strings."""
    return "[" + ", ".join(quote(str(v)) for v in values) + "]"


def nonlinear_data(design: Design, taken: set[str]) -> tuple[list[str], dict[str, str]]:
    """The columns a non-linear formula reads, and the program's variable of each."""
    if not design.covariates:
        return [], {}
    lines = ["", f"# the columns the non-linear formula {design.spec.text} reads"]
    variables = {}
    for column in design.covariates:
        variables[column] = python_name(f"C_{column}", taken)
        lines.append(f"{variables[column]} = data[{quote(column)}].to_numpy(dtype=float)")
    return lines, variables
