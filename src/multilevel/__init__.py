"""multilevel: Bayesian multilevel models with lme4/brms formulas, brms's priors and summaries.

>>> import multilevel as ml
>>> fit = ml.brm("Reaction ~ Days + (Days | Subject)", data=ml.load_dataset("sleepstudy"))
>>> fit.prior
>>> fit.summary()
"""

from __future__ import annotations

import warnings

# pip's pytensor lacks a BLAS; its C backend says so at import, but nutpie's numba path (the
# default here) does not use it.
warnings.filterwarnings("ignore", message=r".*(BLAS|blas).*", category=UserWarning)

from .api import brm, get_prior, load  # noqa: E402
from .criteria import loo_compare  # noqa: E402
from .datasets import list_datasets, load_dataset  # noqa: E402
from .errors import DataError, FormulaError, MultilevelError, PriorError  # noqa: E402
from .families import (  # noqa: E402
    Family,
    bernoulli,
    beta,
    binomial,
    gamma,
    gaussian,
    get_family,
    lognormal,
    negbinomial,
    poisson,
    student,
)
from .fit import Fit  # noqa: E402
from .hypothesis import hypothesis  # noqa: E402
from .priors import prior  # noqa: E402

Gamma = gamma

__version__ = "0.1.0"

__all__ = [
    "DataError", "Family", "Fit", "FormulaError", "Gamma", "MultilevelError", "PriorError",
    "bernoulli", "beta", "binomial", "brm", "gamma", "gaussian", "get_family", "get_prior",
    "hypothesis", "list_datasets", "load", "load_dataset", "lognormal", "loo_compare",
    "negbinomial", "poisson", "prior", "student",
]
