"""brms's priors that are no distribution of a parameter of its own: the horseshoe, R2D2 and
lasso priors on the population-level effects as a whole, and ``constant()``, which holds a
parameter at a value.

``prior(horseshoe(1), class = b)`` does not give each coefficient a distribution of its own
but a hierarchy shared by all of them (Piironen and Vehtari's regularised horseshoe): brms
writes ``b = zb .* lambda_tilde * hs_global`` with ``zb`` standard normal, local scales
``hs_local ~ student_t+(df, 0, 1)``, the global scale ``hs_global ~ student_t+(df_global, 0,
scale_global * sigma)`` (``sigma`` only where the model has an unpredicted one, brms's
autoscale), the slab ``hs_slab ~ inv_gamma(df_slab / 2, df_slab / 2)`` and
``lambda_tilde = sqrt(c2 lambda^2 / (c2 + hs_global^2 lambda^2))``, ``c2 = scale_slab^2
hs_slab``. brms keeps none of these in its draws but ``b``; nor does this package.

``R2D2(mean_R2, prec_R2, cons_D2)`` (Zhang et al.) puts a prior on the model's R²: brms
writes ``b = zb .* sqrt(R2D2_phi * R2D2_tau2)`` with ``R2D2_R2 ~ beta(mean_R2 * prec_R2,
(1 - mean_R2) * prec_R2)``, ``R2D2_tau2 = sigma^2 R2D2_R2 / (1 - R2D2_R2)`` (``sigma^2``
where it autoscales, as the horseshoe) and the shares ``R2D2_phi ~ dirichlet(cons_D2)``;
it keeps ``R2D2_R2`` and ``R2D2_phi`` in its draws. ``lasso(df, scale)`` gives each
coefficient ``double_exponential(0, scale * lasso_inv_lambda)`` with ``lasso_inv_lambda ~
chi_square(df)``, which brms keeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from ..errors import PriorError
from .distributions import in_lprior
from .special_syntax import HORSESHOE, LASSO, R2D2

CONSTANT = "constant"
# the priors on class b as a whole
SPECIAL_PRIORS = (HORSESHOE, R2D2, LASSO)


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


@dataclass(frozen=True)
class R2D2Prior:
    """The R2D2 prior's settings for one model: brms's ``R2D2_`` data, one concentration
    per coefficient; ``autoscale`` as :class:`Horseshoe`'s."""

    mean_R2: float  # noqa: N815 (brms's names)
    prec_R2: float  # noqa: N815
    cons_D2: tuple[float, ...]  # noqa: N815
    autoscale: bool


@dataclass(frozen=True)
class Lasso:
    """The lasso prior's settings: brms's ``lasso_df`` and ``lasso_scale``."""

    df: float
    scale: float


SpecialPrior = Horseshoe | R2D2Prior | Lasso


def _autoscaled(design) -> bool:
    # brms scales by sigma only where the model has one of its own, neither predicted nor held
    return (any(aux.name == "sigma" for aux in design.family.aux)
            and "sigma" not in design.dpars and "sigma" not in design.fixed_aux)


def special_settings(table, design) -> SpecialPrior | None:
    """The special prior on the mean's population-level effects, or None without one."""
    rows = [row for row in table.rows if row.prior.name in SPECIAL_PRIORS]
    if not rows:
        return None
    prior = rows[0].prior
    if prior.name == LASSO:
        return Lasso(*prior.args)
    if prior.name == R2D2:
        mean, precision, autoscale, *concentration = prior.args
        count = len(design.b_names)
        if len(concentration) not in (1, count):
            raise PriorError(f"Argument 'cons_D2' of the R2D2 prior must be of length 1 or "
                             f"{count}, got {len(concentration)} in {prior}.")
        return R2D2Prior(mean, precision, tuple(np.broadcast_to(concentration, count)),
                         autoscale > 0 and _autoscaled(design))
    df, scale_global, df_global, scale_slab, df_slab, par_ratio, autoscale = prior.args
    if par_ratio > 0:
        scale_global = par_ratio / math.sqrt(len(design.y))
    return Horseshoe(df, scale_global, df_global, scale_slab, df_slab,
                     autoscale > 0 and _autoscaled(design))


def needs_sigma(settings: SpecialPrior | None) -> bool:
    """Whether the prior is scaled by sigma, which the model then creates first."""
    return getattr(settings, "autoscale", False)


def kept_names(settings: SpecialPrior | None) -> tuple[str, ...]:
    """The prior's own parameters brms keeps in its draws."""
    if isinstance(settings, R2D2Prior):
        return ("R2D2_R2", "R2D2_phi")
    return ("lasso_inv_lambda",) if isinstance(settings, Lasso) else ()


def _described(row) -> str:
    return f"Prior {row.prior} (class {row.class_!r}" + (f", coef {row.coef!r}" if row.coef
                                                         else "") + ")"


def check_special_priors(rows, design) -> None:
    """brms's rules for the horseshoe, R2D2 and lasso priors: on class ``b`` as a whole,
    without bounds, without priors of single coefficients (the intercept aside), without
    ``cs()``; this package also takes them only for the mean's effects and without ``s()``
    or ``mo()`` terms."""
    given = [row for row in rows
             if row.prior.name in SPECIAL_PRIORS and row.source != "(vectorized)"]
    if not given:
        return
    row = given[0]
    where = _described(row)
    name = row.prior.name
    if row.class_ != "b" or row.coef or row.group:
        raise PriorError(f"{where}: {name}() applies to the population-level effects as a "
                         f"whole, class 'b' without coef, as in ml.prior('{name}()', "
                         "class_='b').")
    if row.dpar:
        raise PriorError(f"{where}: {name}() is supported here on the mean's "
                         f"population-level effects only, not on those of {row.dpar!r}.")
    if row.lb or row.ub:
        raise PriorError("Setting boundaries on coefficients is not allowed when using the "
                         "special priors.")
    if design.category_specific is not None:
        raise PriorError("Special priors are not yet allowed in models with "
                         "category-specific effects.")
    if design.smooths or design.monotonic:
        raise PriorError(f"{where}: {name}() is not supported here in a model with s() "
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
    global_ = in_lprior(pm.HalfStudentT("hs_global", nu=settings.df_global, sigma=scale))
    slab = in_lprior(pm.InverseGamma("hs_slab", 0.5 * settings.df_slab, 0.5 * settings.df_slab))
    c2 = settings.scale_slab**2 * slab
    lambda2 = pt.square(local)
    shrunk = pt.sqrt(c2 * lambda2 / (c2 + pt.square(global_) * lambda2))
    return pm.Deterministic(name, standard * shrunk * global_, dims=dims)


def r2d2_coefficients(name: str, dims: str, settings: R2D2Prior, sigma=None):
    """The population-level effects ``name`` under the R2D2 prior, as brms's ``R2D2()`` Stan
    function computes them; ``sigma`` squared scales ``R2D2_tau2`` where ``autoscale``."""
    standard = pm.Normal("zb", 0.0, 1.0, dims=dims)
    r2 = in_lprior(pm.Beta("R2D2_R2", settings.mean_R2 * settings.prec_R2,
                           (1 - settings.mean_R2) * settings.prec_R2))
    if len(settings.cons_D2) == 1:
        # a simplex of one element is the number 1, as Stan's simplex[1]
        shares = pm.Deterministic("R2D2_phi", pt.ones(1), dims=dims)
    else:
        shares = pm.Dirichlet("R2D2_phi", a=np.asarray(settings.cons_D2), dims=dims)
    tau2 = (pt.square(sigma) if settings.autoscale else 1.0) * r2 / (1 - r2)
    return pm.Deterministic(name, standard * pt.sqrt(shares * tau2), dims=dims)


def lasso_coefficients(name: str, dims: str, settings: Lasso):
    """The population-level effects ``name`` under the lasso prior: Laplace (Stan's
    double exponential) with the scale ``scale * lasso_inv_lambda``."""
    inverse_lambda = in_lprior(pm.ChiSquared("lasso_inv_lambda", nu=settings.df))
    return pm.Laplace(name, 0.0, settings.scale * inverse_lambda, dims=dims)


def special_coefficients(name: str, dims: str, settings: SpecialPrior, sigma=None):
    """The population-level effects ``name`` under the special prior ``settings``."""
    if isinstance(settings, R2D2Prior):
        return r2d2_coefficients(name, dims, settings, sigma)
    if isinstance(settings, Lasso):
        return lasso_coefficients(name, dims, settings)
    return horseshoe_coefficients(name, dims, settings, sigma)
