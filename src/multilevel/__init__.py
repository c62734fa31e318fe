"""multilevel: Bayesian multilevel models with lme4/brms formulas, brms's priors and summaries.

>>> import multilevel as ml
>>> fit = ml.brm("Reaction ~ Days + (Days | Subject)", data=ml.load_dataset("sleepstudy"))
>>> fit.prior
>>> fit.summary()
"""

from __future__ import annotations

import warnings as _warnings

with _warnings.catch_warnings():
    # ArviZ announces its 1.0 rewrite on the first import of each day; multilevel's pin keeps
    # it on the 0.x API, so the notice says nothing about what a multilevel user calls
    _warnings.filterwarnings("ignore", message="\nArviZ is undergoing a major refactor",
                             category=FutureWarning, module="arviz")
    import arviz as _arviz  # noqa: F401

from .api import (
    brm,
    brm_many,
    brm_multiple,
    equation,
    get_prior,
    load,
    make_model,
    model_code,
    update,
)
from .datasets import list_datasets, load_dataset
from .errors import (
    DataError,
    FamilyError,
    FormulaError,
    MultilevelError,
    PriorError,
    SettingsError,
    StorageError,
)
from .families.builtin import (
    acat,
    asym_laplace,
    bernoulli,
    beta,
    beta_binomial,
    binomial,
    categorical,
    cratio,
    cumulative,
    exgaussian,
    exponential,
    frechet,
    gamma,
    gaussian,
    geometric,
    get_family,
    hurdle_gamma,
    hurdle_lognormal,
    hurdle_negbinomial,
    hurdle_poisson,
    inverse_gaussian,
    lognormal,
    negbinomial,
    poisson,
    shifted_lognormal,
    skew_normal,
    sratio,
    student,
    weibull,
    zero_inflated_beta,
    zero_inflated_beta_binomial,
    zero_inflated_binomial,
    zero_inflated_negbinomial,
    zero_inflated_poisson,
    zero_one_inflated_beta,
)
from .families.circular import von_mises
from .families.compositional import dirichlet, multinomial
from .families.family import Family
from .families.mixture import mixture
from .priors.table import prior
from .results.bridge_sampling import bayes_factor, bridge_sampler, post_prob, save_pars
from .results.combine import combine_models
from .results.criteria import loo_compare
from .results.fit import Fit
from .results.hypothesis import hypothesis
from .results.model_averaging import posterior_average, pp_average
from .results.model_weights import loo_model_weights, model_weights
from .results.refits import kfold_predict
from .spec.brms_formula import bf
from .spec.conditions import make_conditions

Gamma = gamma

__version__ = "0.1.0"

__all__ = [
    "acat", "asym_laplace", "bayes_factor", "bernoulli", "bridge_sampler", "post_prob",
    "save_pars", "beta", "beta_binomial", "bf", "binomial", "brm",
    "brm_many", "brm_multiple", "categorical", "combine_models", "cratio", "cumulative",
    "DataError", "dirichlet", "equation", "exgaussian", "exponential", "Family", "FamilyError",
    "frechet", "Fit", "FormulaError", "gamma", "Gamma", "gaussian", "geometric", "get_family",
    "get_prior", "hurdle_gamma",
    "hurdle_lognormal", "hurdle_negbinomial", "hurdle_poisson", "hypothesis", "inverse_gaussian",
    "kfold_predict",
    "list_datasets", "load", "load_dataset", "lognormal", "loo_compare", "loo_model_weights",
    "make_conditions", "make_model", "mixture", "model_code", "model_weights", "MultilevelError",
    "multinomial",
    "negbinomial", "poisson", "posterior_average", "pp_average", "prior", "PriorError",
    "SettingsError", "shifted_lognormal", "skew_normal", "sratio", "StorageError", "student",
    "update", "von_mises", "weibull", "zero_inflated_beta", "zero_inflated_beta_binomial",
    "zero_inflated_binomial", "zero_inflated_negbinomial", "zero_inflated_poisson",
    "zero_one_inflated_beta",
]
