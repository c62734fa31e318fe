"""Category-specific effects ``cs(x)`` in the PyMC model, as brms's Stan code writes them."""

from __future__ import annotations

import pytensor.tensor as pt

from ..priors.distributions import data, prior_variable
from ..priors.table import PriorTable
from ..spec.category_specific import CategorySpecificPart


def category_specific_thresholds(part: CategorySpecificPart, table: PriorTable, thresholds,
                                 dim: str):
    """Each row's thresholds, ``Intercept[k] - x_n * bcs[k]``: a vector ``bcs_x`` over the
    thresholds for each column, with the column's ``b`` prior on every element and no
    bounds (brms declares ``bcs`` without them)."""
    effects = pt.stack([prior_variable(f"bcs_{name}", table.lookup("b", name), dims=dim)
                        for name in part.names])
    return thresholds - pt.dot(data("Xcs", part.X), effects)
