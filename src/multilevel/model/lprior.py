"""brms's ``lprior``, the sum of the parameters' log prior densities, from a fit's draws.

The sum is evaluated after sampling, from the stored draws, rather than by the samplers: one
more output of their program would change how PyTensor rewrites the log density they share
it with, and so its rounding and the chains a seed gives.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor
import pytensor.tensor as pt
import xarray as xr
from pytensor.compile.mode import Mode
from pytensor.graph.replace import vectorize_graph
from pytensor.graph.traversal import ancestors

from ..names import LPRIOR
from ..priors.distributions import lprior_marked, lprior_terms

# the sum is evaluated once per fit, over all draws at once: Python's implementations of its
# few operations are fast enough, where compiling them to C would take seconds on a machine
# whose PyTensor cache is empty
_ONCE = Mode(linker="py", optimizer=None)


def lprior_inputs(model: pm.Model) -> list[str]:
    """The variables whose draws brms's ``lprior`` is evaluated from: those marking its
    terms. Most are among the draws a fit keeps; the others (the horseshoe's global scale,
    a mixture's simplex, a coefficient with a prior of its own) are drawn for it too."""
    return [variable.name for variable in lprior_marked(model)]


def lprior_draws(model: pm.Model, posterior: xr.Dataset) -> xr.DataArray:
    """brms's ``lprior`` at each draw of ``posterior``, the draws of ``model``'s variables.

    Raises
    ------
    RuntimeError
        Where a prior's variable is not among the draws (a model built without keeping it).
    """
    total = pt.sum(pt.stack([pt.constant(0.0), *lprior_terms(model)]))
    chains, draws = posterior.sizes["chain"], posterior.sizes["draw"]
    variables = {name: model[name] for name in posterior.data_vars if name in model.named_vars}
    batched = {variable: pt.tensor(name, dtype=variable.dtype,
                                   shape=(None, *variable.type.shape))
               for name, variable in variables.items()}
    summed = vectorize_graph(total, replace=batched)
    needed = set(ancestors([summed]))
    missing = [rv.name for rv in model.basic_RVs if rv in needed]
    if missing:
        raise RuntimeError(f"lprior needs the draws of {missing}, which are not kept")
    used = {name: placeholder for name, placeholder in zip(variables, batched.values(), strict=True)
            if placeholder in needed}
    function = pytensor.function(list(used.values()), summed, mode=_ONCE)
    arguments = [posterior[name].to_numpy().reshape(chains * draws, *posterior[name].shape[2:])
                 for name in used]
    values = np.broadcast_to(function(*arguments), (chains * draws,))
    return xr.DataArray(values.reshape(chains, draws), dims=("chain", "draw"),
                        coords={"chain": posterior["chain"], "draw": posterior["draw"]},
                        name=LPRIOR)
