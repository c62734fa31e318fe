"""brms's priors that are no distribution of a parameter of its own: the horseshoe on the
population-level effects as a whole, and ``constant()``, which holds a parameter at a value.

``prior(horseshoe(1), class = b)`` does not give each coefficient a distribution of its own
but a hierarchy shared by all of them (Piironen and Vehtari's regularised horseshoe): brms
writes ``b = zb .* lambda_tilde * hs_global`` with ``zb`` standard normal, local scales
``hs_local ~ student_t+(df, 0, 1)``, the global scale ``hs_global ~ student_t+(df_global, 0,
scale_global * sigma)`` (``sigma`` only where the model has an unpredicted one, brms's
autoscale), the slab ``hs_slab ~ inv_gamma(df_slab / 2, df_slab / 2)`` and
``lambda_tilde = sqrt(c2 lambda^2 / (c2 + hs_global^2 lambda^2))``, ``c2 = scale_slab^2
hs_slab``. brms keeps none of these in its draws but ``b``; nor does this package.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pymc as pm
import pytensor.tensor as pt

from ..errors import PriorError

HORSESHOE = "horseshoe"
CONSTANT = "constant"


@dataclass(frozen=True)
class Horseshoe:
    """The horseshoe's settings for one model: brms's ``hs_`` data.

    ``scale_global`` is already ``par_ratio / sqrt(N)`` where ``par_ratio`` was given, and
    ``autoscale`` is true only where the global scale is multiplied by ``sigma``.
    """

    df: float
    scale_global: float
    df_global: float
    scale_slab: float
    df_slab: float
    autoscale: bool


def horseshoe_settings(table, design) -> Horseshoe | None:
    """The horseshoe on the mean's population-level effects, or None without one."""
    rows = [row for row in table.rows if row.prior.name == HORSESHOE]
    if not rows:
        return None
    df, scale_global, df_global, scale_slab, df_slab, par_ratio, autoscale = rows[0].prior.args
    if par_ratio > 0:
        scale_global = par_ratio / math.sqrt(len(design.y))
    scaled = (autoscale > 0 and any(aux.name == "sigma" for aux in design.family.aux)
              and "sigma" not in design.dpars and "sigma" not in design.fixed_aux)
    return Horseshoe(df, scale_global, df_global, scale_slab, df_slab, scaled)


def _described(row) -> str:
    return f"Prior {row.prior} (class {row.class_!r}" + (f", coef {row.coef!r}" if row.coef
                                                         else "") + ")"


def check_special_priors(rows, design) -> None:
    """brms's rules for a horseshoe prior: on class ``b`` as a whole, without bounds, without
    priors of single coefficients (the intercept aside), without ``cs()``; this package
    also takes it only for the mean's effects and without ``s()`` or ``mo()`` terms."""
    given = [row for row in rows
             if row.prior.name == HORSESHOE and row.source != "(vectorized)"]
    if not given:
        return
    row = given[0]
    where = _described(row)
    if row.class_ != "b" or row.coef or row.group:
        raise PriorError(f"{where}: horseshoe() applies to the population-level effects as a "
                         "whole, class 'b' without coef, as in ml.prior('horseshoe(1)', "
                         "class_='b').")
    if row.dpar:
        raise PriorError(f"{where}: horseshoe() is supported here on the mean's "
                         f"population-level effects only, not on those of {row.dpar!r}.")
    if row.lb or row.ub:
        raise PriorError("Setting boundaries on coefficients is not allowed when using the "
                         "special priors.")
    if design.category_specific is not None:
        raise PriorError("Special priors are not yet allowed in models with "
                         "category-specific effects.")
    if design.smooths or design.monotonic:
        raise PriorError(f"{where}: horseshoe() is not supported here in a model with s() "
                         "or mo() terms.")
    singles = [other for other in rows if other.class_ == "b" and other.coef
               and other.coef != "Intercept" and not other.dpar and other.source == "user"]
    if singles:
        raise PriorError("Defining separate priors for single coefficients is not allowed when "
                         "using special priors for the whole set of coefficients (except for "
                         f"the Intercept); got one on {singles[0].coef!r}.")


def check_constant_priors(rows, design) -> None:
    """A ``constant()`` prior holds its parameter, as brms: the value must lie within the
    parameter's bounds; this package does not hold an ordinal model's thresholds."""
    for row in rows:
        if row.prior.name != CONSTANT or row.source == "(vectorized)":
            continue
        value = row.prior.args[0]
        where = _described(row)
        if (row.lb and value < float(row.lb)) or (row.ub and value > float(row.ub)):
            raise PriorError(f"{where}: the value lies outside the parameter's bounds "
                             f"[{row.lb or '-Inf'}, {row.ub or 'Inf'}].")
        if row.class_ == "Intercept" and design.thresholds:
            raise PriorError(f"{where}: holding an ordinal model's thresholds is not "
                             "supported here.")


def horseshoe_coefficients(name: str, dims: str, settings: Horseshoe, sigma=None):
    """The population-level effects ``name`` under the horseshoe, as brms's ``horseshoe()``
    Stan function computes them; ``sigma`` scales the global prior where ``autoscale``."""
    scale = settings.scale_global * (sigma if settings.autoscale else 1.0)
    standard = pm.Normal("zb", 0.0, 1.0, dims=dims)
    local = pm.HalfStudentT("hs_local", nu=settings.df, sigma=1.0, dims=dims)
    global_ = pm.HalfStudentT("hs_global", nu=settings.df_global, sigma=scale)
    slab = pm.InverseGamma("hs_slab", 0.5 * settings.df_slab, 0.5 * settings.df_slab)
    c2 = settings.scale_slab**2 * slab
    lambda2 = pt.square(local)
    shrunk = pt.sqrt(c2 * lambda2 / (c2 + pt.square(global_) * lambda2))
    return pm.Deterministic(name, standard * shrunk * global_, dims=dims)
