"""The exported program's lines for brms's special priors on the population-level effects:
the horseshoe, R2D2 and lasso hierarchies of :mod:`multilevel.priors.special`."""

from __future__ import annotations

from ..priors.special import Horseshoe, Lasso, R2D2Prior, SpecialPrior
from .model_code_data import python_name, quote


def special_prior_code(settings: SpecialPrior, variable: str, name: str, dim: str,
                       taken: set[str], sigma: str = "") -> list[str]:
    """Lines that make the coefficients ``variable`` (brms's ``name``, over ``dim``) under
    the special prior; ``sigma`` names the variable that scales it where it autoscales.

    Parameters
    ----------
    settings
        The prior's settings for the model.
    variable, name, dim
        The coefficients' Python name, PyMC name and dimension.
    taken
        Python names in use, which the new ones avoid (and join).
    sigma
        The Python name of sigma, written before these lines.

    Returns
    -------
    list of str
    """
    if isinstance(settings, R2D2Prior):
        return _r2d2(settings, variable, name, dim, taken, sigma)
    if isinstance(settings, Lasso):
        return _lasso(settings, variable, name, dim, taken)
    return _horseshoe(settings, variable, name, dim, taken, sigma)


def _horseshoe(settings: Horseshoe, variable: str, name: str, dim: str, taken: set[str],
               sigma: str) -> list[str]:
    names = {part: python_name(part, taken)
             for part in ("zb", "hs_local", "hs_global", "hs_slab", "hs_c2", "hs_lambda_tilde")}
    scale = repr(settings.scale_global) + (f" * {sigma}" if settings.autoscale else "")
    half_slab = repr(0.5 * settings.df_slab)
    local, global_, c2 = names["hs_local"], names["hs_global"], names["hs_c2"]
    return [
        "# brms's horseshoe prior: b = zb * lambda_tilde * hs_global, zb standard normal, "
        "hs_local,", "# hs_global and hs_slab kept out of brms's draws",
        f"{names['zb']} = pm.Normal(\"zb\", 0.0, 1.0, dims={quote(dim)})",
        f"{local} = pm.HalfStudentT(\"hs_local\", nu={settings.df!r}, sigma=1.0, "
        f"dims={quote(dim)})",
        f"{global_} = pm.HalfStudentT(\"hs_global\", nu={settings.df_global!r}, "
        f"sigma={scale})",
        f"{names['hs_slab']} = pm.InverseGamma(\"hs_slab\", {half_slab}, {half_slab})",
        f"{c2} = {settings.scale_slab ** 2!r} * {names['hs_slab']}",
        f"{names['hs_lambda_tilde']} = pt.sqrt({c2} * {local} ** 2 / ({c2} + {global_} ** 2 "
        f"* {local} ** 2))",
        f"{variable} = pm.Deterministic({quote(name)}, {names['zb']} * "
        f"{names['hs_lambda_tilde']} * {global_}, dims={quote(dim)})"]


def _r2d2(settings: R2D2Prior, variable: str, name: str, dim: str, taken: set[str],
          sigma: str) -> list[str]:
    names = {part: python_name(part, taken) for part in ("zb", "R2D2_R2", "R2D2_phi",
                                                          "R2D2_tau2")}
    shares = (f"pm.Deterministic(\"R2D2_phi\", pt.ones(1), dims={quote(dim)})"
              if len(settings.cons_D2) == 1 else
              f"pm.Dirichlet(\"R2D2_phi\", a=np.array({list(settings.cons_D2)!r}), "
              f"dims={quote(dim)})")
    scale = f"{sigma} ** 2 * " if settings.autoscale else ""
    return [
        "# brms's R2D2 prior: b = zb * sqrt(R2D2_phi * R2D2_tau2), zb standard normal, the "
        "prior's R2", "# and the shares R2D2_phi kept in brms's draws",
        f"{names['zb']} = pm.Normal(\"zb\", 0.0, 1.0, dims={quote(dim)})",
        f"{names['R2D2_R2']} = pm.Beta(\"R2D2_R2\", {settings.mean_R2 * settings.prec_R2!r}, "
        f"{(1 - settings.mean_R2) * settings.prec_R2!r})",
        f"{names['R2D2_phi']} = {shares}",
        f"{names['R2D2_tau2']} = {scale}{names['R2D2_R2']} / (1 - {names['R2D2_R2']})",
        f"{variable} = pm.Deterministic({quote(name)}, {names['zb']} * pt.sqrt("
        f"{names['R2D2_phi']} * {names['R2D2_tau2']}), dims={quote(dim)})"]


def _lasso(settings: Lasso, variable: str, name: str, dim: str, taken: set[str]) -> list[str]:
    inverse = python_name("lasso_inv_lambda", taken)
    return [
        "# brms's lasso prior: each coefficient double exponential (Laplace) with the scale "
        "scale * lasso_inv_lambda",
        f"{inverse} = pm.ChiSquared(\"lasso_inv_lambda\", nu={settings.df!r})",
        f"{variable} = pm.Laplace({quote(name)}, 0.0, {settings.scale!r} * {inverse}, "
        f"dims={quote(dim)})"]
