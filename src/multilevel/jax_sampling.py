"""NUTS in JAX (numpyro) on the model's log density, compiled by XLA in one piece.

PyMC's own route to numpyro evaluates the log density operation by operation at the
initial points and again after sampling, and XLA compiles every one of those operations
separately, which costs more than the sampling of a small model. Here the log density
and the stored quantities are each compiled once, whole, and the initial points come from
PyMC's NumPy initial-point function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import arviz as az
import numpy as np
import pymc as pm
from pymc.initial_point import make_initial_point_fn

if TYPE_CHECKING:
    from .sampling import SamplerSettings


def sample_numpyro(model: pm.Model, var_names: list[str], settings: SamplerSettings,
                   seed: int) -> az.InferenceData:
    """Sample ``model`` with numpyro's NUTS and return the posterior of ``var_names``.

    Parameters
    ----------
    model
        The PyMC model.
    var_names
        Variables to keep in the posterior.
    settings
        Chains, draws, warmup, target acceptance and progress bar.
    seed
        The seed; the same seed gives the same draws.

    Returns
    -------
    InferenceData
        ``posterior`` with ``var_names`` and ``sample_stats`` with ``diverging``.
    """
    # JAX is slow to import: only the JAX samplers load it. PyMC's JAX module, imported first,
    # splits the CPU into virtual devices before JAX starts, so that each chain gets a device
    # and the chains run in parallel threads.
    from pymc.sampling.jax import get_jaxified_graph

    # isort: split
    import jax
    from numpyro.infer import MCMC, NUTS

    values = list(model.value_vars)
    log_density = get_jaxified_graph(inputs=values, outputs=[model.logp()])

    def potential(position):
        return -log_density(*position)[0]

    initial = make_initial_point_fn(model=model, jitter_rvs=set(model.free_RVs),
                                    return_transformed=True)
    chains = settings.chains
    seeds = np.random.SeedSequence(seed).generate_state(chains)
    points = [initial(int(s)) for s in seeds]
    start = [np.stack([point[v.name] for point in points]) for v in values]

    # with fewer devices than chains (JAX started before PyMC could split the CPU) the
    # chains run vectorised, in lockstep
    method = "parallel" if jax.local_device_count() >= chains else "vectorized"
    mcmc = MCMC(NUTS(potential_fn=potential, target_accept_prob=settings.target_accept),
                num_warmup=settings.warmup, num_samples=settings.draws, num_chains=chains,
                chain_method=method, progress_bar=settings.progressbar)
    mcmc.run(jax.random.PRNGKey(seed), init_params=start, extra_fields=("diverging",))
    position = mcmc.get_samples(group_by_chain=True)

    stored = model.replace_rvs_by_values([model[name] for name in var_names])
    expand = get_jaxified_graph(inputs=values, outputs=stored)
    per_draw = jax.jit(jax.vmap(jax.vmap(lambda *v: tuple(expand(*v)))))
    posterior = {name: np.asarray(draws_of)
                 for name, draws_of in zip(var_names, per_draw(*position), strict=True)}
    diverging = np.asarray(mcmc.get_extra_fields(group_by_chain=True)["diverging"])
    dims = {name: list(model.named_vars_to_dims.get(name, ())) for name in var_names}
    used = {dim for names in dims.values() for dim in names}
    coords = {dim: list(labels) for dim, labels in model.coords.items() if dim in used}
    return az.from_dict(posterior=posterior, sample_stats={"diverging": diverging},
                        coords=coords, dims=dims)
