"""ADVI: mean-field and full-rank normal approximations fitted by numpyro's SVI.

The objective is the model's log density, Jacobians included, as the JAX function NUTS uses
(:func:`multilevel.inference.numpyro.jax_function`): XLA compiles the whole optimisation in
one program, in about a second, where PyMC's ADVI compiles its step through PyTensor's C
backend, which on a machine that has compiled nothing yet takes a minute or two.

The free variables form one flat vector under an improper flat prior, and the log density
enters as a factor; numpyro's :class:`~numpyro.infer.autoguide.AutoNormal` is then mean-field
ADVI and :class:`~numpyro.infer.autoguide.AutoMultivariateNormal` full-rank ADVI, both with
one Monte Carlo draw of the ELBO's gradient per step and Adam's steps, as PyMC's ``fit``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

from ..errors import MultilevelError
from .numpyro import initial_points, jax_function

# Optimisation steps of the variational approximations (PyMC's and Stan's ADVI default).
VARIATIONAL_ITERATIONS = 10_000
# Adam's step sizes: the full-rank covariance factor needs smaller steps than the means
VARIATIONAL_STEP = 0.02
FULLRANK_STEP = 0.005
# the sd of every coordinate of the mean-field normal at the start, on the unconstrained scale
INITIAL_SCALE = 0.1


def variational_draws(model: pm.Model, var_names: list[str], algorithm: str, total: int,
                      seed: int, progressbar: bool) -> dict[str, np.ndarray]:
    """Fit ADVI to ``model`` and draw ``total`` times from the fitted normal.

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables to return, each a function of the free variables.
    algorithm
        ``"meanfield"`` (a normal with diagonal covariance on the unconstrained scale) or
        ``"fullrank"`` (with full covariance, started from the mean-field solution, whose
        means it then only has to refine: from the initial point it often diverges).
    total
        Number of draws.
    seed
        The seed; the same seed gives the same draws.
    progressbar
        Show numpyro's bar of the optimisation steps.

    Returns
    -------
    dict
        Each of ``var_names`` with a leading axis of ``total`` draws.

    Raises
    ------
    MultilevelError
        When the optimisation leaves the finite numbers (the ELBO diverged).
    """
    import jax
    import numpyro
    from numpyro import distributions
    from numpyro.infer import SVI, Trace_ELBO, init_to_value
    from numpyro.infer.autoguide import AutoMultivariateNormal, AutoNormal
    from numpyro.optim import Adam

    values = list(model.value_vars)
    outputs = model.replace_rvs_by_values([model.logp(), *[model[name] for name in var_names]])
    joint = jax.jit(jax_function(values, outputs))
    # ADVI starts at the model's initial point, without jitter
    point, = initial_points(model, [seed], tuple(value.name for value in values))
    shapes = [np.shape(point[value.name]) for value in values]
    sizes = [int(np.prod(shape)) for shape in shapes]
    ends = np.cumsum(sizes)
    start = np.concatenate([np.ravel(point[value.name]) for value in values]).astype(float)

    def unflatten(flat):
        return [flat[end - size:end].reshape(shape)
                for end, size, shape in zip(ends, sizes, shapes, strict=True)]

    def program():
        flat = numpyro.sample("position", distributions.ImproperUniform(
            distributions.constraints.real, (), (start.size,)))
        numpyro.factor("log_density", joint(*unflatten(flat))[0])

    keys = np.random.SeedSequence(seed).generate_state(6).reshape(3, 2)

    def optimise(guide, step: float):
        svi = SVI(program, guide, Adam(step), Trace_ELBO())
        result = svi.run(keys[0 if guide.__class__ is AutoNormal else 1],
                         VARIATIONAL_ITERATIONS, progress_bar=progressbar)
        finite = all(np.all(np.isfinite(np.asarray(value)))
                     for value in jax.tree_util.tree_leaves(result.params))
        if not finite:
            raise MultilevelError(
                f"ADVI ({algorithm}) diverged: its parameters left the finite numbers. Try "
                "algorithm='laplace' or 'pathfinder', or NUTS.")
        return result.params

    guide = AutoNormal(program, init_loc_fn=init_to_value(values={"position": start}),
                       init_scale=INITIAL_SCALE)
    params = optimise(guide, VARIATIONAL_STEP)
    if algorithm == "fullrank":
        means = np.asarray(guide.median(params)["position"])
        guide = AutoMultivariateNormal(program, init_loc_fn=init_to_value(
            values={"position": means}), init_scale=INITIAL_SCALE)
        params = optimise(guide, FULLRANK_STEP)

    @jax.jit
    def draws(key, params):
        flat = guide.sample_posterior(key, params, sample_shape=(total,))["position"]
        return jax.vmap(lambda position: joint(*unflatten(position))[1:])(flat)

    drawn = jax.device_get(draws(keys[2], params))
    return {name: np.asarray(value) for name, value in zip(var_names, drawn, strict=True)}
