"""brms's ``hypothesis()``: posterior tests of linear and non-linear parameter combinations."""

from __future__ import annotations

import ast
import re
import warnings

import numpy as np
import pandas as pd
from scipy.stats import gaussian_kde

from ..errors import MultilevelError
from ..families.family import estimate_and_error
from .display import BrmsTable
from .posterior import group_level_draws

_COMPARISONS = ("<=", ">=", "<", ">", "=")
_FUNCTIONS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs,
              "inv_logit": lambda x: 1 / (1 + np.exp(-x)), "logit": lambda p: np.log(p / (1 - p))}
_OPERATORS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
              ast.Div: np.divide, ast.Pow: np.power}


def _split(hypothesis: str) -> tuple[str, str, str]:
    """Split ``"a + b > 5"`` into left side, comparison and right side."""
    for sign in _COMPARISONS:
        # '=' alone must not match inside '<=' or '>='
        pattern = r"(?<![<>=])=(?!=)" if sign == "=" else re.escape(sign)
        parts = re.split(pattern, hypothesis)
        if len(parts) == 2:
            left, right = (part.strip() for part in parts)
            if left and right:
                return left, sign, right
    raise MultilevelError(
        f"Cannot read hypothesis {hypothesis!r}: it needs exactly one of <, >, <=, >= or = "
        "between two expressions, e.g. 'Days > 5' or 'Intercept + Days = 300'."
    )


def _evaluate(node: ast.AST, values: dict[str, np.ndarray], text: str) -> np.ndarray | float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, values, text)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.left, values, text),
                                         _evaluate(node.right, values, text))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _evaluate(node.operand, values, text)
        return -operand if isinstance(node.op, ast.USub) else operand
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS and len(node.args) == 1):
        return _FUNCTIONS[node.func.id](_evaluate(node.args[0], values, text))
    raise MultilevelError(
        f"Cannot evaluate {ast.unparse(node)!r} in hypothesis {text!r}: use parameter names, "
        "numbers, + - * / ^ and " + ", ".join(_FUNCTIONS) + "."
    )


def _substitute(expression: str, names: list[str]) -> tuple[str, dict[str, str]]:
    """Replace parameter names (which may hold ':' or '.') by plain identifiers, and R's
    power ``^`` by Python's."""
    placeholders = {}
    # longest first so that 'ses:himinty' is replaced before 'ses'
    for k, name in enumerate(sorted(names, key=len, reverse=True)):
        token = f"__p{k}__"
        pattern = r"(?<![\w.:])" + re.escape(name) + r"(?![\w.:])"
        expression, count = re.subn(pattern, token, expression)
        if count:
            placeholders[token] = name
    return expression.replace("^", "**"), placeholders


def _parameter_draws(fit, class_: str | None) -> dict[str, np.ndarray]:
    frame = fit.as_draws_df()
    if class_ is None:
        return {name: frame[name].to_numpy() for name in frame.columns}
    prefix = f"{class_}_"
    return {name[len(prefix):]: frame[name].to_numpy() for name in frame.columns
            if name.startswith(prefix)}


# brms's prior draws of an intercept are of the intercept of centred predictors, not of
# b_Intercept; like brms, hypothesis() then gives no evidence ratio
_OVERALL_INTERCEPT = re.compile(r"^b_.*Intercept($|\[)")


def _prior_column(full_name: str, priors: pd.DataFrame, warn: bool = True) -> str | None:
    """The column of prior draws for a parameter: its own, else its class's shared one; None
    for an overall intercept (:data:`_OVERALL_INTERCEPT`), with brms's warning if ``warn``."""
    if _OVERALL_INTERCEPT.match(full_name):
        if warn:
            warnings.warn("Sampling from the prior of an overall intercept is not possible by "
                          "default. See the documentation of the 'sample_prior' argument in "
                          "help('brm').", UserWarning, stacklevel=6)
        return None
    candidates = [f"prior_{full_name}"]
    # a predicted parameter's classes have columns of their own: prior_b_sigma,
    # prior_sd_g__sigma
    for column in priors:
        part = column.removeprefix("prior_")
        if ((part.startswith("b_") or (part.startswith("sd_") and "__" in part))
                and full_name.startswith(f"{part}_")):
            candidates.append(column)
    candidates.append("prior_" + full_name.split("__")[0])
    # population-level, monotonic and category-specific effects share their class's column
    for class_ in ("b", "bsp", "bcs"):
        if full_name.startswith(f"{class_}_"):
            candidates.append(f"prior_{class_}")
    return next((c for c in candidates if c in priors), None)


def _prior_hypothesis_draws(fit, expression: str, class_: str | None, names: list[str],
                            warn: bool) -> np.ndarray | None:
    """The hypothesis evaluated on ``sample_prior="yes"`` draws, as brms's
    ``prior_samples``; None without prior draws of every parameter it names."""
    priors = None if fit is None else fit.prior_draws
    if priors is None or priors.empty:
        return None
    values = {}
    for name in names:
        column = _prior_column(f"{class_}_{name}" if class_ else name, priors, warn)
        if column is None:
            return None
        values[name] = priors[column].to_numpy()
    substituted, placeholders = _substitute(expression, names)
    draws = _evaluate(ast.parse(substituted, mode="eval"),
                      {t: values[n] for t, n in placeholders.items()}, expression)
    return np.broadcast_to(np.asarray(draws, dtype=float), (len(priors),))


class HypothesisTable(BrmsTable):
    """The table of :func:`hypothesis`, which also holds brms's draws of each hypothesis:
    ``samples`` (columns ``H1``, ``H2``, ... in the table's row order, the left side less
    the right side on each posterior draw) and ``prior_samples`` (the same on the prior
    draws of ``sample_prior="yes"``, NaN where there are none), and draws them with
    :meth:`plot`."""

    _metadata = ["samples", "prior_samples"]
    samples: pd.DataFrame | None = None
    prior_samples: pd.DataFrame | None = None

    @property
    def _constructor(self):
        return HypothesisTable

    def plot(self, ignore_prior: bool = False, chars: int = 40, colors=None):
        """The posterior density of each hypothesis, over its prior's where there are prior
        draws, as brms's ``plot()`` of a hypothesis.

        Parameters
        ----------
        ignore_prior
            Leave the prior densities out.
        chars
            Hypothesis labels longer than this are shortened, as brms shortens them.
        colors
            Two colours, of the posterior and the prior; bayesplot's blue scheme by default.

        Returns
        -------
        matplotlib.figure.Figure
            One panel per hypothesis, in rows.
        """
        from ..plots.hypothesis import plot_hypotheses

        return plot_hypotheses(self["Hypothesis"].tolist(), self.samples,
                               None if ignore_prior else self.prior_samples, chars, colors)


SCOPES = ("standard", "ranef", "coef")


def hypothesis(fit, hypotheses: str | list[str], class_: str | None = "b", group: str = "",
               scope: str = "standard", alpha: float = 0.05,
               robust: bool = False) -> pd.DataFrame:
    """Test hypotheses about parameters, as brms's ``hypothesis()``.

    Parameters
    ----------
    fit
        A fitted model.
    hypotheses
        One or more strings such as ``"Days > 5"``, ``"Intercept + Days * 5 = 300"`` or
        ``"sexMale - 2 < 0"``. Names are population-level coefficients (brms's ``class="b"``)
        unless ``class_`` is None, when full names such as ``sd_Subject__Days`` are used.
    class_
        Prefix of the parameter names; None for full names.
    group
        With ``scope="standard"``, a grouping factor whose parameters of ``class_`` are
        meant (``class_="sd", group="Subject"`` reads ``Days`` as ``sd_Subject__Days``);
        with ``"ranef"`` or ``"coef"``, the grouping factor whose levels are each tested.
    scope
        ``"standard"`` tests the parameters; ``"ranef"`` each level's group-level effects and
        ``"coef"`` each level's coefficients (``fit.coef()``), the names being the
        coefficients (``"Days > 8"``): one row per hypothesis and level, under ``Group``.
    alpha
        Credible intervals are two-sided ``1 - alpha`` intervals for ``=`` and one-sided
        ``1 - 2 alpha`` intervals (quantiles alpha and 1 - alpha) for inequalities, as brms.
    robust
        Estimate and Est.Error as the median and median absolute deviation (R's ``mad()``)
        instead of the mean and sd.

    Returns
    -------
    HypothesisTable
        A data frame of columns ``Hypothesis, Estimate, Est.Error, CI.Lower, CI.Upper,
        Evid.Ratio, Post.Prob, Star`` (after ``Group`` for the levels' scopes). For an
        inequality, Evid.Ratio is the posterior odds of the hypothesis and Post.Prob its
        posterior probability; for ``=`` both need prior draws (``brm(...,
        sample_prior="yes")``, in the standard scope) and are NaN otherwise. Prints as brms
        does, under ``Hypothesis Tests for class b:`` and with its footnote. Its ``samples``
        and ``prior_samples`` hold each hypothesis's draws, as brms's, and its ``plot()``
        draws their densities.
    """
    if isinstance(hypotheses, str):
        hypotheses = [hypotheses]
    if scope not in SCOPES:
        raise MultilevelError(f"scope must be one of {', '.join(map(repr, SCOPES))}, got "
                              f"{scope!r}.")
    if scope == "standard":
        prefix = (f"{class_ or ''}_{group}_" if group else class_)
        values = _parameter_draws(fit, prefix)
        tested = [_tested(text, values, prefix, alpha, robust, fit) for text in hypotheses]
        # brms's class without its trailing underscores: "sd_Subject"
        heading = f"Hypothesis Tests for class {class_ or ''}{f'_{group}' if group else ''}:"
    else:
        groups = list(fit.design.groups)
        if group not in groups:
            raise MultilevelError(f"group should be one of {', '.join(map(repr, groups))} "
                                  f"for scope={scope!r}, got {group!r}.")
        coefs, draws = group_level_draws(fit, group, with_population=scope == "coef")
        levels = fit.design.group_levels(group)
        # hypothesis by hypothesis, each level in turn, as brms orders them
        tested = []
        for text in hypotheses:
            for k, level in enumerate(levels):
                row, *hypothesis_draws = _tested(
                    text, {c: draws[:, k, j] for j, c in enumerate(coefs)}, "", alpha, robust,
                    None)
                tested.append(({"Group": level, **row}, *hypothesis_draws))
        heading = "Hypothesis Tests for class :"
    # numbered from 1, as brms's rows
    rows = [row for row, _, _ in tested]
    table = HypothesisTable.of(pd.DataFrame(rows, index=range(1, len(rows) + 1)),
                               heading=heading, footer=_footnote(alpha), digits=2)
    labels = [f"H{number}" for number in range(1, len(rows) + 1)]
    table.samples = pd.DataFrame(dict(zip(labels, [d for _, d, _ in tested], strict=True)))
    table.prior_samples = pd.DataFrame(dict(zip(labels, [
        np.full(len(table.samples), np.nan) if prior is None else prior
        for _, _, prior in tested], strict=True))) if any(
            prior is not None for _, _, prior in tested) else None
    return table


def _tested(text: str, values: dict[str, np.ndarray], class_: str | None, alpha: float,
            robust: bool, fit) -> tuple[dict, np.ndarray, np.ndarray | None]:
    """One row of the table, the hypothesis ``text`` on the draws in ``values``, with its
    draws and prior draws; ``fit`` gives the prior draws (None: there are none)."""
    left, sign, right = _split(text)
    # brms's label: the sides without whitespace, a right side of 0 left out
    left, right = re.sub(r"\s", "", left), re.sub(r"\s", "", right)
    expression = f"({left})" if right == "0" else f"({left})-({right})"
    substituted, placeholders = _substitute(expression, list(values))
    try:
        tree = ast.parse(substituted, mode="eval")
    except SyntaxError:
        tree = None
    unknown = sorted(set(re.findall(r"[A-Za-z_][\w.:]*", substituted))
                     - set(placeholders) - set(_FUNCTIONS))
    if tree is None or unknown:
        what = f"unknown name(s) {', '.join(unknown)}" if unknown else "malformed"
        raise MultilevelError(
            f"Cannot read hypothesis {text!r}: {what}. Valid names"
            + (f" (class {class_!r})" if class_ else "") + ": "
            + ", ".join(sorted(values)) + "."
        )
    draws = np.asarray(_evaluate(tree, {t: values[n] for t, n in placeholders.items()}, text),
                       dtype=float)
    draws = np.broadcast_to(draws, (len(next(iter(values.values()))),))
    prior_draws = _prior_hypothesis_draws(fit, expression, class_,
                                          list(placeholders.values()), warn=sign == "=")
    if sign == "=":
        lower, upper = np.quantile(draws, [alpha / 2, 1 - alpha / 2])
        prior_density = (None if prior_draws is None
                         else float(gaussian_kde(prior_draws)(0.0)[0]))
        if prior_density:
            evidence = float(gaussian_kde(draws)(0.0)[0]) / prior_density
            probability = evidence / (1 + evidence)
        else:
            evidence = probability = float("nan")
    else:
        lower, upper = np.quantile(draws, [alpha, 1 - alpha])
        probability = float(np.mean(draws < 0 if sign in ("<", "<=") else draws > 0))
        evidence = probability / (1 - probability) if probability < 1 else float("inf")
    estimate, error = (float(value) for value in estimate_and_error(draws, robust))
    return {
        "Hypothesis": f"{expression} {'=' if sign == '=' else sign} 0",
        "Estimate": estimate,
        "Est.Error": error,
        "CI.Lower": float(lower),
        "CI.Upper": float(upper),
        "Evid.Ratio": evidence,
        "Post.Prob": probability,
        # brms's star: the interval excludes 0 for "=", the hypothesis is likely otherwise
        "Star": "*" if ((lower > 0 or upper < 0) if sign == "=" else probability > 1 - alpha)
        else "",
    }, draws, prior_draws


def _footnote(alpha: float) -> str:
    """brms's explanation of the intervals and stars below the table."""
    one_sided, two_sided = (format(100 * (1 - k * alpha), ".15g") for k in (2, 1))
    return (f"---\n'CI': {one_sided}%-CI for one-sided and {two_sided}%-CI for two-sided "
            "hypotheses.\n"
            f"'*': For one-sided hypotheses, the posterior probability exceeds {two_sided}%;\n"
            f"for two-sided hypotheses, the value tested against lies outside the "
            f"{two_sided}%-CI.\n"
            "Posterior probabilities of point hypotheses assume equal prior probabilities.")
