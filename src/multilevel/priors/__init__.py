"""brms's default priors and the user's: the prior table of a design.

``distributions.py`` reads Stan-spelled distributions and makes them PyMC variables;
``table.py`` builds brms's prior table (:class:`~multilevel.priors.table.PriorTable`) from a
design and the user's priors; ``sampling.py`` draws from the priors alone.
"""
