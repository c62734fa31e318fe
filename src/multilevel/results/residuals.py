"""Residuals and predictive errors: the observed response minus its predictions, as brms's
``residuals()`` and ``predictive_error()``."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import MultilevelError, SettingsError, close_matches
from ..spec.checks import check_columns
from ..spec.design import addition_values, response_values
from ..spec.evaluation import formula_variables
from .predict import summarize_rows

# what the predictions subtracted from the response are, as brms's ``method``
METHODS = ("posterior_epred", "posterior_predict", "posterior_linpred")
TYPES = ("ordinary", "pearson")


def observed_response(fit, newdata: pd.DataFrame | None) -> np.ndarray:
    """The response of the fitted rows, or of ``newdata``'s rows evaluated as the model's."""
    design = fit.design
    if newdata is None:
        return np.asarray(design.y, dtype=float)
    frame = newdata.reset_index(drop=True)
    spec = design.spec
    parts = [f"I({part})" for part in spec.cbind] if spec.cbind else [spec.response]
    check_columns({name: "the response" for part in parts
                   for name in formula_variables(part, "the response")}, frame)
    trials = addition_values(spec, frame, "trials") if design.trials is not None else None
    return np.asarray(response_values(spec, frame, design.family, trials), dtype=float)


def predictive_errors(fit, method: str, newdata=None, **prediction) -> np.ndarray:
    """Draws (draws x rows) of the observed response minus the draws of ``method``.

    Parameters
    ----------
    fit
        The fitted model.
    method
        ``"posterior_epred"``, ``"posterior_predict"`` or ``"posterior_linpred"``.
    newdata
        Rows with the response, or None for the fitted rows.
    **prediction
        ``re_formula``, ``allow_new_levels``, ``sample_new_levels``, ``ndraws``, ``seed``
        and ``incl_autocor``, as the prediction methods take them.

    Raises
    ------
    MultilevelError
        For ordinal and categorical models, whose predictions are categories (as in brms).
    SettingsError
        For an unknown method.
    """
    if fit.design.categories:
        raise MultilevelError(
            f"Predictive errors are not defined for ordinal or categorical models (family "
            f"{fit.family.name!r}), as in brms"
            + ("." if fit.family.columns else "; see pp_check(type='bars') instead."))
    if method not in METHODS:
        raise SettingsError(f"method must be one of {', '.join(METHODS)}, got {method!r}."
                            + close_matches(str(method), METHODS))
    if method == "posterior_linpred" and fit.family.components:
        raise MultilevelError(f"A mixture ({fit.family.label}) has one linear predictor per "
                              "component; use method='posterior_epred' or "
                              "'posterior_predict'.")
    predicted = getattr(fit, method)(newdata, **prediction)
    return observed_response(fit, newdata)[None, :] - predicted


def residuals(fit, newdata=None, method: str = "posterior_epred", type: str = "ordinary",
              summary: bool = True, probs=(0.025, 0.975), **prediction):
    """brms's ``residuals()``: each row's predictive errors, summarised or as draws.

    ``type="pearson"`` divides them by the sd of each row's predictive draws, which brms
    has deprecated; it warns as brms does.
    """
    if type not in TYPES:
        raise SettingsError(f"type must be one of {', '.join(TYPES)}, got {type!r}."
                            + close_matches(str(type), TYPES))
    errors = predictive_errors(fit, method, newdata, **prediction)
    if type == "pearson":
        warnings.warn("Type 'pearson' is deprecated and will be removed in the future.",
                      FutureWarning, stacklevel=3)
        spread = fit.posterior_predict(newdata, **prediction).std(axis=0, ddof=1)
        errors = errors / spread[None, :]
    return summarize_rows(errors, probs) if summary else errors
