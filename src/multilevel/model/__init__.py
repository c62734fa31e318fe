"""The PyMC model brms would generate for a design and a prior table.

``build.py`` assembles it (centred population terms, non-centred group blocks with LKJ
correlations, the family's likelihood) and names its variables (:class:`ModelNames`);
``parametrization.py`` chooses each block's sampling geometry; ``crossproducts.py`` gives
Gaussian models a likelihood from sufficient statistics.
"""
