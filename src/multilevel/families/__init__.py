"""Response families, each defined once (``family.py``), and brms's link functions.

A :class:`~multilevel.families.family.Family` carries its links, the check of the response's
support, its auxiliary parameters with brms's default priors and its PyMC likelihood, from
which the pointwise log density and predictive draws derive. The spec stage checks responses
against it, the priors stage reads its parameters, the model stage its likelihood.
"""
