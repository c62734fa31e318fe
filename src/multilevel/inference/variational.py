"""ADVI: mean-field and full-rank normal approximations fitted by numpyro's SVI.

The objective is the model's log density, Jacobians included, as the JAX function NUTS uses
(:mod:`.flat_density`): XLA compiles the whole optimisation in one program, in about a
second, where PyMC's ADVI compiles its step through PyTensor's C backend, which on a machine
that has compiled nothing yet takes a minute or two.

The free variables form one flat vector under an improper flat prior, and the log density
enters as a factor; numpyro's :class:`~numpyro.infer.autoguide.AutoNormal` is then mean-field
ADVI and :class:`~numpyro.infer.autoguide.AutoMultivariateNormal` full-rank ADVI, both with
one Monte Carlo draw of the ELBO's gradient per step and Adam's steps, as PyMC's ``fit``.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

from ..errors import MultilevelError
from .flat_density import flat_density

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

    density = flat_density(model, var_names, seed)
    start = density.start

    def program():
        flat = numpyro.sample("position", distributions.ImproperUniform(
            distributions.constraints.real, (), (start.size,)))
        numpyro.factor("log_density", density.joint(flat)[0])

    # JAX's raw keys, from NumPy: JAX would compile a program to make each
    keys = np.random.SeedSequence(seed).generate_state(6).reshape(3, 2)

    def optimise(guide, step: float, key: np.ndarray):
        svi = SVI(program, guide, Adam(step), Trace_ELBO())
        result = svi.run(key, VARIATIONAL_ITERATIONS, progress_bar=progressbar)
        finite = all(np.all(np.isfinite(np.asarray(value)))
                     for value in jax.tree_util.tree_leaves(result.params))
        if not finite:
            raise MultilevelError(
                f"ADVI ({algorithm}) diverged: its parameters left the finite numbers. Try "
                "algorithm='laplace' or 'pathfinder', or NUTS.")
        return result.params

    guide = AutoNormal(program, init_loc_fn=init_to_value(values={"position": start}),
                       init_scale=INITIAL_SCALE)
    params = optimise(guide, VARIATIONAL_STEP, keys[0])
    if algorithm == "fullrank":
        means = np.asarray(guide.median(params)["position"])
        guide = AutoMultivariateNormal(program, init_loc_fn=init_to_value(
            values={"position": means}), init_scale=INITIAL_SCALE)
        params = optimise(guide, FULLRANK_STEP, keys[1])

    flat = guide.sample_posterior(keys[2], params, sample_shape=(total,))["position"]
    return dict(zip(var_names, density.quantities(flat), strict=True))
