"""Response families, each defined once (``builtin.py``), and brms's link functions.

A :class:`~multilevel.families.family.Family` carries its links, the check of the response's
support, its auxiliary parameters with brms's default priors and its PyMC likelihood, from
which the pointwise log density and predictive draws derive. The spec stage checks responses
against it, the priors stage reads its parameters, the model stage its likelihood.
"""

from .builtin import get_family
from .family import AuxParameter, Family

__all__ = ["AuxParameter", "Family", "get_family"]
