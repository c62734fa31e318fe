"""Build the PyMC model that brms would generate for a design and prior table.

Population predictors are centred when the model has an intercept, and the intercept is
sampled on the centred scale (``Intercept``) with ``b_Intercept`` recovered afterwards. Each
group block has brms's prior, ``r = (diag(sd) @ L @ z).T`` with ``z ~ Normal(0, 1)`` and ``L`` the
Cholesky factor of an LKJ-distributed correlation matrix, gathered into the linear predictor by
integer indexing; for Gaussian responses the sampler's coordinates are a data-informed
mixture of that form and the centred one (see :mod:`multilevel.model.block_effects`), with
the same posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt

from ..families.censored import censored_log_likelihood, truncation_log_mass
from ..families.family import add_known_errors
from ..families.links import LINKS
from ..names import population_names
from ..priors.distributions import data, ordered_prior_variable, prior_variable
from ..priors.special import (
    SpecialPrior,
    kept_names,
    needs_sigma,
    special_coefficients,
    special_settings,
)
from ..priors.table import PriorTable
from ..spec.design import Design
from .autocor import (
    AUTOCOR_DIMS,
    arma_mean,
    autocor_parameters,
    cosy_log_density,
    unstr_log_density,
)
from .block_effects import block_location, by_level_effects, sampled_effects
from .category_specific import category_specific_thresholds
from .collapsed import collapsed_log_likelihood, store_scales
from .collapsed_statistics import marginal_statistics
from .crossproducts import CrossProducts, gaussian_cross_products
from .fused_likelihood import fused_log_likelihood, fused_predictor, row_density
from .group_gather import group_term
from .lkj import correlations, lkj_cholesky, with_lkj_lprior
from .mixture import mixing_proportions, ordered_intercepts, scale_starts
from .monotonic import monotonic_effects, simplex_dim
from .parametrization import BlockGeometry, block_geometries, build_order
from .smooths import smooth_dim, smooth_effects


@dataclass(frozen=True)
class ModelNames:
    """Names of the user-facing variables in the PyMC model, in brms's order."""

    population: tuple[str, ...]
    groups: tuple[str, ...]
    correlated_groups: tuple[str, ...]
    aux: tuple[str, ...]
    dpars: tuple[str, ...] = ()
    unjittered: tuple[str, ...] = ()
    autocor: tuple[str, ...] = ()
    # the smooths' sds_ and s_ (sDays_1, one per level of a factor by)
    smooths: tuple[str, ...] = ()
    # mo() terms: (brms's coef, its simplex's name), moincome and moincome1
    monotonic: tuple[tuple[str, str], ...] = ()
    # cs() columns: treat, of the variable bcs_treat over the thresholds
    category_specific: tuple[str, ...] = ()
    # free variables whose chains start elsewhere than their prior's support point, and
    # where (a mixture's component scales)
    starts: tuple[tuple[str, float], ...] = ()
    # the smooths' unpenalised columns, bs_ (sDays_1, sx:fa_1, sx:z_2)
    smooth_fixed: tuple[str, ...] = ()
    # a special prior's own parameters brms keeps: R2D2_R2 and R2D2_phi, lasso_inv_lambda
    shrinkage: tuple[str, ...] = ()

    @property
    def stored(self) -> list[str]:
        """Variables kept in the posterior (free internals such as ``z`` are dropped)."""
        names = list(self.population) + [f"bcs_{coef}" for coef in self.category_specific]
        names += list(self.autocor)
        names += [f"bs_{name}" for name in self.smooth_fixed]
        for label in self.smooths:
            names += [f"sds_{label}", f"s_{label}"]
        for coef, simplex in self.monotonic:
            names += [f"bsp_{coef}", f"simo_{simplex}"]
        for group in self.groups:
            names.append(f"sd_{group}")
            if group in self.correlated_groups:
                names.append(f"cor_{group}")
            names.append(f"r_{group}")
        return names + list(self.aux) + list(self.shrinkage)


# Names a grouping factor's level dimension must not take: an xarray dimension named like a
# variable of the posterior (a factor called "b" beside the coefficients "b") replaces it.
# the dimension of an ordinal model's thresholds
THRESHOLD_DIM = "threshold"
_TAKEN_NAMES = {THRESHOLD_DIM, "b", "b_coef", "b_Intercept", "Intercept", "chain", "draw", "obs",
                "sigma", "nu", "shape", "phi", "zi", "hu", "ar", "ma", "cosy",
                *AUTOCOR_DIMS.values()}


def untraced_graphs():
    """A context in which PyTensor keeps no Python stack trace on the graph nodes it makes.

    PyTensor stores where each node was created, for its own error messages; multilevel words
    its errors itself, and building, rewriting and compiling a model creates thousands of
    nodes: a third of a second per fit.
    """
    return pytensor.config.change_flags(traceback__limit=0)


def _between_levels(block, number: int, effects):
    """``gr(g, cov = A)``'s effects, correlated between levels as brms's ``Lcov z``: the
    lower Cholesky factor of A times the effects of independent levels."""
    if block.cov_cholesky is None:
        return effects
    return pt.dot(data(f"cov_cholesky_{block.group}_{number}", block.cov_cholesky), effects)


def group_dims(group: str) -> tuple[str, str, str]:
    """Dimension names of a grouping factor's levels, coefficients and correlation pairs."""
    taken = group in _TAKEN_NAMES or group.startswith(("sd_", "cor_", "r_", "z_", "u_", "L_"))
    return (f"{group}_level" if taken else group), f"{group}_coef", f"{group}_cor"


def _class_variable(name: str, table: PriorTable, class_: str, coefs: list[str], group: str,
                    dims: str, dpars: list[str] | None = None,
                    own_coefs: list[str] | None = None, fixed_length: bool = False):
    """One vector variable for a class, or one per coefficient where their priors differ,
    each within its bounds in the table.

    ``own_coefs`` and ``dpars`` give each coefficient's name and parameter in the prior table
    where they differ from ``coefs`` and the mean. ``fixed_length`` gives the vector its
    length as a constant (JAX needs one to count positions along it), not its coordinates'.
    """
    dpars = dpars or [""] * len(coefs)
    own_coefs = own_coefs or coefs
    keys = [(class_, coef, group, dpar) for coef, dpar in zip(own_coefs, dpars, strict=True)]
    priors = [(table.lookup(*key), table.bounds(*key)) for key in keys]
    if all(p == priors[0] for p in priors):
        length = {"shape": len(coefs)} if fixed_length else {}
        dist, bounds = priors[0]
        return prior_variable(name, dist, *bounds, dims=dims, **length)
    parts = [
        prior_variable(f"{name}[{coef}]", dist, *bounds)
        for coef, (dist, bounds) in zip(coefs, priors, strict=True)
    ]
    return pm.Deterministic(name, pt.stack(parts), dims=dims)


def _population_effects(X: np.ndarray, b_names: list[str], has_intercept: bool,
                        table: PriorTable, dpar: str, stored: list[str], thresholds: int = 0,
                        ordered: bool = True, intercept_value=None,
                        special: SpecialPrior | None = None, sigma=None):
    """One parameter's population part of the linear predictor, on centred predictors.

    Returns the linear predictor's population part, the coefficients (intercept first; None
    without any) and an ordinal model's thresholds on the centred scale (else None), which
    the linear predictor is subtracted from instead of adding an intercept (increasing if
    ``ordered``); ``stored`` gets the names to keep. ``intercept_value`` is the centred
    intercept where it is made elsewhere (a mixture's, ordered over its components).
    ``special`` puts brms's horseshoe, R2D2 or lasso prior on the coefficients, scaled by
    ``sigma`` where it autoscales.
    """
    centred_name, b_name, intercept_name, dim = population_names(dpar)
    suffix = f"_{dpar}" if dpar else ""
    eta = pt.constant(0.0)
    column_means = X.mean(axis=0) if X.shape[1] else np.zeros(0)
    intercept = b = None
    if has_intercept:
        means = data(f"X_means{suffix}", column_means)
    if has_intercept and thresholds and ordered:
        intercept = ordered_prior_variable(
            centred_name, [table.lookup("Intercept", str(k), "", dpar)
                           for k in range(1, thresholds + 1)], dims=THRESHOLD_DIM)
    elif has_intercept and thresholds:
        intercept = _class_variable(centred_name, table, "Intercept",
                                    [str(k) for k in range(1, thresholds + 1)], "",
                                    THRESHOLD_DIM, dpars=[dpar] * thresholds,
                                    fixed_length=True)
    elif has_intercept and intercept_value is not None:
        intercept = pm.Deterministic(centred_name, intercept_value)
        eta = eta + intercept
    elif has_intercept:
        intercept = prior_variable(centred_name, table.lookup("Intercept", "", "", dpar),
                                   *table.bounds("Intercept", "", "", dpar))
        eta = eta + intercept
    if b_names:
        b = (special_coefficients(b_name, dim, special, sigma) if special is not None
             else _class_variable(b_name, table, "b", b_names, "", dim,
                                  dpars=[dpar] * len(b_names)))
        eta = eta + pt.dot(data(f"X_centred{suffix}", X - column_means if has_intercept else X),
                           b)
    if has_intercept:
        # thresholds are compared with the linear predictor, so the centring adds to them
        shift = pt.dot(means, b) if b_names else 0.0
        pm.Deterministic(intercept_name, intercept + shift if thresholds else intercept - shift,
                         dims=THRESHOLD_DIM if thresholds else None)
        stored.append(intercept_name)
    if b_names:
        stored.append(b_name)
    if has_intercept:
        stored.append(centred_name)
    if thresholds:
        return eta, b, intercept
    parts = ([intercept[None]] if has_intercept else []) + ([b] if b_names else [])
    return eta, (pt.concatenate(parts) if parts else None), None


def _sd_starts(design: Design) -> dict[int, int]:
    """Each block's first position among its grouping factor's sds."""
    starts, used = {}, {}
    for number, block in enumerate(design.blocks):
        starts[number] = used.get(block.group, 0)
        used[block.group] = starts[number] + len(block.sd_names)
    return starts


def sd_dim(design: Design, group: str) -> str:
    """The dimension of a grouping factor's sds: its coefficients', or one of its own where
    ``gr(g, by = arm)`` gives each by level its sds."""
    if design.group_sd_names(group) == design.group_coefs(group):
        return group_dims(group)[1]
    return f"{group}_sd_coef"


def _cross_product_likelihood(products: CrossProducts, population, effects: list, sigma):
    """The Gaussian log-likelihood of all rows from the data's cross-products.

    ``population`` holds the population coefficients in the order of
    :func:`multilevel.crossproducts.population_design` (None without any), ``effects`` each
    group block's effects, shape (levels, size).
    """
    linear = pt.constant(0.0)
    quadratic = pt.constant(0.0)
    difference = None
    if population is not None:
        difference = population - data("crossproducts_reference", products.reference)
        linear = linear + pt.dot(difference,
                                 data("crossproducts_population_residual",
                                      products.population_residual))
        quadratic = quadratic + pt.dot(
            difference, pt.dot(data("crossproducts_population", products.population),
                               difference))
    for number, (block, effect) in enumerate(zip(products.blocks, effects, strict=True)):
        linear = linear + pt.sum(data(f"crossproducts_residual_{number}", block.residual)
                                 * effect)
        own = data(f"crossproducts_own_{number}", block.own)
        quadratic = quadratic + pt.sum(effect * pt.sum(own * effect[:, None, :], axis=2))
        if difference is not None:
            with_population = data(f"crossproducts_population_{number}", block.population)
            quadratic = quadratic + 2 * pt.dot(difference,
                                               pt.dot(with_population, effect.reshape((-1,))))
    for pair in products.pairs:
        values = data(f"crossproducts_pair_{pair.first}_{pair.second}", pair.values)
        first, second = effects[pair.first], effects[pair.second]
        if pair.same_levels:
            term = pt.sum(first * pt.sum(values * second[:, None, :], axis=2))
        else:
            term = pt.dot(first.reshape((-1,)), pt.dot(values, second.reshape((-1,))))
        quadratic = quadratic + 2 * term
    squares = data("crossproducts_residual_ss", products.residual_ss) - 2 * linear + quadratic
    total = data("crossproducts_total_weight", products.total_weight)
    return (-0.5 * np.log(2 * np.pi) * total - total * pt.log(sigma)
            - 0.5 * squares / pt.sqr(sigma))


def build_model(design: Design, table: PriorTable,
                geometries: list[BlockGeometry | None] | None = None,
                likelihood: bool = True, collapsed: bool = False,
                fused: bool = False) -> tuple[pm.Model, ModelNames]:
    """Build brms's model for a design in PyMC.

    Parameters
    ----------
    design
        Response, population matrix, group blocks, offset, trials and weights.
    table
        The prior table (defaults merged with user priors).
    geometries
        Per group block, the level precisions and location maps that set how its effects
        are sampled (:func:`multilevel.parametrization.block_geometries` of the design when
        not given); they change the sampler's coordinates, never the posterior.
    likelihood
        False for a model of the priors alone.
    collapsed
        Integrate the group-level effects out of a Gaussian likelihood
        (:mod:`multilevel.model.collapsed`): the model has no ``z`` and no ``r``, and keeps
        each correlation set's ``diag(sd) L`` for the effects' draws after sampling.
    fused
        Compute the likelihood and the linear predictor's group terms in one pass over the
        rows (:mod:`multilevel.model.fused_likelihood`) where the family allows it; its
        operation is compiled by numba, for the backends in ``fused_likelihood.FUSED_BACKENDS``.

    Returns
    -------
    model, names
        The PyMC model and the names of its user-facing variables.
    """
    family = design.family
    if geometries is None:
        geometries = [None] * len(design.blocks) if collapsed else block_geometries(design)
    coords: dict[str, list[str]] = {}
    if design.b_names:
        coords["b_coef"] = list(design.b_names)
    for name, part in design.parameter_parts.items():
        if part.b_names:
            coords[population_names(name)[3]] = list(part.b_names)
    if design.thresholds:
        coords[THRESHOLD_DIM] = [str(k) for k in range(1, design.thresholds + 1)]
    for part in design.smooths:
        coords[smooth_dim(part.label)] = [str(j) for j in range(1, part.size + 1)]
    for part in design.monotonic:
        coords[simplex_dim(part)] = [str(j) for j in range(1, part.size + 1)]
    if design.autocor is not None:
        for name, order in (("ar", design.autocor.term.p), ("ma", design.autocor.term.q)):
            if order:
                coords[AUTOCOR_DIMS[name]] = [str(k) for k in range(1, order + 1)]
        if design.autocor.kind == "unstr":
            times = design.autocor.time_labels
            coords[AUTOCOR_DIMS["cortime"]] = [f"{times[j]}__{times[i]}"
                                               for i in range(1, len(times)) for j in range(i)]
    for group in design.groups:
        levels_dim, coef_dim, cor_dim = group_dims(group)
        coords[levels_dim] = list(design.group_levels(group))
        coords[coef_dim] = design.group_coefs(group)
        coords[sd_dim(design, group)] = design.group_sd_names(group)
        pairs = design.correlation_names(group)
        if pairs:
            coords[cor_dim] = pairs

    population: list[str] = []
    aux_names: list[str] = []
    special = special_settings(table, design)
    with pm.Model(coords=coords) as model:
        y = data("y_data", design.y)
        # a special prior scaled by sigma needs sigma first
        early = ({"sigma": prior_variable("sigma", table.lookup("sigma"), *table.bounds("sigma"))}
                 if needs_sigma(special) else {})
        population_part, population_coefficients, thresholds = _population_effects(
            design.X, design.b_names, design.has_intercept, table, "", population,
            design.thresholds, design.family.ordered_thresholds, special=special,
            sigma=early.get("sigma"))
        smooths = smooth_effects(design, table) if design.smooths else None
        monotonic = monotonic_effects(design, table) if design.monotonic else None
        etas = {"": pt.zeros(y.shape[0]) + population_part
                + (0.0 if smooths is None else smooths)
                + (0.0 if monotonic is None else monotonic)}
        ordered = ordered_intercepts(design, table)
        for name, part in design.parameter_parts.items():
            dpar_part, _, _ = _population_effects(part.X, part.b_names, part.has_intercept,
                                                  table, name, population,
                                                  intercept_value=ordered.get(name))
            etas[name] = pt.zeros(y.shape[0]) + dpar_part
            if part.offset is not None:
                etas[name] = etas[name] + data(f"offset_{name}", part.offset)

        sds, starts = {}, _sd_starts(design)
        for group in design.groups:
            blocks = [block for block in design.blocks if block.group == group]
            # the by levels of gr(g, by = arm) share each coefficient's prior
            sds[group] = _class_variable(
                f"sd_{group}", table, "sd", design.group_sd_names(group), group,
                sd_dim(design, group),
                dpars=[block.dpar for block in blocks for _ in block.sd_names],
                own_coefs=[block.own_coef(c) for block in blocks for _ in block.by_labels
                           for c in block.coefs])
        # a nested block's location uses its enclosing block's effects, built before it
        block_effects, group_correlations, scales = {}, {}, {}
        first_of = {members[0]: members for members in design.correlation_sets()}
        for number in build_order(design):
            if number not in first_of:
                continue  # built with the first block of its ID
            members = first_of[number]
            block, geometry = design.blocks[number], geometries[number]
            group = block.group
            size = len(design.set_coefs(members))
            cholesky = None
            if block.by:
                block_effects[number], factors = by_level_effects(
                    block, number, sds[group][starts[number]:starts[number]
                                              + len(block.sd_names)],
                    table.lookup("cor", "", group).args[0] if block.has_correlations else 1.0)
                if factors:
                    group_correlations.setdefault(group, []).extend(
                        (correlations(factor, size), size) for factor in factors)
                continue
            if design.set_correlated(members):
                eta_lkj = table.lookup("cor", "", group).args[0]
                cholesky = lkj_cholesky(f"L_{group}_{number}", size, eta_lkj)
                group_correlations.setdefault(group, []).append(
                    (correlations(cholesky, size), size))
            sd = pt.concatenate([sds[group][starts[m]:starts[m] + len(design.blocks[m].coefs)]
                                 for m in members])
            if collapsed:
                scales[number] = (sd, cholesky)
                continue
            if len(members) > 1:
                # blocks correlated through an ID: brms's non-centred form over all of them
                z = pm.Normal(f"z_{group}_{number}", 0.0, 1.0,
                              shape=(len(block.levels), size))
                joint = pt.dot(z, cholesky.T) * sd[None, :] if cholesky is not None else z * sd
                joint = _between_levels(block, number, joint)
                offset = 0
                for m in members:
                    width = len(design.blocks[m].coefs)
                    block_effects[m] = joint[:, offset:offset + width]
                    offset += width
                continue
            location = (None if geometry is None
                        else block_location(geometry, number, population_coefficients,
                                             block_effects))
            block_effects[number] = _between_levels(
                block, number, sampled_effects(block, number, sd, cholesky, geometry, location))
        products = gaussian_cross_products(design) if likelihood and not collapsed else None
        density = (row_density(family, design.trials is not None)
                   if fused and likelihood and products is None
                   and design.own_row_likelihood is None else None)
        # the mean's group terms, left to the fused likelihood
        in_likelihood = [number for number, block in enumerate(design.blocks)
                         if density is not None and not block.dpar and number in block_effects]
        for number, block in enumerate(design.blocks):
            if number not in block_effects or number in in_likelihood:
                continue  # integrated out of the likelihood, or left to it
            etas[block.dpar] = etas[block.dpar] + group_term(
                block_effects[number], data(f"index_{block.group}_{number}", block.index),
                data(f"values_{block.group}_{number}", block.values), len(block.levels),
                block.values.shape[1])
        groups_with_cor: list[str] = []
        for group in design.groups:
            levels_dim, coef_dim, cor_dim = group_dims(group)
            effects = [block_effects[n] for n, b in enumerate(design.blocks)
                       if b.group == group and n in block_effects]
            if effects:
                pm.Deterministic(f"r_{group}", pt.concatenate(effects, axis=1),
                                 dims=(levels_dim, coef_dim))
            if group in group_correlations:
                entries, sizes = zip(*group_correlations[group], strict=True)
                with_lkj_lprior(pm.Deterministic(f"cor_{group}", pt.concatenate(entries),
                                                 dims=cor_dim),
                                sizes, table.lookup("cor", "", group).args[0])
                groups_with_cor.append(group)

        eta = etas[""] if design.spec.nonlinear is None else nonlinear_predictor(
            design, etas)
        offset = None if design.offset is None else data("offset", design.offset)
        if offset is not None:
            eta = eta + offset
        if design.category_specific is not None:
            thresholds = category_specific_thresholds(design.category_specific, table,
                                                      thresholds, THRESHOLD_DIM)
        aux = {} if thresholds is None else {"thresholds": thresholds}
        starts = {a.name: a.start for a in family.aux if a.start is not None}
        starts |= scale_starts(design) if family.components else {}
        # a predicted or held parameter is no variable to start
        starts = {name: value for name, value in starts.items()
                  if name not in design.dpars and name not in design.fixed_aux}
        if family.group_sd_start is not None:
            free = {rv.name for rv in model.free_RVs}
            for group in design.groups:
                coefs = design.group_sd_names(group)
                # one vector of sds, or one variable per sd where their priors differ
                starts |= ({f"sd_{group}": (family.group_sd_start,) * len(coefs)}
                           if f"sd_{group}" in free else
                           {f"sd_{group}[{c}]": family.group_sd_start for c in coefs
                            if f"sd_{group}[{c}]" in free})
        for parameter in family.aux:
            if (parameter.name in family.mixing_proportions
                    and parameter.name not in design.fixed_aux | design.dpars):
                if parameter.name == family.mixing_proportions[0]:
                    aux.update(mixing_proportions(design, table))
                aux_names.append(parameter.name)
                continue
            if parameter.name in design.dpars:
                aux[parameter.name] = LINKS[parameter.dpar_link].inverse_tensor(
                    etas[parameter.name])
                continue
            if parameter.name not in family.mixing_proportions:
                # a mixture's held proportions stay out of the draws, as brms's
                aux_names.append(parameter.name)
            if parameter.name in design.fixed_aux:
                aux[parameter.name] = pm.Deterministic(
                    parameter.name, pt.constant(design.fixed_aux[parameter.name]))
                continue
            aux[parameter.name] = early[parameter.name] if parameter.name in early else (
                prior_variable(parameter.name, table.lookup(parameter.name),
                               *table.bounds(parameter.name)))
        if design.se is not None:
            aux["sigma"] = add_known_errors(aux["sigma"], data("se", design.se))
        autocor = autocor_parameters(design, table)
        if "ar" in autocor or "ma" in autocor:
            eta = arma_mean(eta, y, design.autocor, autocor.get("ar"), autocor.get("ma"))
        mu = family.link_function.inverse_tensor(eta)
        trials = None if design.trials is None else data("trials", design.trials)
        cls, params = family.likelihood(eta, mu, aux, trials, family.link)
        if not likelihood:
            pass
        elif collapsed:
            statistics = marginal_statistics(design)
            store_scales(statistics, scales)
            pm.Potential("y_loglik", collapsed_log_likelihood(
                statistics, population_coefficients, scales, aux["sigma"]))
        elif "cosy" in autocor:
            pm.Potential("y_loglik", cosy_log_density(y - mu, aux["sigma"], design.autocor,
                                                      autocor["cosy"], aux.get("nu")))
        elif "cortime" in autocor:
            pm.Potential("y_loglik", unstr_log_density(y - mu, aux["sigma"], design.autocor,
                                                       autocor["cortime"], aux.get("nu")))
        elif products is not None:
            effects = [block_effects[number] for number in range(len(design.blocks))]
            pm.Potential("y_loglik", _cross_product_likelihood(
                products, population_coefficients, effects, aux["sigma"]))
        elif in_likelihood:
            base = [part for part in (smooths, monotonic, offset) if part is not None]
            predictor = fused_predictor(
                [design.blocks[n] for n in in_likelihood],
                [block_effects[n] for n in in_likelihood], sum(base) if base else None,
                population_coefficients, design.has_intercept,
                model.named_vars.get("X_centred"), len(design.b_names))
            pm.Potential("y_loglik", fused_log_likelihood(
                density, y, predictor, [aux[parameter.name] for parameter in family.aux], trials,
                None if design.weights is None else data("weights", design.weights)))
        elif design.censoring is not None or design.truncation is not None:
            weights = 1.0 if design.weights is None else data("weights", design.weights)
            distribution, total, bounds = cls.dist(**params), 0.0, (None, None)
            if design.truncation is not None:
                # every row's density over its bounds' probability, censored ones too, as brms
                bounds = [None if bound is None else data(f"truncation_{side}", bound)
                          for side, bound in (("lower", design.truncation.lower),
                                              ("upper", design.truncation.upper))]
                total = -pt.sum(weights * truncation_log_mass(distribution, *bounds,
                                                              family.discrete))
            if design.censoring is None:
                pm.Potential("y_truncated", total + pt.sum(weights * pm.logp(distribution, y)))
            else:
                codes, upper = design.censoring
                pm.Potential("y_censored", total + censored_log_likelihood(
                    cls, params, y, codes, data("censoring_upper", upper),
                    lambda code: data(f"censored_rows_{code + 1}",
                                      np.flatnonzero(codes == code)),
                    None if design.weights is None else weights, tuple(bounds), family.discrete))
        elif design.weights is None:
            cls("y", **params, observed=y)
        else:
            pointwise = pm.logp(cls.dist(**params), y)
            pm.Potential("y_weighted", pt.sum(data("weights", design.weights) * pointwise))
    # a distributional parameter's group effects start at zero: at the support point of their
    # sd, the response's scale, a jittered standard normal would put log sigma out of range
    unjittered = tuple(
        f"z_{design.blocks[members[0]].group}_{members[0]}"
        for members in design.correlation_sets()
        if any(design.blocks[m].dpar for m in members)
        and f"z_{design.blocks[members[0]].group}_{members[0]}" in model.named_vars)
    names = ModelNames(tuple(population), tuple(design.groups), tuple(groups_with_cor),
                       tuple(aux_names), tuple(design.dpars), unjittered, tuple(autocor),
                       tuple(part.label for part in design.smooths),
                       tuple((part.term.coef, part.term.simplex) for part in design.monotonic),
                       () if design.category_specific is None
                       else tuple(design.category_specific.names),
                       # a parameter held by constant() is no variable to start
                       tuple((n, v) for n, v in starts.items() if n in model.named_vars
                             and model[n] in model.free_RVs),
                       tuple(name for part in design.smooths for name in part.fixed_names),
                       kept_names(special))
    return model, names


def brms_model(design: Design, table: PriorTable, likelihood: bool = True) -> pm.Model:
    """The model as brms writes it: every group block's effects as ``sd * L @ z``, ``z`` standard
    normal, whatever geometry the sampler would choose for the data."""
    with untraced_graphs():
        model, _ = build_model(design, table, geometries=[None] * len(design.blocks),
                               likelihood=likelihood)
    return model


def nonlinear_predictor(design: Design, etas: dict[str, pt.TensorVariable]) -> pt.TensorVariable:
    """The mean's linear-predictor scale value of a non-linear formula: its expression of the
    parameters' predictors ``etas`` and of the data's columns."""
    values = {name: etas[name] for name in design.nlpars}
    values.update({name: data(f"covariate_{name}", column)
                   for name, column in design.covariates.items()})
    return design.spec.nonlinear.evaluate(values, "pytensor")
